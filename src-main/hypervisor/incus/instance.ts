/**
 * What a lab VM is on Incus/LXD: the instance's shape as the API returns it,
 * what the lab records on it (`user.halab.*`), the container settings, the
 * files seeded before first boot (hostname, hosts, root's SSH key), the
 * instance type (container, or VM where the server has QEMU/KVM) and the
 * addresses read from its state.
 */
import { msg } from '../../shared/i18n';
import type { FailureDetails, LabRef, OpOptions, PowerState, VmSpec } from '../types';
import { HypervisorError, withMsg } from '../types';
import type { HostSide } from './bridges';
import type { IncusClient } from './client';
import { networkName, projectName } from './names';

/** What the lab records on each instance (`user.halab.*`). */
export interface InstanceRecord {
  nics: { network: string; mac: string; device: string }[];
  clone: string;
}

export interface InstanceState {
  status: string;
  network?: Record<string, { host_name?: string; hwaddr?: string; addresses?: { family: string; address: string; scope: string }[] }>;
}

export interface Instance {
  name: string;
  status: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  state?: InstanceState;
  profiles?: string[];
  architecture?: string;
  ephemeral?: boolean;
  description?: string;
}

/**
 * Containers get a read-only /sys, as systemd's container interface asks
 * (systemd-nspawn does the same): the base image has no udev, and with a
 * writable /sys systemd-networkd would wait for udev forever and never
 * configure a NIC.
 */
export const CONTAINER_CONFIG: Record<string, string> = { 'raw.lxc': 'lxc.mount.auto = sys:ro' };

export const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
export const STATUS: Record<string, PowerState> = { Running: 'running', Stopped: 'off', Frozen: 'suspended' };

/** HALAB_INCUS_INSTANCE_TYPE: `vm` (or `virtual-machine`) asks for VM instances; anything else, containers. */
export function instanceTypeFromEnv(env: NodeJS.ProcessEnv = process.env): 'container' | 'virtual-machine' {
  const v = (env.HALAB_INCUS_INSTANCE_TYPE ?? '').toLowerCase();
  return v === 'vm' || v === 'virtual-machine' ? 'virtual-machine' : 'container';
}

/** VM instances need the server's QEMU driver (and KVM under it): refused before anything is made when the server has none. */
export async function refuseVmsWithoutDriver(c: IncusClient, vm: string): Promise<void> {
  const drivers = (await c.server()).environment?.driver ?? '';
  if (/qemu/i.test(drivers)) return;
  const server = (await c.facts()).label;
  throw withMsg(
    new HypervisorError(`${vm} cannot be a VM instance: ${server} runs only ${drivers || '?'} (no QEMU/KVM driver), so it can run containers only.`, 'not-usable', 'Unset HALAB_INCUS_INSTANCE_TYPE to use containers (the default), or use a server with QEMU and KVM for VM instances.'),
    msg('inc.err.noVmDriver', { vm, server, drivers: drivers || '?' }),
  );
}

export function addressesOf(st?: InstanceState): string[] {
  return Object.entries(st?.network ?? {})
    .filter(([n]) => n !== 'lo')
    .flatMap(([, v]) => (v.addresses ?? []).filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => a.address));
}

