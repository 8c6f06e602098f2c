import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VERSION } from '../../src-main/cli/version';
import { ROOT } from '../helpers/paths';

// electron-builder's own schema check (the one `npm run dist` runs first).
const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (cfg: unknown, log: unknown) => Promise<void> };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

// Packaging needs the Electron binary and cannot run here; this checks the configuration instead.
describe('electron-builder configuration', () => {
  const cfg = parse(readFileSync(join(ROOT, 'build/electron-builder.yml'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('targets Windows NSIS, Linux AppImage and deb, macOS dmg', () => {
    expect(cfg.win.target).toEqual(['nsis']);
    expect(cfg.linux.target).toEqual(['AppImage', 'deb']);
    expect(cfg.mac.target).toEqual(['dmg']);
  });

  it('packs the build output and ships the blueprints and guest resources', () => {
    expect(cfg.files).toContain('out/**');
    expect(cfg.extraResources.map((r: { from: string }) => r.from).sort()).toEqual(['lab-blueprints', 'resources']);
  });

  it('points at the built main process and keeps Electron install scripts off', () => {
    expect(pkg.main).toBe('out/main/index.js');
    expect(pkg.allowScripts.electron).toBe(false);
    expect(pkg.devDependencies.electron).toBeDefined();
    expect(pkg.scripts.dist).toContain('build/electron-builder.yml');
  });

  it('sets the Electron fuses: no run-as-Node, NODE_OPTIONS or --inspect; encrypted cookies; code only from a checked app.asar', () => {
    expect(cfg.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // onlyLoadAppFromAsar and the integrity check need the app packed into app.asar.
    expect(cfg.asar).toBe(true);
  });

  it("passes electron-builder's schema check, which catches a misspelt option", async () => {
    await expect(validateConfiguration(structuredClone(cfg), new DebugLogger(false))).resolves.toBeUndefined();
    const typo = { ...structuredClone(cfg), electronFuses: { ...cfg.electronFuses, runAsnode: false } };
    await expect(validateConfiguration(typo, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  it('nothing the desktop app runs starts its own executable as Node (the runAsNode fuse is off)', () => {
    // The CLI runs under plain Node, where process.execPath is node itself.
    const offenders = sourceFiles(join(ROOT, 'src-main')).filter((f) => !f.includes(join('src-main', 'cli'))).filter((f) => /process\.execPath|ELECTRON_RUN_AS_NODE|\bfork\(|utilityProcess/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the CLI version matches package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
