/**
 * VMnets of the Linux lab: one bridge per VMnet per lab holding the host's
 * `.1`, guarded by an unreachable route (see net-guard.ts), with dnsmasq for
 * DHCP where the network has it.
 */
import type { LabRef, NetworkSpec, OpOptions } from '../types';
import { HypervisorError } from '../types';
import { deleteLink, ensureBridge, getLink } from './bridge';
import type { Commands } from './commands';
import { ensureDnsmasq, runningDnsmasq, stopDnsmasq } from './dnsmasq';
import { bridgeMac, bridgeName } from './names';
import { join } from 'node:path';
import { addGuard, blockForwarding, checkLabSubnet, conflictingRoutes, guardsOfLab, unblockForwarding } from './net-guard';
import { removeTree } from './proc';
import { netDir, readJson, subdirs, writeJson, type NetworkState } from './state';
import { cidrContains, formatCidr, ipToInt, parseCidr, type Cidr } from './subnet';

/** Network names end up in folder names: keep them plain. */
export function checkNetworkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(name)) {
    throw new HypervisorError(`The network name "${name}" is not usable: use letters, digits, "_" or "-" (like vmnet8).`, 'failed');
  }
}

/** Check a network spec against its subnet; returns the parsed subnet. */
export function validateNetwork(net: NetworkSpec): Cidr {
  checkNetworkName(net.name);
  if (net.type === 'bridged') {
    throw new HypervisorError(
      `${net.name} is a bridged network, which would put lab VMs on your real LAN. The Linux lab keeps every lab inside this computer.`,
      'not-usable',
      'Use a nat, hostonly or custom network for this lab.',
    );
  }
  const c = checkLabSubnet(net.subnet);
  const inside = (ip: string, what: string): void => {
    let ok = false;
    try {
      ok = cidrContains(c, ip);
    } catch {
      ok = false;
    }
    if (!ok) throw new HypervisorError(`${net.name}: the ${what} ${ip} is not inside ${net.subnet}.`, 'failed', `Pick a ${what} inside ${net.subnet}.`);
  };
  inside(net.hostAddress, 'host address');
  if (net.dhcp) {
    inside(net.dhcp.start, 'DHCP start');
    inside(net.dhcp.end, 'DHCP end');
    const host = ipToInt(net.hostAddress);
    if (ipToInt(net.dhcp.start) > ipToInt(net.dhcp.end)) throw new HypervisorError(`${net.name}: the DHCP range ends before it starts.`, 'failed');
    if (host >= ipToInt(net.dhcp.start) && host <= ipToInt(net.dhcp.end)) {
      throw new HypervisorError(`${net.name}: the host address ${net.hostAddress} is inside the DHCP range.`, 'failed', 'Keep .1 outside the DHCP pool (VMware uses .128–.254).');
    }
  }
  return c;
}

const sameSpec = (a: NetworkSpec, b: NetworkSpec): boolean =>
  a.type === b.type &&
  formatCidr(checkLabSubnet(a.subnet)) === formatCidr(checkLabSubnet(b.subnet)) &&
  a.hostAddress === b.hostAddress &&
  (a.natGateway ?? '') === (b.natGateway ?? '') &&
  (a.dhcp?.start ?? '') === (b.dhcp?.start ?? '') &&
  (a.dhcp?.end ?? '') === (b.dhcp?.end ?? '');

/** Create (or repair) a lab network. Idempotent; refuses different settings under the same name. */
export async function ensureLabNetwork(cmd: Commands, lab: LabRef, net: NetworkSpec, opts: OpOptions = {}): Promise<NetworkState> {
  const c = validateNetwork(net);
  const dir = netDir(lab, net.name);
  const bridge = bridgeName(lab.id, net.name);
  const saved = await readJson<NetworkState>(`${dir}/network.json`);
  if (saved && !sameSpec(saved.spec, net)) {
    throw new HypervisorError(
      `The network ${net.name} of this lab already exists with other settings (subnet ${saved.spec.subnet}, host ${saved.spec.hostAddress}).`,
      'conflict',
      'Bring the lab down (halab down) before changing a network, or use another VMnet name.',
    );
  }
  const clashes = await conflictingRoutes(cmd, c, bridge, opts);
  if (clashes.length > 0) {
    throw new HypervisorError(
      `The subnet ${net.subnet} of ${net.name} overlaps a network this computer already uses (${clashes.join(', ')}).`,
      'conflict',
      'Pick another private subnet for this VMnet in the blueprint, or bring down the other lab that uses it.',
    );
  }
  // The guard goes in before anything can send to the subnet, and stays after the bridge is gone.
  await addGuard(cmd, lab.id, c, opts);
  const state: NetworkState = { spec: net, bridge, subnet: formatCidr(c) };
  await writeJson(`${dir}/network.json`, state);
  await ensureBridge(cmd, bridge, bridgeMac(lab.id, net.name), `${net.hostAddress}/${c.prefix}`, opts);
  await blockForwarding(cmd, bridge, opts);
  if (net.dhcp) await ensureDnsmasq(cmd, bridge, net.dhcp, dir, opts);
  return state;
}

/** Stop DHCP and delete the bridge; the subnet's guard route stays (see net-guard.ts). No-op when absent. */
export async function removeLabNetwork(cmd: Commands, lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
  checkNetworkName(name);
  const dir = netDir(lab, name);
  const saved = await readJson<NetworkState>(`${dir}/network.json`);
  const bridge = saved?.bridge ?? bridgeName(lab.id, name);
  await stopDnsmasq(dir, bridge, opts.signal);
  await deleteLink(cmd, bridge, opts);
  await unblockForwarding(cmd, bridge, opts);
  await removeTree(dir);
}

/** The saved state of a lab network, or a clear error when it was never created. */
export async function loadNetwork(lab: LabRef, name: string): Promise<NetworkState> {
  const saved = await readJson<NetworkState>(`${netDir(lab, name)}/network.json`);
  if (!saved) {
    throw new HypervisorError(`The network ${name} does not exist in this lab yet.`, 'not-found', `Create it first (ensureNetwork / halab up) before adding VMs to ${name}.`);
  }
  return saved;
}

/**
 * Put back every guard route of the lab that is missing (after a reboot, or
 * someone deleted it): from its saved networks and from the guard registry.
 * Called before operations that lead to traffic towards lab addresses.
 */
export async function restoreGuards(cmd: Commands, lab: LabRef, opts: OpOptions = {}): Promise<void> {
  const subnets = new Map<string, Cidr>();
  for (const c of await guardsOfLab(lab.id)) subnets.set(formatCidr(c), c);
  for (const n of await subdirs(join(lab.dir, 'networks'))) {
    const saved = await readJson<NetworkState>(join(netDir(lab, n), 'network.json')).catch(() => undefined);
    if (saved) subnets.set(saved.subnet, parseCidr(saved.subnet));
  }
  for (const c of subnets.values()) await addGuard(cmd, lab.id, c, opts);
}

/** Restart a network's dnsmasq if its bridge is up but DHCP died (no-op otherwise). */
export async function reviveDhcp(cmd: Commands, lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
  const saved = await readJson<NetworkState>(join(netDir(lab, name), 'network.json'));
  if (!saved?.spec.dhcp || !(await getLink(cmd, saved.bridge, opts))) return;
  if (await runningDnsmasq(netDir(lab, name), saved.bridge)) return;
  opts.log?.(`DHCP on ${name} had stopped; starting it again.`);
  await ensureDnsmasq(cmd, saved.bridge, saved.spec.dhcp, netDir(lab, name), opts);
}
