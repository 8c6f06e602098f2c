/**
 * The CLI's picture and report commands, run as a student runs them
 * (node bin/halab.mjs): graph --format svg|png|mermaid, report in both
 * languages and formats, and the usage errors.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { REPO } from '../golden/configs/support/render';

const labs = mkdtempSync(join(tmpdir(), 'halab-report-cli-'));
const halab = (args: string[], env: Record<string, string> = {}) => run(['node', join(REPO, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: REPO, env: { NO_COLOR: '1', HALAB_LABS_DIR: labs, HALAB_DATA_DIR: join(labs, '.data'), LANG: 'C.UTF-8', LC_ALL: '', ...env }, timeoutMs: 120_000 });

describe('halab graph', () => {
  it('prints Mermaid by default and the golden SVG with --format svg (Korean with --lang ko or LANG=ko_KR)', async () => {
    const m = await halab(['graph', 'lab-blueprints/vmware-3tier-ha.yaml']);
    expect(m.exitCode).toBe(0);
    expect(m.stdout).toMatch(/^flowchart LR/);
    const svg = await halab(['graph', 'lab-blueprints/vmware-3tier-ha.yaml', '--format', 'svg']);
    expect(svg.stdout).toBe(readFileSync(join(REPO, 'tests/golden/topology/vmware-3tier-ha.en.svg'), 'utf8'));
    const ko = await halab(['graph', 'lab-blueprints/k8s-ha-platform.yaml', '--format', 'svg'], { LANG: 'ko_KR.UTF-8' });
    expect(ko.stdout).toBe(readFileSync(join(REPO, 'tests/golden/topology/k8s-ha-platform.ko.svg'), 'utf8'));
  });

  it('writes a PNG through headless Chromium with --output', async () => {
    const out = join(labs, 'lab.png');
    const r = await halab(['graph', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'png', '--output', out]);
    expect(r.exitCode).toBe(0);
    const png = readFileSync(out);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const svg = (await halab(['graph', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'svg'])).stdout;
    const [w, h] = [Number(/width="(\d+)"/.exec(svg)![1]), Number(/height="(\d+)"/.exec(svg)![1])];
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([w * 2, h * 2]);
    const none = await halab(['graph', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'png', '--output', join(labs, 'none.png')], { HALAB_CHROMIUM: '/nonexistent/chromium' });
    expect(none.exitCode).toBe(3);
    expect(none.stderr).toContain('No headless Chromium was found, so a PNG cannot be made on this computer');
  }, 60_000);

  it('refuses an unknown format or language with exit code 2', async () => {
    const f = await halab(['graph', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'jpg']);
    expect(f.exitCode).toBe(2);
    expect(f.stderr).toContain('--format must be mermaid, svg or png, not "jpg"');
    const l = await halab(['graph', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'svg', '--lang', 'fr']);
    expect(l.exitCode).toBe(2);
    expect(l.stderr).toContain('--lang must be en or ko, not "fr"');
  });
});

describe('halab report', () => {
  it('is listed in --help and has its own usage', async () => {
    expect((await halab(['--help'])).stdout).toContain('report FILE [--lang en|ko] [--format html|md|pdf] [--output OUT]');
    expect((await halab(['report', '--help'])).stdout).toBe('Usage: halab report FILE [--lang en|ko] [--format html|md|pdf] [--output OUT]\n');
  });

  it('for a lab never brought up here: HTML in Korean and Markdown in English that say so', async () => {
    const html = await halab(['report', 'lab-blueprints/vmware-3tier-ha.yaml', '--lang', 'ko']);
    expect(html.exitCode).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>\n<html lang="ko">/);
    expect(html.stdout).toContain('아직 프로비저닝하지 않았습니다');
    expect(html.stdout).toContain('<td>192.168.10.11</td>');
    expect(html.stdout).toContain('data-vm="db-slave"');
    const md = await halab(['report', 'lab-blueprints/vmware-3tier-ha.yaml', '--format', 'md']);
    expect(md.stdout).toContain('# Lab report: VMware 3-tier HA lab (plumbing reservation service)');
    expect(md.stdout).toContain('Not provisioned yet');
    expect(md.stdout).toContain('No drill report: the lab has not been provisioned on this computer.');
  });

  it('refuses a bad format, and an invalid blueprint exits 1 with its problems', async () => {
    const f = await halab(['report', 'lab-blueprints/vmware-3tier-ha.yaml', '--format', 'docx']);
    expect(f.exitCode).toBe(2);
    expect(f.stderr).toContain('--format must be html, md or pdf, not "docx"');
    const bad = await halab(['report', 'tests/blueprints/invalid/duplicate-vrid.yaml']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/duplicate-vrid\.yaml:\d+:\d+/);
  });
});
