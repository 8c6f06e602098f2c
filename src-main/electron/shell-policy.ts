/**
 * The desktop shell's security settings as plain data, so they can be
 * checked without Electron (tests/unit/electron-policy.test.ts): the
 * Content Security Policy, the window's web preferences, the menu, and the
 * native pickers behind `file:pick`. Only types come from `electron` here.
 */
import type { MenuItemConstructorOptions, OpenDialogOptions, WebPreferences } from 'electron';
import type { PickPurpose } from '../backend/handler-types';

/**
 * The renderer's Content Security Policy. The same directives are in the
 * `<meta>` of `src-renderer/index.html` (which also covers web mode), except
 * `frame-ancestors`, which browsers ignore in a `<meta>`: the shell sends it
 * as a header, and so does `halab serve`.
 *
 * - scripts only from the app itself (no inline script, no eval: zod runs
 *   with `jitless`);
 * - styles from the app plus inline `style` attributes (React Flow and the
 *   charts position elements with them);
 * - images from the app and `data:` (the favicon);
 * - `connect-src`: the app itself; in web mode also the event WebSocket on
 *   the loopback address the page came from (browsers that do not match
 *   `ws:` with `'self'` need the explicit entries);
 * - no plugins, no `<base>`, no form posts, no framing.
 */
export const CSP_DIRECTIVES: readonly string[] = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "frame-ancestors 'none'",
];

/** The header form (all directives). */
export const CSP = CSP_DIRECTIVES.join('; ');

/** The `<meta>` form: without `frame-ancestors`, which a `<meta>` cannot carry. */
export const CSP_META = CSP_DIRECTIVES.filter((d) => !d.startsWith('frame-ancestors')).join('; ');

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
