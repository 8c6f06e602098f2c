/**
 * The desktop shell's security settings as plain data, so they can be
 * checked without Electron (tests/unit/electron-policy.test.ts): the
 * Content Security Policy, the window's web preferences, the menu, and the
 * native pickers behind `file:pick`. Only types come from `electron` here.
 */
import type { MenuItemConstructorOptions, OpenDialogOptions, WebPreferences } from 'electron';
import type { PickPurpose } from '../backend/handler-types';

/**
 * The renderer's Content Security Policy, in two forms:
 *
 * - `CSP_META`, in the `<meta>` of `src-renderer/index.html`, travels with
 *   the page to the desktop window and to web mode's browser;
 * - `CSP`, the header the desktop shell adds to every response. Browsers
 *   enforce both, so the stricter wins. It adds `frame-ancestors` (ignored
 *   in a `<meta>`) and drops the loopback WebSockets, which only web mode
 *   needs (the desktop renderer talks over IPC). `halab serve` sends its own
 *   header with the exact WebSocket origin.
 *
 * What the renderer needs and gets:
 * - scripts only from the app itself (no inline script, no eval: zod runs
 *   with `jitless`);
 * - styles from the app plus inline `style` attributes (React Flow and the
 *   charts position elements with them);
 * - images from the app and `data:` (the favicon);
 * - `connect-src`: the app itself; in web mode also the event WebSocket on
 *   the loopback address the page came from (for browsers that do not match
 *   `ws:` with `'self'`);
 * - no plugins, `<base>`, form posts, frames or workers.
 */
const BASE_DIRECTIVES: readonly string[] = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
];

/** The `<meta>` form (desktop and web mode). */
export const CSP_META = BASE_DIRECTIVES.map((d) => (d.startsWith('connect-src') ? `${d} ws://127.0.0.1:* ws://localhost:*` : d)).join('; ');

/** The desktop shell's header form. */
export const CSP = [...BASE_DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** The main window's renderer: isolated, sandboxed, no Node; DevTools only in development builds. */
export function webPreferences(preload: string, packaged: boolean): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: !packaged,
  };
}

/**
 * The application menu. Packaged builds have no DevTools: the View menu
 * lists neither "Toggle Developer Tools" nor "Reload"/"Force Reload" (a
 * reload drops unsaved work), so their shortcuts do not exist either.
 */
export function menuTemplate(opts: { isMac: boolean; packaged: boolean }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    ...(opts.packaged ? [] : [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }]),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(opts.isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ role: 'about' }] },
  ];
}

/** The native picker for each `file:pick` purpose. */
export function pickDialogOptions(purpose: PickPurpose, platform: NodeJS.Platform): OpenDialogOptions {
  switch (purpose) {
    case 'template-vmx':
      return { title: 'Choose the template VM (.vmx)', properties: ['openFile'], filters: [{ name: 'VMware virtual machine', extensions: ['vmx'] }] };
    case 'ova':
      return { title: 'Choose the appliance to import (.ova)', properties: ['openFile'], filters: [{ name: 'Open Virtualization Appliance', extensions: ['ova'] }] };
    case 'folder':
      return { title: 'Choose a folder', properties: ['openDirectory', 'createDirectory'] };
    case 'vmrun':
      return {
        title: platform === 'win32' ? 'Choose vmrun.exe (in the VMware Workstation folder)' : 'Choose the vmrun program',
        properties: ['openFile'],
        ...(platform === 'win32' ? { filters: [{ name: 'vmrun', extensions: ['exe'] }] } : {}),
      };
  }
}
