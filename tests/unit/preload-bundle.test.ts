/**
 * The preload as Electron loads it: the bundle that electron-vite builds from
 * `src-main/electron/preload.ts` with the project's own config. A sandboxed
 * preload may require only `electron`; anything else (zod, a Node module)
 * makes Electron refuse the whole preload and `window.halab` never appears.
 *
 * The test builds just the preload (about 0.2 s) into a temporary folder, so
 * it checks the current sources, not a stale `out/`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'electron-vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CHANNELS } from '../../src-main/shared/ipc/channels';
import type { EventChannel, EventPayloads, HalabBridge } from '../../src-main/shared/ipc/contract';
import { ROOT } from '../helpers/paths';

/**
 * Every event channel of the contract. Typed as a record over `keyof
 * EventPayloads`, so a channel added to the contract and not here fails the
 * type check (`tsc -p tsconfig.node.json`); the runtime test below then
 * fails until the channel is also in `EVENT_CHANNELS`.
 */
const CONTRACT_EVENTS: Record<keyof EventPayloads, true> = {
  'log:line': true,
  'task:update': true,
  'lab:step': true,
  'monitor:state': true,
  'monitor:delta': true,
  'drill:finished': true,
};

/** Each `require(...)` in a CommonJS bundle: the module name, or null when the argument is not a string literal. */
function requiresOf(code: string): (string | null)[] {
  const out: (string | null)[] = [];
  for (const m of code.matchAll(/\brequire\s*\(([^)]*)\)/g)) {
    const lit = /^\s*(["'`])([^"'`]+)\1\s*$/.exec(m[1] ?? '');
    out.push(lit ? (lit[2] ?? null) : null);
  }
  return out;
}

let dir = '';
let code = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'halab-preload-'));
  // The project's config, reduced to its preload section.
  const cfg = join(dir, 'electron.vite.config.mjs');
  writeFileSync(cfg, `import config from ${JSON.stringify(join(ROOT, 'electron.vite.config.ts'))};\nexport default { preload: config.preload };\n`);
  await build({ root: ROOT, configFile: cfg, logLevel: 'error', ignoreConfigWarning: true, build: { outDir: join(dir, 'out'), emptyOutDir: true } });
  code = readFileSync(join(dir, 'out', 'preload', 'index.cjs'), 'utf8');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the built preload', () => {
  it('is CommonJS that requires electron and nothing else', () => {
    const reqs = requiresOf(code);
    expect(reqs).toContain('electron');
    expect(reqs.filter((r) => r !== 'electron')).toEqual([]);
    expect(code).not.toMatch(/\bimport\s*\(|^\s*import\s/m);
  });

  it('the require check itself catches other modules and computed names', () => {
    expect(requiresOf('const z = require("zod"); const e = require(\'electron\');')).toEqual(['zod', 'electron']);
    expect(requiresOf('require(name)')).toEqual([null]);
    expect(requiresOf('const p = require( `node:path` )')).toEqual(['node:path']);
  });

  it('exposes one frozen window.halab whose event channels are exactly the contract\'s', async () => {
    // Run the bundle as Electron would, with `electron` the only module it can get.
    const exposed = new Map<string, unknown>();
    const sent: unknown[][] = [];
    const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          sent.push(args);
          return { ok: true, data: 'answer' };
        },
        on: (ch: string, fn: (...a: unknown[]) => void) => {
          if (!listeners.has(ch)) listeners.set(ch, new Set());
          listeners.get(ch)?.add(fn);
        },
        off: (ch: string, fn: (...a: unknown[]) => void) => listeners.get(ch)?.delete(fn),
      },
    };
    const require = (id: string) => {
      if (id !== 'electron') throw new Error(`module not found: ${id}`);
      return electron;
    };
    runInNewContext(code, { require, module: { exports: {} }, exports: {} });

    expect([...exposed.keys()]).toEqual(['halab']);
    const bridge = exposed.get('halab') as HalabBridge;
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);

    await expect(bridge.invoke('app:info', {})).resolves.toEqual({ ok: true, data: 'answer' });
    expect(sent).toEqual([['halab:invoke', 'app:info', {}]]);

    for (const ch of Object.keys(CONTRACT_EVENTS) as EventChannel[]) {
      const got: unknown[] = [];
      const off = bridge.on(ch, (p) => got.push(p));
      for (const fn of listeners.get(`halab:event:${ch}`) ?? []) fn({ sender: 'main' }, { n: 1 });
      expect(got, ch).toEqual([{ n: 1 }]);
      off();
      expect(listeners.get(`halab:event:${ch}`)?.size, ch).toBe(0);
    }
    expect(() => bridge.on('no:such-event' as EventChannel, () => undefined)).toThrow(/Unknown event channel/);
    expect(() => bridge.on('__proto__' as EventChannel, () => undefined)).toThrow(/Unknown event channel/);
  });
});

describe('EVENT_CHANNELS (the zod-free list the preload bundles)', () => {
  it('equals the keys of the contract\'s EventPayloads, each once', () => {
    expect([...EVENT_CHANNELS].sort()).toEqual(Object.keys(CONTRACT_EVENTS).sort());
    expect(new Set(EVENT_CHANNELS).size).toBe(EVENT_CHANNELS.length);
  });
});
