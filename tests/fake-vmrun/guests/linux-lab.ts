/**
 * Real guests for the fake vmrun (FAKE_VMRUN_GUESTS=linux-lab): every VM the
 * fake powers on is a Linux-lab machine (network namespace + systemd-nspawn
 * booting real systemd on an overlay clone of the base image), made with the
 * Linux provider's own building blocks. All of them live in one "shadow" lab
 * under $FAKE_VMRUN_STATE/linux-lab, so the provider's cleanup and leftovers
 * report work on it unchanged.
 *
 * - VMnets: VMnet N of the fake's networking file becomes the shadow lab's
 *   network `vmnetN`: a bridge holding the host adapter's `.1`, guarded by the
 *   provider's unreachable route and no-forward rule, dnsmasq on .128–.254
 *   when the VMnet has DHCP. Made when a VM on it powers on; removed when the
 *   VMnet leaves the networking file or changes (`syncNetworks`).
 * - NICs follow the .vmx: `ethernetN.vnet` / `connectionType` pick the VMnet,
 *   `ethernetN.address` / `generatedAddress` is the guest NIC's MAC.
 * - First boot applies cloud-init's VMware datasource the way cloud-init
 *   would (guestinfo.metadata: instance-id, local-hostname; guestinfo.userdata:
 *   ssh_authorized_keys for root when disable_root is false). A VM without it
 *   gets no key: unreachable, as on VMware.
 *
 * This module is loaded through tsx by fake-vmrun.mjs only for the commands
 * that change a guest; the read-only ones (addresses, liveness) are answered
 * by guests/light.mjs without loading TypeScript.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabRef, NetworkSpec, OpOptions } from '../../../src-main/hypervisor/types';
import { LinuxLabProvider } from '../../../src-main/hypervisor/linux/linux-provider';
import { Commands } from '../../../src-main/hypervisor/linux/commands';
import { getLink } from '../../../src-main/hypervisor/linux/bridge';
import { ensureLabNetwork, removeLabNetwork, reviveDhcp, restoreGuards } from '../../../src-main/hypervisor/linux/networks';
import { freezeMachine, mountOverlay, runningMachine, startMachine, unmountOverlay, vmPaths } from '../../../src-main/hypervisor/linux/machine';
import { machineName } from '../../../src-main/hypervisor/linux/names';
import { ensureNetns, wireNic } from '../../../src-main/hypervisor/linux/netns';
import { mkdirLike } from '../../../src-main/hypervisor/linux/vm-files';
import { netDir, readJson, subdirs, vmDir, type NetworkState, type VmState } from '../../../src-main/hypervisor/linux/state';

export interface VnetSettings {
  DHCP?: string;
  NAT?: string;
  HOSTONLY_SUBNET?: string;
  HOSTONLY_NETMASK?: string;
}

export interface GuestNic {
  index: number;
  vnet: string;
  mac: string;
}

/** What fake-vmrun.mjs records about a VM's guest in its state.json. */
export interface GuestRef {
  name: string;
  netns: string;
  dir: string;
}

const cmd = new Commands();
const provider = new LinuxLabProvider({ softStopTimeoutMs: 12_000 });
const quietOpts: OpOptions = {};

/** The shadow lab of one fake VMware host (one per FAKE_VMRUN_STATE). */
export function shadowLab(stateDir: string): LabRef {
  return { id: `fakevmrun-${createHash('sha256').update(stateDir).digest('hex').slice(0, 6)}`, dir: join(stateDir, 'linux-lab') };
}