/** Files an instance gets before its first boot: hostname, hosts, no binfmt in a container, root's SSH key. */
export async function seedFiles(c: IncusClient, project: string, spec: VmSpec): Promise<void> {
  const f = await c.facts();
  const put = (path: string, data: string, mode: string, type: 'file' | 'directory' = 'file') =>
    c.sync('POST', `/1.0/instances/${spec.name}/files`, {
      project,
      query: { path },
      data: type === 'directory' ? '' : data,
      headers: { [`${f.headerPrefix}-Uid`]: '0', [`${f.headerPrefix}-Gid`]: '0', [`${f.headerPrefix}-Mode`]: mode, [`${f.headerPrefix}-Type`]: type, [`${f.headerPrefix}-Write`]: 'overwrite' },
    });
  await put('/etc/hostname', `${spec.name}\n`, '0644');
  // A container cannot register binfmt handlers (binfmt_misc is the host's): skipped, as nspawn's read-only /proc/sys skips it.
  await put('/etc/systemd/system/systemd-binfmt.service.d', '', '0755', 'directory').catch(() => undefined);
  await put('/etc/systemd/system/systemd-binfmt.service.d/10-halab-container.conf', '[Unit]\nConditionVirtualization=!container\n', '0644');
  await put('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${spec.name}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`, '0644');
  if (spec.sshPublicKey) {
    await put('/root/.ssh', '', '0700', 'directory').catch(() => undefined);
    await put('/root/.ssh/authorized_keys', `${spec.sshPublicKey.trim()}\n`, '0600');
  }
}

/** Wait for the NIC's IPv4 address: the instance state first, the network's DHCP leases every fourth try. */
export async function waitForAddress(c: IncusClient, lab: LabRef, name: string, nic: InstanceRecord['nics'][number], opts: OpOptions & { timeoutMs?: number }, details: () => FailureDetails): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const until = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const st = await c.get<InstanceState>(`/1.0/instances/${name}/state`, { project: projectName(lab.id) });
    if (st.status !== 'Running') throw new HypervisorError(`${name} is not running, so it has no address.`, 'bad-state', `Start ${name} first.`);
    const onNic = st.network?.[nic.device]?.addresses?.find((a) => a.family === 'inet' && a.scope === 'global')?.address;
    if (onNic) return onNic;
    if (i % 4 === 3) {
      // The network's DHCP leases, the second source.
      const leases = await c.get<{ hwaddr: string; address: string; type: string }[]>(`/1.0/networks/${networkName(lab.id, nic.network)}/leases`).catch(() => []);
      const lease = leases.find((l) => l.hwaddr?.toLowerCase() === nic.mac && l.type === 'dynamic' && !l.address.includes(':'));
      if (lease) return lease.address;
    }
    if (opts.signal?.aborted) throw new HypervisorError('Canceled while waiting for the guest address.', 'canceled');
    if (Date.now() > until) {
      throw new HypervisorError(`${name} got no IPv4 address on ${nic.network} (${nic.device}) within ${Math.round(timeoutMs / 1000)} s.`, 'transient', `Check that ${nic.network} has DHCP (or that a static address was set); see the instance log (GET /1.0/instances/${name}/logs).`, details());
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A NIC's cable: locally the host end of a running instance's veth up or down (no carrier), else the NIC device removed or put back with its MAC. */
export async function setNicLink(c: IncusClient, host: HostSide, lab: LabRef, vm: Instance, nic: InstanceRecord['nics'][number], connected: boolean, opts: OpOptions): Promise<void> {
  const name = vm.name;
    if (host.local && vm.status === 'Running') {
    // The host end of the NIC's virtual cable: down = the guest sees no carrier.
    const st = await c.get<InstanceState>(`/1.0/instances/${name}/state`, { project: projectName(lab.id) });
    const hostName = st.network?.[nic.device]?.host_name;
    if (!hostName) throw new HypervisorError(`${name}'s NIC ${nic.device} has no host end to unplug.`, 'bad-state');
    await host.cmd.run(['ip', 'link', 'set', 'dev', hostName, connected ? 'up' : 'down'], opts);
    return;
  }
  // Remote (or off): unplug = remove the NIC device, plug = add it back with the same MAC.
  const devices = { ...vm.devices };
  if (connected) devices[nic.device] = { type: 'nic', network: networkName(lab.id, nic.network), name: nic.device, hwaddr: nic.mac };
  else delete devices[nic.device];
  await c.op('PUT', `/1.0/instances/${name}`, { project: projectName(lab.id), body: { architecture: vm.architecture, config: vm.config, devices, ephemeral: vm.ephemeral ?? false, profiles: vm.profiles ?? ['default'], description: vm.description ?? '' } });
}
