/**
 * The Electron shell: the only place that imports `electron` (with the
 * preload). It creates the window with a locked-down renderer, wires the
 * one IPC contract to the backend, and adds the application menu. All the
 * work happens in the backend, which runs the same under plain Node.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, type IpcMainInvokeEvent } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../backend/backend';
import { defaultDataDir } from '../backend/settings-store';
import { onCommandLog } from '../exec/runner';
import { VERSION } from '../cli/version';
import { ExternalLinks } from './external-links';
import { CSP, menuTemplate, pickDialogOptions, webPreferences } from './shell-policy';
import { loadWindowState, saveWindowState } from './window-state';

const here = dirname(fileURLToPath(import.meta.url));
const filters = [{ name: 'Lab blueprints', extensions: ['yaml', 'yml'] }];
const links = new ExternalLinks();

let win: BrowserWindow | null = null;

const backend = createBackend({
  mode: 'desktop',
  version: VERSION,
  // The settings file the CLI and web mode read too (~/.config/halab, or HALAB_DATA_DIR); window state stays in userData.
  dataDir: defaultDataDir(),
  dialogs: {
    openBlueprint: async () => {
      const options = { properties: ['openFile' as const], filters };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    saveBlueprint: async (suggestedName) => {
      const options = { defaultPath: suggestedName, filters };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled ? null : (r.filePath ?? null);
    },
    pick: async (purpose) => {
      const options = pickDialogOptions(purpose, process.platform);
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
  },
});

/** Only our own window's main frame may call the backend. */
function trustedSender(e: IpcMainInvokeEvent): boolean {
  return !!win && e.sender.id === win.webContents.id && e.senderFrame === win.webContents.mainFrame;
}

ipcMain.handle('halab:invoke', async (e, channel: unknown, payload: unknown) => {
  if (!trustedSender(e)) return { ok: false, error: { name: 'IpcError', code: 'untrusted-sender', message: 'Request refused: unknown sender.' } };
  return backend.invoke(String(channel), payload);
});

backend.events.subscribe((channel, payload) => {
  links.observeEvent(channel, payload);
  win?.webContents.send(`halab:event:${channel}`, payload);
});
onCommandLog((line) => backend.events.emit('log:line', { at: Date.now(), source: 'command', line }));

function createWindow(): void {
  const dir = app.getPath('userData');
  const state = loadWindowState(dir);
  win = new BrowserWindow({
    ...state,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'HA Lab Studio',
    webPreferences: webPreferences(join(here, '../preload/index.cjs'), app.isPackaged),
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  win.on('close', () => {
    if (!win) return;
    saveWindowState(dir, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  });
  win.on('closed', () => (win = null));
  // No pop-ups and no navigation away from the app. A link opens in the
  // system browser only if it is on the allowlist (external-links.ts).
  win.webContents.setWindowOpenHandler(({ url }) => {
    const ok = links.allowed(url);
    if (ok) void shell.openExternal(ok);
    else console.warn(`Refused to open ${url.slice(0, 200)} in the browser: not a documentation page or a running lab's web page.`);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(here, '../renderer/index.html'));
}

function buildMenu(): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ isMac: process.platform === 'darwin', packaged: app.isPackaged })));
}

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  buildMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
  // Belt and braces with webPreferences.devTools: a packaged build never opens DevTools.
  if (app.isPackaged) contents.on('devtools-opened', () => contents.closeDevTools());
});

let closing = false;
app.on('before-quit', (e) => {
  if (closing) return;
  // Stop monitors and cancel running tasks before the process goes away.
  e.preventDefault();
  closing = true;
  void backend.close().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
