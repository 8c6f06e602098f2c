/**
 * The Linux lab provider for real (root, no mocks): base image, two networks,
 * three VMs booted with systemd, SSH port reachable at DHCP addresses, link
 * pulled and plugged, suspend, snapshot/revert, soft and hard stop, the
 * network-safety guard, destroy, and nothing left behind. Never skipped: on a
 * machine that cannot run it, it fails and says why.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { ensureBaseImageDetailed } from '../../src-main/hypervisor/linux/base-image';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import { bridgeName, bridgePrefix, netnsPrefix, vethPrefix } from '../../src-main/hypervisor/linux/names';
import { parseProcStat } from '../../src-main/hypervisor/linux/parse';
import { removeTree } from '../../src-main/hypervisor/linux/proc';
import type { LabRef, NetworkSpec, VmSpec } from '../../src-main/hypervisor/types';
import { tcpProbe } from '../helpers/net';

const LAB_ID = 'it-linux';
const NETS: NetworkSpec[] = [
  { name: 'vmnet21', type: 'nat', subnet: '10.231.21.0/24', hostAddress: '10.231.21.1', natGateway: '10.231.21.2', dhcp: { start: '10.231.21.128', end: '10.231.21.254' } },
  { name: 'vmnet22', type: 'hostonly', subnet: '10.231.22.0/24', hostAddress: '10.231.22.1', dhcp: { start: '10.231.22.128', end: '10.231.22.254' } },
];

function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} halab-it`;
}

const KEY = sshPublicKey();
const base = { template: '', clone: 'linked' as const, vcpus: 1, memoryMiB: 512, diskGiB: 8, sshPublicKey: KEY };
const VMS: VmSpec[] = [
  { ...base, name: 'web1', nics: [{ network: 'vmnet21', mac: '00:50:56:2b:21:01' }] },
  { ...base, name: 'app1', nics: [{ network: 'vmnet21', mac: '00:50:56:2b:21:02' }, { network: 'vmnet22', mac: '00:50:56:2b:22:02' }] },
  { ...base, name: 'db1', nics: [{ network: 'vmnet22', mac: '00:50:56:2b:22:03' }] },
];

async function waitPort(host: string, port: number, totalMs: number): Promise<boolean> {
  const until = Date.now() + totalMs;
  for (let i = 0; i < 400 && Date.now() < until; i++) {
    if ((await tcpProbe(host, port, 1000)).result === 'open') return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

/** Live (non-zombie) processes whose command line mentions `text`. */
async function liveProcessesMentioning(text: string): Promise<string[]> {
  const out: string[] = [];
  const { readdir } = await import('node:fs/promises');
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const st = parseProcStat(await readFile(`/proc/${e}/stat`, 'utf8').catch(() => ''));
    if (!st || st.state === 'Z') continue;
    const cmdline = (await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (cmdline.includes(text) && /nspawn|dnsmasq/.test(cmdline)) out.push(`${e} ${cmdline.slice(0, 120)}`);
  }
  return out;
}

