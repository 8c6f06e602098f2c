/**
 * Provisioning time and memory per lab on Incus/LXD beside the Linux lab
 * provider, in one run, the same blueprint on both (one at a time):
 * `halab up` wall time, the host's memory taken by the running lab (drop of
 * MemAvailable once the lab has settled, page cache dropped before each
 * reading) and, on Incus, the containers' own memory as the API reports it;
 * then `halab down`. From the per-lab memory: how many such labs fit on one
 * 24 GiB machine (2 GiB kept for the host) and on a 3-member cluster of them.
 *
 *   flock /run/halab-lab.lock npx tsx bench/incus-provision.bench.ts [BLUEPRINT]
 *   (default lab-blueprints/vmware-3tier-ha.yaml, the seed lab)
 */
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import { IncusProvider } from '../src-main/hypervisor/incus';
import { projectName } from '../src-main/hypervisor/incus/names';
import { LABS_DIR, requireRoot, ROOT, secs } from './lab-lib';

requireRoot('The Incus provisioning benchmark');
const file = join(ROOT, process.argv[2] ?? 'lab-blueprints/vmware-3tier-ha.yaml');
const MACHINE_GIB = 24;
const HOST_RESERVE_GIB = 2;

async function memAvailableMiB(): Promise<number> {
  await writeFile('/proc/sys/vm/drop_caches', '3\n').catch(() => undefined);
  const m = /MemAvailable:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `halab ARGS` with its own labs folder per provider (a lab folder keeps the
 * provider it was made on, even after `down`); resolves with the wall time.
 */
async function halab(provider: 'linux' | 'incus', ...args: string[]): Promise<number> {
  const dir = join(LABS_DIR, provider);
  mkdirSync(dir, { recursive: true });
  const t = performance.now();
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), ...args, '--provider', provider], { cwd: ROOT, timeoutMs: 1_800_000, okExitCodes: [0, 1, 2, 3], env: { HALAB_LABS_DIR: dir, NO_COLOR: '1' } });
  if (r.exitCode !== 0) throw new Error(`halab ${args.join(' ')} --provider ${provider} exited ${r.exitCode}:\n${(r.stderr + r.stdout).slice(-3000)}`);
  return performance.now() - t;
}

async function measure(provider: 'linux' | 'incus'): Promise<{ upMs: number; hostMiB: number; apiMiB?: number; downMs: number }> {
  await halab(provider, 'down', file).catch(() => 0);
  const before = await memAvailableMiB();
  let upMs: number;
  try {
    upMs = await halab(provider, 'up', file);
  } catch (e) {
    await halab(provider, 'down', file).catch(() => 0);
    throw e;
  }
  await settle(20_000);
  const after = await memAvailableMiB();
  let apiMiB: number | undefined;
  if (provider === 'incus') {
    const name = /\n\s*name:\s*([^\s#]+)/.exec(await readFile(file, 'utf8'))?.[1] ?? '';
    const c = await new IncusProvider().client();
    const all = await c.get<{ state?: { memory?: { usage?: number } } }[]>('/1.0/instances', { project: projectName(name), query: { recursion: '2' } });
    apiMiB = Math.round(all.reduce((s, i) => s + (i.state?.memory?.usage ?? 0), 0) / 2 ** 20);
  }
  const downMs = await halab(provider, 'down', file);
  return { upMs, hostMiB: before - after, apiMiB, downMs };
}

const rows: [string, Awaited<ReturnType<typeof measure>>][] = [];
for (const p of ['linux', 'incus'] as const) {
  console.log(`… ${p}: up, settle, measure, down`);
  rows.push([p, await measure(p)]);
}
console.log(`\n${file.replace(`${ROOT}/`, '')}`);
console.log('provider  up        down      host memory  (containers, API)');
for (const [p, r] of rows) console.log(`${p.padEnd(9)} ${secs(r.upMs).padEnd(9)} ${secs(r.downMs).padEnd(9)} ${`${r.hostMiB} MiB`.padEnd(12)} ${r.apiMiB !== undefined ? `${r.apiMiB} MiB` : '-'}`);
const [, linux] = rows[0]!;
const [, incus] = rows[1]!;
console.log(`incus/linux: up ×${(incus.upMs / linux.upMs).toFixed(2)}, memory ×${(incus.hostMiB / Math.max(1, linux.hostMiB)).toFixed(2)}`);
// The host's drop in MemAvailable also moves with whatever else runs on this machine; the
// containers' own memory (the API's cgroup figure) is the lab's alone. Both estimates are printed;
// the larger per-lab figure is the one to plan with.
const fits = (per: number) => Math.floor(((MACHINE_GIB - HOST_RESERVE_GIB) * 1024) / Math.max(1, per));
for (const [what, per] of [
  ['host MemAvailable drop', incus.hostMiB],
  ['containers, API', incus.apiMiB ?? 0],
] as const) {
  if (per <= 0) continue;
  console.log(`Estimate from ${per} MiB per lab on Incus (${what}): ${fits(per)} such labs on one ${MACHINE_GIB} GiB machine (${HOST_RESERVE_GIB} GiB kept for the host), ${3 * fits(per)} on a 3-member cluster of them (memory only; CPU and disk not counted).`);
}
