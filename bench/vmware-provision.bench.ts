/**
 * The Linux provider's provisioning figures, measured again through the
 * VMware driver (fake vmrun with real Linux-lab guests, FAKE_VMRUN_GUESTS=linux-lab),
 * in one run so the two compare like with like on this noisy machine:
 * - first provision of the seed lab, parallel (4) vs one at a time (1);
 * - the no-op re-apply;
 * - lb-master-down: VIP failover time vs VRRP's master-down interval.
 * The gap between the providers is the VMware driver's own overhead (vmrun
 * calls, address discovery, VMnet handling), since the guests are the same.
 *   sudo npx tsx bench/vmware-provision.bench.ts [--vms-only]
 * The seed lab runs with engine MariaDB on both (the guests are Debian).
 * Note: the "gap" also holds the fake's own cost: each vmrun call is a new
 * node process, and the ones that change a guest load the Linux-lab code
 * through tsx (~0.5–1 s on this machine), which real vmrun does not pay.
 *
 * One run here (2 shared cores, 2026-11-30), linux / vmware / gap:
 *   VMs parallel (4) 25.0 / 24.2 s; one at a time 27.4 / 41.3 s (+51 %);
 *   first provision parallel 59.8 / 56.5 s; one at a time 137.2 / 127.7 s;
 *   no-op re-apply 5.6 / 6.0 s; lb-master-down VIP moved after
 *   3273 / 4317 ms (master-down interval 3609 ms on both).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import { cleanupGuests } from '../tests/fake-vmrun/guests/linux-lab';
import { requireRoot, ROOT, secs } from './lab-lib';

requireRoot('The VMware provisioning benchmark');
const vmsOnly = process.argv.includes('--vms-only');
const work = mkdtempSync(join(tmpdir(), 'halab-bench-vmware-'));
const FILE = join(work, 'vmware-3tier-ha.yaml');
writeFileSync(FILE, readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8').replace(/^(\s+)engine: mysql8\b.*$/m, '$1engine: mariadb'));
const stateDir = join(work, 'fake-state');
const etcDir = join(work, 'etc-vmware');
const VMWARE_ENV = {
  HALAB_VMRUN: join(ROOT, 'tests/fake-vmrun/vmrun'),
  HALAB_VMWARE_ETC_DIR: etcDir,
  HALAB_ALLOW_ROOT: '1',
  HALAB_TEMPLATE_UBUNTU_22_04: join(stateDir, 'templates', 'ubuntu-22.04', 'template.vmx'),
  FAKE_VMRUN_GUESTS: 'linux-lab',
  FAKE_VMRUN_STATE: stateDir,
  FAKE_VMWARE_ETC: etcDir,
};
console.log(`labs and the fake VMware host in ${work}`);
/** Each provider's lab in its own labs folder (a lab remembers the provider it was made with). */
let labsDir = join(work, 'labs-linux');

/** `halab ARGS` with the fake VMware host's environment; wall time in ms and stdout. */
async function halab(...args: string[]): Promise<{ ms: number; stdout: string }> {
  const t = performance.now();
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, timeoutMs: 1_800_000, okExitCodes: [0, 1, 2, 3], env: { HALAB_LABS_DIR: labsDir, HALAB_DATA_DIR: join(work, 'data'), NO_COLOR: '1', ...VMWARE_ENV } });
  if (r.exitCode !== 0) throw new Error(`halab ${args.join(' ')} exited ${r.exitCode}:\n${(r.stderr + r.stdout).slice(-3000)}`);
  return { ms: performance.now() - t, stdout: r.stdout };
}
const up = async (provider: string, ...more: string[]) => (await halab('up', FILE, '--provider', provider, ...(provider === 'vmware' ? ['--reconfigure-vmnet8'] : []), ...more)).ms;

interface Figures {
  vmsPar: number;
  vmsSeq: number;
  fullPar?: number;
  fullSeq?: number;
  noop?: number;
  vipMoveMs?: number;
  masterDownMs?: number;
}

async function measure(provider: 'linux' | 'vmware'): Promise<Figures> {
  labsDir = join(work, `labs-${provider}`);
  const f: Figures = { vmsPar: await up(provider, '--stage', 'vms', '--concurrency', '4'), vmsSeq: 0 };
  await halab('down', FILE);
  f.vmsSeq = await up(provider, '--stage', 'vms', '--concurrency', '1');
  await halab('down', FILE);
  if (vmsOnly) return f;
  f.fullPar = await up(provider, '--concurrency', '4');
  f.noop = await up(provider, '--concurrency', '4');
  const rep = JSON.parse((await halab('drill', FILE, 'lb-master-down', '--json')).stdout) as { verdict: string; measurements?: { vipMoveMs?: number; masterDownIntervalMs?: number } };
  if (rep.verdict !== 'passed') console.log(`  (${provider}: lb-master-down ${rep.verdict})`);
  f.vipMoveMs = rep.measurements?.vipMoveMs;
  f.masterDownMs = rep.measurements?.masterDownIntervalMs;
  await halab('down', FILE);
  f.fullSeq = await up(provider, '--concurrency', '1');
  await halab('down', FILE);
  return f;
}

process.on('exit', (code) => code && console.log(`(this run failed; clean up with: HALAB_LABS_DIR=${labsDir} npx halab down ${FILE}; npx tsx tests/fake-vmrun/guests/cleanup.ts ${stateDir})`));
await halab('down', FILE).catch(() => undefined);
const linux = await measure('linux');
const vmware = await measure('vmware');
await cleanupGuests(stateDir);
rmSync(work, { recursive: true, force: true });

const row = (what: string, a?: number, b?: number, fmt = secs) =>
  console.log(`  ${what.padEnd(34)} ${(a === undefined ? '–' : fmt(a)).padStart(9)} ${(b === undefined ? '–' : fmt(b)).padStart(9)} ${a === undefined || b === undefined ? '' : `${fmt(b - a).padStart(9)} (${(((b - a) / a) * 100).toFixed(0)} %)`}`);
const ms = (x: number) => `${Math.round(x)} ms`;
console.log('\nseed lab (6 VMs), Linux provider vs VMware driver (fake vmrun, same guests)');
console.log(`  ${''.padEnd(34)} ${'linux'.padStart(9)} ${'vmware'.padStart(9)} ${'gap'.padStart(9)}`);
row('VMs, parallel (4)', linux.vmsPar, vmware.vmsPar);
row('VMs, one at a time (1)', linux.vmsSeq, vmware.vmsSeq);
console.log(`  VMs one-at-a-time / parallel: linux ${(linux.vmsSeq / linux.vmsPar).toFixed(2)}, vmware ${(vmware.vmsSeq / vmware.vmsPar).toFixed(2)}`);
if (!vmsOnly) {
  row('first provision, parallel (4)', linux.fullPar, vmware.fullPar);
  row('first provision, one at a time (1)', linux.fullSeq, vmware.fullSeq);
  row('no-op re-apply', linux.noop, vmware.noop);
  row('lb-master-down: VIP moved after', linux.vipMoveMs, vmware.vipMoveMs, ms);
  console.log(`  master-down interval: linux ${linux.masterDownMs ?? '–'} ms, vmware ${vmware.masterDownMs ?? '–'} ms`);
}
