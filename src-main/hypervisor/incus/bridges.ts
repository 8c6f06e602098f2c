/**
 * Lab VMnets on Incus/LXD: each a managed bridge with the host address, no
 * NAT, no routing, no LXD firewall rules, DHCP without a router or DNS; on
 * a local daemon guarded on this computer like the Linux lab's (an
 * unreachable route per subnet, no forwarding from the bridge). Bridges live
 * in the server's default project and carry `user.halab.lab`, so a lab
 * touches only its own.
 */
import type { LabRef, NetworkChange, NetworkSpec, OpOptions } from '../types';
import { HypervisorError } from '../types';
import type { Commands } from '../linux/commands';
import { addGuard, blockForwarding, conflictingRoutes, guardsOfLab, unblockForwarding } from '../linux/net-guard';
import { formatCidr, parseCidr, type Cidr } from '../linux/subnet';
import type { IncusClient } from './client';
import { networkName } from './names';
import { isNotFound } from './project';

export interface Network {
  name: string;
  managed: boolean;
  type: string;
  config: Record<string, string>;
  used_by?: string[];
}

/** This computer's side: the command runner, and whether the daemon is local (then this host holds the bridges and guards them). */
export interface HostSide {
  cmd: Commands;
  local: boolean;
}

/** The network config a VMnet becomes (pure; also what `ensureNetwork` compares). */
export function bridgeConfig(lab: LabRef, net: NetworkSpec): Record<string, string> {
  const c = parseCidr(net.subnet);
  const cfg: Record<string, string> = {
    'ipv4.address': `${net.hostAddress}/${c.prefix}`,
    'ipv4.nat': 'false',
    'ipv4.routing': 'false',
    // No LXD-made iptables rules: with routing off they REJECT `-i/-o BRIDGE` in FORWARD, and where
    // br_netfilter passes bridged frames through iptables that drops traffic between the lab's own
    // guests (VRRP among them). Forwarding off the bridge is refused by our `ip rule` guard instead.
    'ipv4.firewall': 'false',
    'ipv6.address': 'none',
    'ipv4.dhcp': net.dhcp ? 'true' : 'false',
    'dns.mode': 'none',
    // DHCP hands out no router and no DNS server: guests stay offline.
    'raw.dnsmasq': 'dhcp-option=3\ndhcp-option=6',
    'user.halab.lab': lab.id,
    'user.halab.vmnet': net.name,
    'user.halab.subnet': formatCidr(c),
  };
  if (net.dhcp) cfg['ipv4.dhcp.ranges'] = `${net.dhcp.start}-${net.dhcp.end}`;
  return cfg;
}

/** Make (or bring in line) the bridge of one VMnet; the subnet `cidr` already validated. */
export async function ensureBridge(c: IncusClient, host: HostSide, lab: LabRef, net: NetworkSpec, cidr: Cidr, opts: OpOptions = {}): Promise<NetworkChange> {
  const name = networkName(lab.id, net.name);
  const want = bridgeConfig(lab, net);
  if (host.local) {
    const clash = await conflictingRoutes(host.cmd, cidr, name, opts);
    if (clash.length > 0) {
      throw new HypervisorError(`${net.name} (${net.subnet}) overlaps a network this computer already uses: ${clash.join(', ')}.`, 'conflict', 'Give the lab network another private subnet in the blueprint.');
    }
    await addGuard(host.cmd, lab.id, cidr, opts);
  }
  const have = await c.get<Network>(`/1.0/networks/${name}`).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  let change: NetworkChange = 'unchanged';
  if (!have) {
    opts.log?.(`Creating the bridge network ${name} for ${net.name} (${net.subnet}, no NAT)`);
    await c.sync('POST', '/1.0/networks', { body: { name, type: 'bridge', description: `HA Lab Studio ${lab.id}/${net.name}`, config: want } });
    change = 'changed';
  } else {
    if (have.config['user.halab.lab'] !== lab.id) {
      throw new HypervisorError(`The network ${name} exists but was not made by the lab ${lab.id}.`, 'conflict', `Remove or rename that network (${name}) on the server.`);
    }
    const differs = Object.entries(want).filter(([k, v]) => have.config[k] !== v);
    if (differs.length > 0) {
      opts.log?.(`Updating ${name}: ${differs.map(([k]) => k).join(', ')}`);
      await c.sync('PATCH', `/1.0/networks/${name}`, { body: { config: want } });
      change = 'changed';
    }
  }
  if (host.local) await blockForwarding(host.cmd, name, opts);
  return change;
}

/** Remove the bridge of one VMnet if this lab made it. */
export async function removeBridge(c: IncusClient, host: HostSide, lab: LabRef, vmnet: string, opts: OpOptions = {}): Promise<NetworkChange> {
  const name = networkName(lab.id, vmnet);
  const have = await c.get<Network>(`/1.0/networks/${name}`).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (!have || have.config['user.halab.lab'] !== lab.id) return 'unchanged';
  opts.log?.(`Removing the network ${name}`);
  await deleteBridge(c, host, name, opts);
  return 'changed';
}

/** Delete one bridge and lift its forwarding block. */
export async function deleteBridge(c: IncusClient, host: HostSide, name: string, opts: OpOptions = {}): Promise<void> {
  await c.sync('DELETE', `/1.0/networks/${name}`);
  if (host.local) await unblockForwarding(host.cmd, name, opts);
}

/** Every bridge this lab made (a renamed blueprint's too). */
export async function labNetworks(c: IncusClient, lab: LabRef): Promise<Network[]> {
  const all = await c.get<Network[]>('/1.0/networks', { query: { recursion: '1' } });
  return all.filter((n) => n.managed && n.config?.['user.halab.lab'] === lab.id);
}

/** Put the guard routes of the lab's networks back (local daemon only). */
export async function restoreGuards(c: IncusClient, host: HostSide, lab: LabRef, opts: OpOptions): Promise<void> {
  if (!host.local) return;
  const held = new Set((await guardsOfLab(lab.id)).map(formatCidr));
  for (const net of await labNetworks(c, lab)) {
    const s = net.config['user.halab.subnet'];
    if (s && !held.has(s)) await addGuard(host.cmd, lab.id, parseCidr(s), opts);
    else if (s) await addGuard(host.cmd, lab.id, parseCidr(s), { ...opts, log: undefined });
  }
}
