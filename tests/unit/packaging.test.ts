import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { VERSION } from '../../src-main/cli/version';
import { ROOT } from '../helpers/paths';

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

  it('the CLI version matches package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
