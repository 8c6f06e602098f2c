/**
 * The classroom for real on Incus/LXD (Debian's LXD here): `halab class up
 * lab-blueprints/lb-pair-minimal.yaml --students 3` gives three labs side by
 * side, each in its own project with quotas and its own re-numbered subnet;
 * each answers through its own VIP; `halab class status` shows one line per
 * student; `halab class down` removes every project, network and image alias
 * the class made. Never skipped: without the daemon it fails and says why.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { IncusProvider } from '../../src-main/hypervisor/incus';
import { projectName } from '../../src-main/hypervisor/incus/names';
import { labRef } from '../../src-main/lab/lab-home';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const FILE = join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml');
const resolved = validateBlueprintText(readFileSync(FILE, 'utf8')).resolved!;
const labsDir = mkdtempSync(join(tmpdir(), 'halab-it-class-'));
process.env.HALAB_LABS_DIR = labsDir;
const env = { NO_COLOR: '1', HALAB_LABS_DIR: labsDir };
const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, okExitCodes: [0, 1, 2, 3], timeoutMs: 900_000, env });
const hv = new IncusProvider();
const STUDENTS = [1, 2, 3].map((n) => ({ n, lab: `${resolved.name}-s0${n}`, vip: `192.168.${20 + n}.100` }));

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The classroom integration test must run as root (it guards the lab subnets with host routes).');
  const u = await hv.checkUsable();
  if (!u.usable) throw new Error(`Incus/LXD cannot run here: ${u.reason} ${u.fix ?? ''} (sudo bash scripts/incus/setup.sh)`);
  for (const s of STUDENTS) await hv.cleanupLab(labRef(s.lab), { keepGuards: true });
  const r = await halab('class', 'up', FILE, '--students', '3');
  if (r.exitCode !== 0) throw new Error(`halab class up failed (exit ${r.exitCode}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
}, 900_000);

afterAll(async () => {
  await halab('class', 'down').catch(() => undefined);
  for (const s of STUDENTS) await hv.cleanupLab(labRef(s.lab), { keepGuards: true }).catch(() => undefined);
}, 300_000);

describe('3 × lb-pair-minimal side by side, a project each', { timeout: 300_000 }, () => {
  it('each student has a project with quotas and three running containers on their own subnet', async () => {
    const c = await hv.client();
    for (const s of STUDENTS) {
      const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${projectName(s.lab)}`);
      expect(proj.config).toMatchObject({ 'limits.instances': '3', 'limits.memory': '3072MiB', 'limits.cpu': '3' });
      const vms = await hv.list(labRef(s.lab));
      expect(vms.map((v) => v.state)).toEqual(['running', 'running', 'running']);
      for (const v of vms) for (const a of v.addresses) expect(a.startsWith(`192.168.${20 + s.n}.`), `${s.lab} ${v.name} ${a}`).toBe(true);
    }
  });

  it('each lab answers through its own VIP', async () => {
    for (const s of STUDENTS) {
      const r = await fetch(`http://${s.vip}/`, { signal: AbortSignal.timeout(5000) });
      expect(r.status, s.vip).toBe(200);
    }
  });

  it('class status: one line per student with health and no drill yet', async () => {
    const r = await halab('class', 'status', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { student: number; lab: string; running: number; total: number; drill?: unknown }[];
    expect(rows.map((x) => [x.student, x.lab, x.running, x.total])).toEqual(STUDENTS.map((s) => [s.n, s.lab, 3, 3]));
    const text = await halab('class', 'status');
    expect(text.stdout).toContain('3/3 running');
  });

  it('halab plan counts the class’s containers against this computer’s kernel limits (raised by setup.sh)', async () => {
    const r = await halab('plan', FILE, '--provider', 'incus');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ This computer’s kernel limits hold about \d+ containers: 9 run now, this lab adds 3/);
  });

  it('class down removes every project, network and image alias the class made', async () => {
    const r = await halab('class', 'down');
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    for (const s of STUDENTS) expect(await hv.leftovers(labRef(s.lab))).toEqual({ instances: [], networks: [], aliases: [], project: [] });
    expect((await halab('class', 'status')).exitCode).toBe(3);
  });
});