/** The guest's name in the shadow lab: the .vmx name (plain) and a hash of its path. */
export function guestName(vmx: string): string {
  const base = vmx.replace(/^.*\//, '').replace(/\.vmx$/i, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 28) || 'vm';
  return `${base}-${createHash('sha256').update(vmx).digest('hex').slice(0, 6)}`;
}

export function guestRef(stateDir: string, vmx: string): GuestRef {
  const lab = shadowLab(stateDir);
  const name = guestName(vmx);
  return { name, netns: `halab-${lab.id}-${name}`, dir: vmDir(lab, name) };
}

const maskPrefix = (mask: string): number => mask.split('.').reduce((n, p) => n + (Number(p) >>> 0).toString(2).replace(/0/g, '').length, 0);
const hostPart = (subnet: string, last: number): string => subnet.replace(/\.\d+$/, `.${last}`);

/** VMnet N of the networking file as a Linux-lab network spec (the host adapter is .1, VMware's DHCP pool .128–.254). */
export function networkSpecOf(n: string, a: VnetSettings): NetworkSpec {
  if (!a.HOSTONLY_SUBNET || !a.HOSTONLY_NETMASK) throw new Error(`Error: vmnet${n} has no subnet in the networking file`);
  return {
    name: `vmnet${n}`,
    type: a.NAT === 'yes' ? 'nat' : 'hostonly',
    subnet: `${a.HOSTONLY_SUBNET}/${maskPrefix(a.HOSTONLY_NETMASK)}`,
    hostAddress: hostPart(a.HOSTONLY_SUBNET, 1),
    ...(a.NAT === 'yes' ? { natGateway: hostPart(a.HOSTONLY_SUBNET, 2) } : {}),
    ...(a.DHCP === 'yes' ? { dhcp: { start: hostPart(a.HOSTONLY_SUBNET, 128), end: hostPart(a.HOSTONLY_SUBNET, 254) } } : {}),
  };
}

const sameNet = (a: NetworkSpec, b: NetworkSpec): boolean => JSON.stringify(a) === JSON.stringify(b);

/** One cross-process lock for network changes (several vmrun processes start VMs at once). */
async function withNetLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(stateDir, 'guests-net.lock');
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (i > 6000) await rm(lock, { recursive: true, force: true }); // a crashed holder (>60 s)
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Make (or repair) the bridges of these VMnets; a VMnet whose settings changed is made again. */
async function ensureVnets(stateDir: string, vnets: Record<string, VnetSettings>, wanted: string[]): Promise<void> {
  const lab = shadowLab(stateDir);
  await withNetLock(stateDir, async () => {
    await restoreGuards(cmd, lab, quietOpts);
    for (const n of new Set(wanted)) {
      const a = vnets[n];
      if (!a) throw new Error(`Error: vmnet${n} does not exist on this host (not in the networking file)`);
      const spec = networkSpecOf(n, a);
      const saved = await readJson<NetworkState>(join(netDir(lab, spec.name), 'network.json'));
      if (saved && !sameNet(saved.spec, spec)) await removeLabNetwork(cmd, lab, spec.name, quietOpts);
      await ensureLabNetwork(cmd, lab, spec, quietOpts);
      await reviveDhcp(cmd, lab, spec.name, quietOpts);
    }
  });
}

/** Remove the bridges of VMnets that left the networking file or changed (as vmware-networks --start does). */
export async function syncNetworks(stateDir: string, vnets: Record<string, VnetSettings>): Promise<void> {
  const lab = shadowLab(stateDir);
  await withNetLock(stateDir, async () => {
    for (const name of await subdirs(join(lab.dir, 'networks'))) {
      const saved = await readJson<NetworkState>(join(netDir(lab, name), 'network.json')).catch(() => undefined);
      const n = /^vmnet(\d+)$/.exec(name)?.[1];
      const a = n ? vnets[n] : undefined;
      let keep = false;
      try {
        keep = !!(saved && a && sameNet(saved.spec, networkSpecOf(n!, a)));
      } catch {
        keep = false;
      }
      if (!keep) await removeLabNetwork(cmd, lab, name, quietOpts);
    }
  });
}

// ---------------------------------------------------------------- cloud-init (VMware datasource)

interface Guestinfo {
  instanceId?: string;
  hostname?: string;
  rootKeys: string[];
}

const decode = (value: string | undefined, encoding: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  return /^(base64|b64)$/i.test(encoding ?? '') ? Buffer.from(value, 'base64').toString('utf8') : value;
};

/** The guestinfo keys cloud-init reads, from the .vmx's (lower-cased) keys. */
export function parseGuestinfo(vmx: Record<string, string>): Guestinfo {
  const meta = decode(vmx['guestinfo.metadata'], vmx['guestinfo.metadata.encoding']) ?? '';
  const user = decode(vmx['guestinfo.userdata'], vmx['guestinfo.userdata.encoding']) ?? '';
  const field = (text: string, key: string) => new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm').exec(text)?.[1]?.replace(/^["']|["']$/g, '');
  const keys: string[] = [];
  if (/^#cloud-config/.test(user) && /^disable_root:\s*false\s*$/m.test(user)) {
    const block = /^ssh_authorized_keys:\s*\n((?:\s+-\s.*\n?)*)/m.exec(user)?.[1] ?? '';
    for (const line of block.split('\n')) {
      const item = /^\s+-\s+(.*)$/.exec(line)?.[1]?.trim();
      if (!item) continue;
      keys.push(item.startsWith('"') ? (JSON.parse(item) as string) : item.replace(/^'|'$/g, ''));
    }
  }
  return { instanceId: field(meta, 'instance-id'), hostname: field(meta, 'local-hostname'), rootKeys: keys };
}

async function put(path: string, content: string, mode: number): Promise<void> {
  await writeFile(path, content);
  await chmod(path, mode);
  await chown(path, 0, 0);
}

/** cloud-init's per-instance work on the guest's disk, once per instance id (a new machine-id, hostname, root's keys). */
async function applyGuestinfo(base: string, upper: string, gi: Guestinfo): Promise<void> {
  const marker = join(upper, 'var', 'lib', 'cloud', 'data', 'instance-id');
  const done = await readFile(marker, 'utf8').catch(() => '');
  if (!gi.instanceId || done.trim() === gi.instanceId) return;
  await mkdirLike(base, upper, 'etc');
  await put(join(upper, 'etc', 'machine-id'), `${createHash('sha256').update(`${gi.instanceId}:${Math.random()}`).digest('hex').slice(0, 32)}\n`, 0o444);
  if (gi.hostname) {
    await put(join(upper, 'etc', 'hostname'), `${gi.hostname}\n`, 0o644);
    await put(join(upper, 'etc', 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${gi.hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`, 0o644);
  }
  if (gi.rootKeys.length > 0) {
    await mkdirLike(base, upper, 'root');
    await mkdirLike(base, upper, 'root/.ssh', 0o700);
    await put(join(upper, 'root', '.ssh', 'authorized_keys'), `${gi.rootKeys.join('\n')}\n`, 0o600);
  }
  await mkdirLike(base, upper, 'var/lib/cloud/data');
  await put(marker, `${gi.instanceId}\n`, 0o644);
}

/**
 * The one thing a veth NIC cannot be: a NIC with a permanent MAC. VMware's
 * vmxnet3/e1000 report the .vmx MAC as their permanent address, and netplan
 * (0.106) turns `match: macaddress` into networkd's `PermanentMACAddress=`;
 * a veth's permanent address is all zeros (and this kernel has no ipvlan or
 * dummy devices that could carry one), so that match would never hit. Part
 * of the fake's "hardware" is therefore a rewrite of netplan's generated
 * `PermanentMACAddress=` into `MACAddress=` (the NIC's MAC, which the fake set
 * from the .vmx): at boot before networkd starts (after netplan's systemd
 * generator), and right after every `netplan generate|apply` (a wrapper in
 * /usr/local/sbin, first on root's PATH, that runs the real /usr/sbin/netplan
 * first). The netplan YAML and netplan itself stay the provisioner's own; the
 * NIC is still chosen by its MAC.
 */
const REWRITE = 'files=$(grep -l "^PermanentMACAddress=" /run/systemd/network/*.network /run/systemd/network/*.link 2>/dev/null); [ -z "$files" ] || sed -i "s/^PermanentMACAddress=/MACAddress=/" $files';
const NIC_BOOT = `#!/bin/sh
# fake vmrun (linux-lab guests): veth NICs have no permanent MAC; match netplan's NICs by their MAC.
${REWRITE}
exit 0
`;
const NETPLAN_WRAPPER = `#!/bin/sh
# fake vmrun (linux-lab guests): the real netplan, then its networkd matches made to fit veth NICs (no permanent MAC).
/usr/sbin/netplan "$@"
rc=$?
case "$1" in generate|apply|try) ${REWRITE} ;; esac
exit $rc
`;
const NIC_SERVICE = `[Unit]
Description=fake VMware NICs: netplan's MAC matches for veth NICs (no permanent MAC)
DefaultDependencies=no
After=local-fs.target
Before=systemd-networkd.service network-pre.target

[Service]
Type=oneshot
ExecStart=/usr/local/lib/halab-fake-vmnic
`;

async function installNicEmulation(base: string, upper: string): Promise<void> {
  await mkdirLike(base, upper, 'usr/local/sbin');
  await mkdirLike(base, upper, 'usr/local/lib');
  await put(join(upper, 'usr/local/sbin/netplan'), NETPLAN_WRAPPER, 0o755);
  await put(join(upper, 'usr/local/lib/halab-fake-vmnic'), NIC_BOOT, 0o755);
  await mkdirLike(base, upper, 'etc/systemd/system/sysinit.target.wants');
  await put(join(upper, 'etc/systemd/system/halab-fake-vmnic.service'), NIC_SERVICE, 0o644);
  const link = join(upper, 'etc/systemd/system/sysinit.target.wants/halab-fake-vmnic.service');
  await rm(link, { force: true });
  await symlink('/etc/systemd/system/halab-fake-vmnic.service', link);
}

// ---------------------------------------------------------------- power

/**
 * Power a VM's guest on: its VMnets' bridges, the guest (created on first
 * boot: overlay clone, namespace, veths with the .vmx MACs), cloud-init's
 * guestinfo applied, then systemd-nspawn booting it in the background.
 * A frozen (suspended) guest is thawed instead.
 */
export async function powerOnGuest(o: { stateDir: string; vmxPath: string; vmx: Record<string, string>; nics: GuestNic[]; vnets: Record<string, VnetSettings> }): Promise<GuestRef> {
  const lab = shadowLab(o.stateDir);
  const ref = guestRef(o.stateDir, o.vmxPath);
  const running = await runningMachine(ref.dir);
  if (running) {
    if (running.procState === 'T') await freezeMachine(ref.dir, false);
    return ref;
  }
  const nics = o.nics.filter((n) => n.mac);
  if (nics.length === 0) throw new Error(`Error: ${o.vmxPath} has no NIC with a MAC address`);
  await ensureVnets(o.stateDir, o.vnets, nics.map((n) => n.vnet));
  const want = nics.map((n) => ({ network: `vmnet${n.vnet}`, mac: n.mac }));
  let vm = await readJson<VmState>(vmPaths(ref.dir).vm);
  if (vm && JSON.stringify(vm.nics.map((n) => ({ network: n.network, mac: n.mac }))) !== JSON.stringify(want)) {
    // The .vmx's NICs changed while the VM was off: VMware simply boots with the new ones.
    await provider.destroyVm(lab, ref.name, quietOpts);
    vm = undefined;
  }
  if (!vm) {
    const memory = Number(o.vmx.memsize ?? 1024);
    await provider.createVm(lab, { name: ref.name, template: o.vmxPath, clone: 'linked', vcpus: Number(o.vmx.numvcpus ?? 1), memoryMiB: memory, diskGiB: 20, nics: want }, quietOpts);
    vm = (await readJson<VmState>(vmPaths(ref.dir).vm))!;
    await installNicEmulation(vm.base, vmPaths(ref.dir).upper);
  }
  await applyGuestinfo(vm.base, vmPaths(ref.dir).upper, parseGuestinfo(o.vmx));
  for (const nic of vm.nics) {
    if (!(await getLink(cmd, nic.bridge))) throw new Error(`Error: the bridge of ${nic.network} is missing`);
  }
  await ensureNetns(cmd, vm.netns);
  for (const nic of vm.nics) await wireNic(cmd, vm.netns, nic);
  // Cable state from the .vmx (startConnected = FALSE: unplugged at power-on).
  for (const n of nics) {
    if ((o.vmx[`ethernet${n.index}.startconnected`] ?? 'TRUE').toUpperCase() === 'FALSE') await provider.setLink(lab, ref.name, nics.indexOf(n), false);
  }
  await mountOverlay(cmd, vm.base, ref.dir);
  try {
    await startMachine(cmd, machineName(lab.id, ref.name), ref.dir, vm.netns);
  } catch (e) {
    await unmountOverlay(cmd, ref.dir).catch(() => undefined);
    throw new Error(`Error: the guest of ${o.vmxPath} did not boot: ${(e as Error).message}`);
  }
  return ref;
}

/** `stop soft` shuts the guest down (hard after 12 s); `stop hard` kills it at once. */
export async function powerOffGuest(stateDir: string, vmxPath: string, mode: 'soft' | 'hard'): Promise<void> {
  const ref = guestRef(stateDir, vmxPath);
  if (!existsSync(vmPaths(ref.dir).vm)) return;
  await provider.stop(shadowLab(stateDir), ref.name, mode, quietOpts);
}

/** Suspend: the guest's processes frozen. */
export async function suspendGuest(stateDir: string, vmxPath: string): Promise<void> {
  const ref = guestRef(stateDir, vmxPath);
  if (!existsSync(vmPaths(ref.dir).vm)) return;
  await provider.suspend(shadowLab(stateDir), ref.name, quietOpts);
}

/** connectNamedDevice / disconnectNamedDevice ethernetN: the cable of NIC N. */
export async function setGuestLink(stateDir: string, vmxPath: string, nicIndex: number, connected: boolean): Promise<void> {
  const ref = guestRef(stateDir, vmxPath);
  if (!existsSync(vmPaths(ref.dir).vm)) return;
  await provider.setLink(shadowLab(stateDir), ref.name, nicIndex, connected, quietOpts);
}

/** deleteVM: the guest, its disk, namespace and veths go. */
export async function deleteGuest(stateDir: string, vmxPath: string): Promise<void> {
  await provider.destroyVm(shadowLab(stateDir), guestName(vmxPath), quietOpts);
}

/** Everything of the shadow lab, guards included unless kept (tests' afterAll, and by hand). */
export async function cleanupGuests(stateDir: string, opts: { keepGuards?: boolean } = {}): Promise<void> {
  await provider.cleanupLab(shadowLab(stateDir), opts);
}

/** What of the shadow lab is still on the host. */
export function guestLeftovers(stateDir: string): ReturnType<LinuxLabProvider['leftovers']> {
  return provider.leftovers(shadowLab(stateDir));
}
