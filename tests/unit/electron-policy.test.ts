/**
 * The desktop shell's security settings (src-main/electron/shell-policy.ts)
 * and the renderer's CSP <meta>. Electron itself cannot run here; these are
 * the exact values main.ts hands to it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, CSP_META, menuTemplate, pickDialogOptions, webPreferences } from '../../src-main/electron/shell-policy';
import { ROOT } from '../helpers/paths';

function metaCsp(html: string): string | undefined {
  return /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html)?.[1];
}

/** directive name → its sources */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((p) => p[0])
      .map((p) => [p[0] as string, p.slice(1)]),
  );
}

describe('Content Security Policy', () => {
  /** The rules both forms keep. */
  function expectLockedDown(policy: string): Map<string, string[]> {
    const d = directives(policy);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(d.get('frame-src')).toEqual(["'none'"]);
    expect(d.get('worker-src')).toEqual(["'none'"]);
    // data: only for images (the favicon); no wildcard hosts, no eval, no http(s)/blob sources.
    expect([...d].filter(([, src]) => src.includes('data:')).map(([name]) => name)).toEqual(['img-src']);
    const sources = [...d].flatMap(([name, src]) => (name === 'img-src' ? src.filter((x) => x !== 'data:') : src));
    expect(sources.filter((x) => x === '*' || x === "'unsafe-eval'" || /^(https?|blob|data|ws|wss|filesystem):?$/.test(x) || x.startsWith('http'))).toEqual([]);
    expect(policy.split(';').length).toBe(d.size);
    return d;
  }

  it("the desktop header: self only, nothing framing the window, no WebSockets", () => {
    const d = expectLockedDown(CSP);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
  });

  it('the <meta> form: the same, plus only loopback WebSockets for web mode, and no frame-ancestors (a <meta> cannot set it)', () => {
    const d = expectLockedDown(CSP_META);
    expect(d.has('frame-ancestors')).toBe(false);
    expect(d.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:*', 'ws://localhost:*']);
    const header = directives(CSP);
    expect([...d.keys()].sort()).toEqual([...header.keys()].filter((k) => k !== 'frame-ancestors').sort());
    for (const [k, v] of d) if (k !== 'connect-src') expect(v, k).toEqual(header.get(k));
  });

  it('src-renderer/index.html carries the <meta> form', () => {
    const html = readFileSync(join(ROOT, 'src-renderer', 'index.html'), 'utf8');
    expect(metaCsp(html)).toBe(CSP_META);
    // No inline script in the page (script-src 'self' would block it).
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  });
});

describe('window web preferences', () => {
  it('isolated, sandboxed, without Node, and without DevTools when packaged', () => {
    const p = webPreferences('/app/out/preload/index.cjs', true);
    expect(p).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(webPreferences('/p', false).devTools).toBe(true);
    expect(webPreferences('/p', false).sandbox).toBe(true);
  });
});

describe('application menu', () => {
  const roles = (items: ReturnType<typeof menuTemplate>): string[] =>
    items.flatMap((i) => [...(i.role ? [i.role] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu) : [])]);

  it('a packaged build has no DevTools or reload in any menu (so no shortcut for them either)', () => {
    for (const isMac of [false, true]) {
      const r = roles(menuTemplate({ isMac, packaged: true }));
      expect(r).not.toContain('toggleDevTools');
      expect(r).not.toContain('reload');
      expect(r).not.toContain('forceReload');
      // The stock View menu role would bring DevTools back.
      expect(r).not.toContain('viewMenu');
      expect(r).toEqual(expect.arrayContaining(['fileMenu', 'editMenu', 'windowMenu', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen', 'about']));
      expect(r.includes('appMenu')).toBe(isMac);
    }
  });

  it('a development build keeps DevTools and reload', () => {
    const r = roles(menuTemplate({ isMac: false, packaged: false }));
    expect(r).toEqual(expect.arrayContaining(['toggleDevTools', 'reload', 'forceReload']));
  });
});

describe('file:pick native pickers', () => {
  it('a template picks one .vmx file, an import one .ova file', () => {
    expect(pickDialogOptions('template-vmx', 'linux')).toMatchObject({ properties: ['openFile'], filters: [{ extensions: ['vmx'] }] });
    expect(pickDialogOptions('ova', 'win32')).toMatchObject({ properties: ['openFile'], filters: [{ extensions: ['ova'] }] });
  });

  it('a folder picks a directory (and may create one)', () => {
    const o = pickDialogOptions('folder', 'linux');
    expect(o.properties).toEqual(['openDirectory', 'createDirectory']);
    expect(o.properties).not.toContain('openFile');
  });

  it('vmrun is an .exe on Windows and any file elsewhere', () => {
    expect(pickDialogOptions('vmrun', 'win32')).toMatchObject({ properties: ['openFile'], filters: [{ extensions: ['exe'] }] });
    expect(pickDialogOptions('vmrun', 'linux').filters).toBeUndefined();
    expect(pickDialogOptions('vmrun', 'linux').properties).toEqual(['openFile']);
  });

  it('every picker has a title that says what to choose, and none allows several files', () => {
    for (const p of ['template-vmx', 'ova', 'folder', 'vmrun'] as const) {
      const o = pickDialogOptions(p, 'linux');
      expect(o.title, p).toMatch(/^Choose /);
      expect(o.properties, p).not.toContain('multiSelections');
    }
  });
});