describe('Linux lab provider, for real', () => {
  const hv = new LinuxLabProvider({ softStopTimeoutMs: 60_000 });
  let lab: LabRef = { id: LAB_ID, dir: '' };
  const ips = new Map<string, string>();

  beforeAll(async () => {
    const u = await hv.checkUsable();
    if (!u.usable) throw new Error(`The Linux lab cannot run on this machine: ${u.reason} Fix: ${u.fix}`);
    lab = { id: LAB_ID, dir: await mkdtemp('/tmp/halab-it-linux-') };
    await hv.cleanupLab(lab);
  }, 120_000);

  afterAll(async () => {
    if (!lab.dir) return;
    await hv.cleanupLab(lab).catch((e: unknown) => console.error(e));
    await rm(lab.dir, { recursive: true, force: true });
  }, 120_000);

  it('builds or reuses the base image', async () => {
    const img = await ensureBaseImageDetailed({ log: (l) => console.log(l) });
    console.log(`base image ${img.cached ? 'cached' : 'cold build'}: ${(img.durationMs / 1000).toFixed(1)} s`);
    expect(existsSync(join(img.path, 'lib/systemd/systemd'))).toBe(true);
    expect(existsSync(join(img.path, 'usr/sbin/sshd'))).toBe(true);
    expect(existsSync(join(img.path, 'usr/sbin/keepalived'))).toBe(true);
    expect((await readFile(join(img.path, 'etc/machine-id'), 'utf8')).trim()).toBe('');
    const again = await ensureBaseImageDetailed();
    expect(again.cached).toBe(true);
    expect(again.path).toBe(img.path);
    expect(again.durationMs).toBeLessThan(2000);
  }, 45 * 60_000);

  it('refuses a lab subnet that is not private, creating nothing', async () => {
    await expect(hv.ensureNetwork(lab, { name: 'vmnet29', type: 'nat', subnet: '8.8.8.0/24', hostAddress: '8.8.8.1' })).rejects.toThrow(/not a private address range/);
    expect((await run(['ip', 'route', 'show', '8.8.8.0/24'])).stdout.trim()).toBe('');
  });

  it('creates two guarded networks with DHCP, idempotently', async () => {
    for (const n of NETS) await hv.ensureNetwork(lab, n);
    for (const n of NETS) await hv.ensureNetwork(lab, n);
    const unreachable = (await run(['ip', 'route', 'show', 'type', 'unreachable'])).stdout;
    for (const n of NETS) {
      expect(unreachable).toContain(`unreachable ${n.subnet} metric 4000`);
      const br = bridgeName(LAB_ID, n.name);
      expect((await run(['ip', '-4', '-br', 'addr', 'show', 'dev', br])).stdout).toContain(`${n.hostAddress}/24`);
      expect(await liveProcessesMentioning(`--interface=${br}`)).toHaveLength(1);
    }
    await expect(hv.ensureNetwork(lab, { ...NETS[0]!, hostAddress: '10.231.21.3' })).rejects.toThrow(/other settings/);
  }, 60_000);

  it('creates three VMs with their own identity and NICs, powered off', async () => {
    await Promise.all(VMS.map((v) => hv.createVm(lab, v)));
    for (const v of VMS) await hv.createVm(lab, v);
    const ids = new Set<string>();
    for (const v of VMS) {
      expect(await hv.state(lab, v.name)).toBe('off');
      const upper = join(lab.dir, 'vms', v.name, 'upper');
      ids.add((await readFile(join(upper, 'etc/machine-id'), 'utf8')).trim());
      expect((await readFile(join(upper, 'etc/hostname'), 'utf8')).trim()).toBe(v.name);
      expect((await readFile(join(upper, 'root/.ssh/authorized_keys'), 'utf8')).trim()).toBe(KEY);
      expect((await stat(join(upper, 'root/.ssh/authorized_keys'))).mode & 0o777).toBe(0o600);
      const links = JSON.parse((await run(['ip', '-n', `${netnsPrefix(LAB_ID)}${v.name}`, '-j', 'link', 'show'])).stdout) as { ifname: string; address: string }[];
      v.nics.forEach((nic, i) => expect(links.find((l) => l.ifname === `ens${33 + i}`)?.address).toBe(nic.mac));
    }
    expect(ids.size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    await expect(hv.createVm(lab, { ...VMS[0]!, nics: [{ network: 'vmnet22', mac: '00:50:56:2b:21:01' }] })).rejects.toThrow(/other NICs/);
  }, 10 * 60_000);

  it('boots all three; SSH answers at each DHCP address', async () => {
    await Promise.all(VMS.map((v) => hv.start(lab, v.name)));
    for (const v of VMS) expect(await hv.state(lab, v.name)).toBe('running');
    for (const v of VMS) {
      for (const nic of v.nics) {
        const ip = await hv.guestAddress(lab, v.name, { network: nic.network, timeoutMs: 120_000 });
        ips.set(`${v.name}/${nic.network}`, ip);
        expect(await waitPort(ip, 22, 90_000), `ssh on ${v.name} ${ip}`).toBe(true);
      }
    }
    expect(new Set(ips.values()).size).toBe(4);
    const listed = await hv.list(lab);
    expect(listed.find((i) => i.name === 'app1')?.addresses.sort()).toEqual([ips.get('app1/vmnet21'), ips.get('app1/vmnet22')].sort());
  }, 5 * 60_000);

  it('pulls and plugs back a NIC cable', async () => {
    const ip = ips.get('app1/vmnet22') ?? '';
    await hv.setLink(lab, 'app1', 1, false);
    const carrier = async (): Promise<string[]> =>
      (JSON.parse((await run(['ip', '-n', `${netnsPrefix(LAB_ID)}app1`, '-j', 'link', 'show', 'dev', 'ens34'])).stdout) as { flags: string[] }[])[0]?.flags ?? [];
    expect(await carrier()).toContain('NO-CARRIER');
    expect((await tcpProbe(ip, 22, 2000)).result).not.toBe('open');
    expect(await hv.state(lab, 'app1')).toBe('running');
    await hv.setLink(lab, 'app1', 1, true);
    expect(await carrier()).not.toContain('NO-CARRIER');
    expect(await waitPort(ip, 22, 30_000)).toBe(true);
  }, 120_000);

  it('suspends (freezes) a VM and resumes it with start', async () => {
    await hv.suspend(lab, 'db1');
    expect(await hv.state(lab, 'db1')).toBe('suspended');
    await hv.start(lab, 'db1');
    expect(await hv.state(lab, 'db1')).toBe('running');
    expect(await waitPort(ips.get('db1/vmnet22') ?? '', 22, 30_000)).toBe(true);
  }, 120_000);

  it('snapshots a running VM and reverts it (the revert leaves it off)', async () => {
    await hv.snapshot(lab, 'web1', 'clean');
    expect(await hv.state(lab, 'web1')).toBe('running');
    expect(await hv.listSnapshots(lab, 'web1')).toEqual(['clean']);
    await expect(hv.snapshot(lab, 'web1', 'clean')).rejects.toThrow(/already exists/);
    const marker = join(lab.dir, 'vms/web1/merged/root/after-snapshot.txt');
    await writeFile(marker, 'changed after the snapshot\n');
    expect(existsSync(join(lab.dir, 'vms/web1/upper/root/after-snapshot.txt'))).toBe(true);
    await hv.revert(lab, 'web1', 'clean');
    expect(await hv.state(lab, 'web1')).toBe('off');
    expect(existsSync(join(lab.dir, 'vms/web1/upper/root/after-snapshot.txt'))).toBe(false);
    await hv.start(lab, 'web1');
    const ip = await hv.guestAddress(lab, 'web1', { timeoutMs: 120_000 });
    expect(await waitPort(ip, 22, 90_000)).toBe(true);
    await hv.deleteSnapshot(lab, 'web1', 'clean');
    expect(await hv.listSnapshots(lab, 'web1')).toEqual([]);
  }, 5 * 60_000);

  it('stops a VM soft (clean guest shutdown)', async () => {
    await hv.stop(lab, 'db1', 'soft');
    expect(await hv.state(lab, 'db1')).toBe('off');
  }, 120_000);

  it('hard stop kills the whole process tree at once', async () => {
    const runState = JSON.parse(await readFile(join(lab.dir, 'vms/web1/run.json'), 'utf8')) as { pid: number };
    const tree = (await liveProcessesMentioning(join(lab.dir, 'vms/web1'))).length;
    expect(tree).toBe(1);
    const started = Date.now();
    await hv.stop(lab, 'web1', 'hard');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await hv.state(lab, 'web1')).toBe('off');
    const st = parseProcStat(await readFile(`/proc/${runState.pid}/stat`, 'utf8').catch(() => ''));
    expect(st === undefined || st.state === 'Z').toBe(true);
    await hv.stop(lab, 'app1', 'hard');
    await hv.stop(lab, 'web1', 'hard');
    for (const v of VMS) expect(await hv.state(lab, v.name)).toBe('off');
    expect(await liveProcessesMentioning(join(lab.dir, 'vms'))).toEqual([]);
  }, 120_000);

  it('keeps lab traffic on this machine: with the bridge gone, a lab address is unreachable at once', async () => {
    const target = ips.get('web1/vmnet21') ?? '10.231.21.200';
    await hv.removeNetwork(lab, 'vmnet21');
    expect((await run(['ip', '-br', 'link'])).stdout).not.toContain(bridgeName(LAB_ID, 'vmnet21'));
    // Check the route before any packet is sent: a packet must never follow the default route.
    const route = await run(['ip', 'route', 'get', target], { okExitCodes: [0, 1, 2] });
    expect(`${route.stdout}${route.stderr}`, 'the guard route must make the lab subnet unreachable').toMatch(/unreachable|No route to host/i);
    const probe = await tcpProbe(target, 22, 3000);
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(probe.result);
    expect(probe.ms).toBeLessThan(1000);
    // A lost guard (reboot, a person deleting it) comes back before the provider leads to traffic again.
    await run(['ip', 'route', 'del', 'unreachable', '10.231.21.0/24', 'metric', '4000']);
    await hv.list(lab);
    expect((await run(['ip', 'route', 'show', 'type', 'unreachable'])).stdout).toContain('unreachable 10.231.21.0/24 metric 4000');
  }, 60_000);

  it('never deletes through a mount point', async () => {
    const dir = join(lab.dir, 'mount-probe');
    await mkdir(join(dir, 'inside'), { recursive: true });
    await run(['mount', '-t', 'tmpfs', 'tmpfs', join(dir, 'inside')]);
    try {
      await writeFile(join(dir, 'inside', 'precious'), 'x');
      await expect(removeTree(dir)).rejects.toThrow(/still mounted/);
      expect(existsSync(join(dir, 'inside', 'precious'))).toBe(true);
    } finally {
      await run(['umount', join(dir, 'inside')]);
    }
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('destroys everything and leaves nothing behind', async () => {
    await Promise.all(VMS.map((v) => hv.destroyVm(lab, v.name)));
    for (const v of VMS) await hv.destroyVm(lab, v.name);
    for (const n of NETS) await hv.removeNetwork(lab, n.name);
    for (const n of NETS) await hv.removeNetwork(lab, n.name);
    expect(await hv.list(lab)).toEqual([]);
    for (const v of VMS) expect(await hv.state(lab, v.name)).toBe('absent');
    await hv.cleanupLab(lab);
    const left = await hv.leftovers(lab, NETS.map((n) => n.subnet));
    expect(left).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
    // The same, seen independently of the provider's own bookkeeping.
    expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain(netnsPrefix(LAB_ID));
    const links = (await run(['ip', '-br', 'link'])).stdout;
    expect(links).not.toContain(bridgePrefix(LAB_ID));
    expect(links).not.toContain(vethPrefix(LAB_ID));
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(lab.dir);
    expect(await liveProcessesMentioning(lab.dir)).toEqual([]);
    expect(await liveProcessesMentioning(`--interface=${bridgePrefix(LAB_ID)}`)).toEqual([]);
    expect((await run(['ip', 'route', 'show', 'type', 'unreachable'])).stdout).not.toMatch(/10\.231\.2[12]\.0/);
    expect((await run(['ip', 'rule'])).stdout).not.toContain(bridgePrefix(LAB_ID));
  }, 120_000);
});
