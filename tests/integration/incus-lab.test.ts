/**
 * The whole flow on the Incus/LXD provider for real (Debian's LXD here, no
 * mocks): `halab up lab-blueprints/lb-pair-minimal.yaml --provider incus`
 * from nothing (a project, a guarded bridge without NAT, three containers
 * from the imported base image, static addresses over SSH), the VIP
 * answering from the host, `halab drill lb-master-down` passing (the master
 * hard-stopped through the API), and `halab down` leaving no instance,
 * network, image alias or project the lab made. One lab shared by the cases.
 * Beside it, brought up at the same time, the seed lab
 * (`vmware-3tier-ha.yaml`: 6 containers, two networks, MySQL replication):
 * up's own verify passed, the VIP answering from both app servers, and its
 * `down` leaving nothing either.
 * Never skipped: without the daemon it fails and says why.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { IncusProvider } from '../../src-main/hypervisor/incus';
import { aliasTarget, baseAlias } from '../../src-main/hypervisor/incus/image';
import { ensureBaseImage } from '../../src-main/hypervisor/linux/base-image';
import { networkName, projectName } from '../../src-main/hypervisor/incus/names';
import { labRef } from '../../src-main/lab/lab-home';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const FILE = join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml');
const resolved = validateBlueprintText(readFileSync(FILE, 'utf8')).resolved!;
const labsDir = mkdtempSync(join(tmpdir(), 'halab-it-incus-'));
process.env.HALAB_LABS_DIR = labsDir;
const env = { NO_COLOR: '1', HALAB_LABS_DIR: labsDir };
const lab = labRef(resolved.name);
const hv = new IncusProvider();
const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, okExitCodes: [0, 1, 2, 3], timeoutMs: 900_000, env });
const VIP = resolved.lab.services.vips?.[0]?.address ?? '192.168.20.100';
const SEED = join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml');
const seed = validateBlueprintText(readFileSync(SEED, 'utf8')).resolved!;
const seedLab = labRef(seed.name);
const SEED_VIP = seed.lab.services.vips[0]!.address;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The Incus integration test must run as root (it guards the lab subnets with host routes).');
  const u = await hv.checkUsable();
  if (!u.usable) throw new Error(`Incus/LXD cannot run here: ${u.reason} ${u.fix ?? ''} (sudo bash scripts/incus/setup.sh)`);
  await hv.cleanupLab(lab, { keepGuards: true });
  await hv.cleanupLab(seedLab, { keepGuards: true });
  // Both labs at once: the small one and the seed lab, each its own project.
  const [r, s] = await Promise.all([halab('up', FILE, '--provider', 'incus'), halab('up', SEED, '--provider', 'incus')]);
  if (r.exitCode !== 0) throw new Error(`halab up --provider incus failed (exit ${r.exitCode}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  if (s.exitCode !== 0) {
    const failed = s.stdout.split('\n').filter((l) => l.startsWith('✗') || /^\s+(error|failed)/i.test(l));
    throw new Error(`halab up vmware-3tier-ha.yaml --provider incus failed (exit ${s.exitCode}):\n${failed.join('\n')}\n…\n${s.stdout.slice(-1500)}\n${s.stderr.slice(-3000)}`);
  }
}, 900_000);

afterAll(async () => {
  await Promise.all([halab('down', FILE).catch(() => undefined), halab('down', SEED).catch(() => undefined)]);
  await hv.cleanupLab(lab, { keepGuards: true }).catch(() => undefined);
  await hv.cleanupLab(seedLab, { keepGuards: true }).catch(() => undefined);
}, 300_000);

describe('lb-pair-minimal on Incus/LXD', { timeout: 300_000 }, () => {
  it('halab doctor --provider incus: daemon, trust, pool, image and the lab\'s quota are ok; KVM said either way', async () => {
    const r = await halab('doctor', FILE, '--provider', 'incus', '--json');
    const rep = JSON.parse(r.stdout) as { provider: string; lines: { id: string; level: string }[] };
    expect(rep.provider).toBe('incus');
    const level = Object.fromEntries(rep.lines.map((l) => [l.id, l.level]));
    expect(level).toMatchObject({ 'incus-daemon': 'ok', 'incus-trust': 'ok', 'incus-pool': 'ok', 'incus-image': 'ok', 'incus-quota': 'ok' });
    expect(['ok', 'warning']).toContain(level['incus-kvm']);
    // No NAT bridge on the server (never lxdbr0).
    expect(rep.lines.filter((l) => l.id.startsWith('incus-nat-'))).toEqual([]);
  });

  it('is a project of three running containers on a no-NAT bridge, within its limits', async () => {
    const c = await hv.client();
    const project = projectName(lab.id);
    const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`);
    expect(proj.config['limits.instances']).toBe('3');
    expect(proj.config['limits.memory']).toBe(`${resolved.nodes.reduce((s, n) => s + n.memoryMiB, 0)}MiB`);
    const vms = await hv.list(lab);
    expect(vms.map((v) => v.name).sort()).toEqual(['app1', 'lb1', 'lb2']);
    for (const v of vms) expect(v.state).toBe('running');
    // Static addresses from the blueprint, set over SSH; the MAC from the blueprint.
    for (const n of resolved.nodes) {
      expect(vms.find((v) => v.name === n.hostname)?.addresses).toContain(n.nics[0]!.address);
      const inst = await c.get<{ devices: Record<string, { hwaddr: string }> }>(`/1.0/instances/${n.hostname}`, { project });
      expect(inst.devices.ens33?.hwaddr).toBe(n.nics[0]!.mac.toLowerCase());
    }
    const net = await c.get<{ config: Record<string, string> }>(`/1.0/networks/${networkName(lab.id, 'vmnet8')}`);
    expect(net.config).toMatchObject({ 'ipv4.nat': 'false', 'ipv4.address': '192.168.20.1/24', 'ipv6.address': 'none' });
    // Guarded like the Linux lab: an unreachable route under the bridge's own route, no forwarding from it.
    expect((await run(['ip', 'route', 'show', 'type', 'unreachable'])).stdout).toContain('unreachable 192.168.20.0/24 metric 4000');
    expect((await run(['ip', 'rule', 'show'])).stdout).toContain(`iif ${networkName(lab.id, 'vmnet8')} unreachable`);
    expect((await run(['iptables-save', '-t', 'nat'])).stdout).not.toContain('192.168.20.0/24');
  });

  it('answers through the VIP from the host', async () => {
    const r = await fetch(`http://${VIP}/`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-served-by')).toBe('app1');
  });

  it('halab status shows the lab on incus', async () => {
    const r = await halab('status', FILE, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout) as { provider: string; vms: { name: string; state: string }[] };
    expect(st.provider).toBe('incus');
    expect(st.vms.every((v) => v.state === 'running')).toBe(true);
  });

  it('lb-master-down passes: the VIP moves to lb2 within the master-down interval and comes back', async () => {
    const r = await halab('drill', FILE, 'lb-master-down', '--json');
    expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
    const rep = JSON.parse(r.stdout) as DrillReport;
    expect(rep.verdict, `${rep.verdictText}\n${JSON.stringify(rep.measurements)}`).toBe('passed');
    expect(rep.measurements!.vipMoveMs).toBeGreaterThan(0);
    expect(rep.measurements!.vipMoveMs!).toBeLessThan(rep.measurements!.masterDownIntervalMs! + 2000);
    expect(await hv.state(lab, 'lb1')).toBe('running');
  });

  it('halab down leaves no instance, network, image alias or project; the shared image stays', async () => {
    const r = await halab('down', FILE);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    expect(await hv.leftovers(lab)).toEqual({ instances: [], networks: [], aliases: [], project: [] });
    const c = await hv.client();
    const base = await ensureBaseImage();
    expect(await aliasTarget(c, baseAlias(base))).toBe(await hv.ensureImage());
  });
});

describe('the seed lab on Incus/LXD', { timeout: 300_000 }, () => {
  it('six running containers, each with its blueprint addresses on both networks', async () => {
    const vms = await hv.list(seedLab);
    expect(vms.map((v) => v.name).sort()).toEqual(seed.nodes.map((n) => n.hostname).sort());
    for (const n of seed.nodes) {
      const vm = vms.find((v) => v.name === n.hostname)!;
      expect(vm.state).toBe('running');
      for (const nic of n.nics) expect(vm.addresses, `${n.hostname} ${nic.network}`).toContain(nic.address);
    }
  });

  it('answers through its VIP, served by both app servers', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`http://${SEED_VIP}/`, { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      served.add(r.headers.get('x-served-by') ?? '?');
    }
    expect([...served].sort()).toEqual(['app-server-01', 'app-server-02']);
  });

  it('halab down leaves no instance, network, image alias or project of the seed lab', async () => {
    const r = await halab('down', SEED);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    expect(await hv.leftovers(seedLab)).toEqual({ instances: [], networks: [], aliases: [], project: [] });
  });
});
