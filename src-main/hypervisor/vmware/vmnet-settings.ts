/**
 * A VMnet's settings: what the blueprint wants (checked against VMware's
 * fixed .1/.2 rules), what the host shows, and the clash between the two,
 * in words and as catalog messages. Pure apart from reading the host's
 * networks; `VmnetManager` acts on them.
 */
import type { LabRef, NetworkSpec, VmnetClash } from '../types.js';
import { HypervisorError, withMsg } from '../types.js';
import { intToIp, ipToInt, parseCidr } from './ipv4.js';
import { readNetworkRecord } from './lab-store.js';
import type { HostNetwork } from './vmrun-parsers.js';
import { readNetworking } from './vmnet-linux.js';
import { msg, type Message } from '../../shared/i18n';

/** VMnet number from `vmnet11`. */
export function vnetIndex(name: string): number {
  const m = /^vmnet(\d{1,3})$/i.exec(name);
  if (!m) throw withMsg(new HypervisorError(`"${name}" is not a VMware network name.`, 'failed', 'Use names like vmnet2 … vmnet19 in the blueprint.'), msg('hv.err.notVmnetName', { name }));
  return Number(m[1]);
}

/** A VMnet's settings as VMware shows them. */
export interface Observed {
  subnet: string;
  netmask: string;
  dhcp: boolean;
  nat: boolean;
}

export const sameSettings = (a: Observed | undefined, b: Observed): boolean =>
  !!a && a.subnet === b.subnet && a.netmask === b.netmask && a.dhcp === b.dhcp && a.nat === b.nat;

export const maskBits = (mask: string): number => ipToInt(mask).toString(2).replace(/0+$/, '').length;
export const cidrOf = (o: Observed): string => (o.subnet && o.netmask ? `${o.subnet}/${maskBits(o.netmask)}` : o.subnet || '(no subnet)');
export const describeObserved = (o: Observed): string => `${cidrOf(o)} (DHCP ${o.dhcp ? 'on' : 'off'}, NAT ${o.nat ? 'on' : 'off'})`;
export const onOff = (v: boolean) => msg(v ? 'hv.on' : 'hv.off');
/** `describeObserved` as a catalog message. */
export const observedMsg = (o: Observed): Message => msg('hv.observed', { cidr: o.subnet && o.netmask ? cidrOf(o) : msg('hv.noSubnet'), dhcp: onOff(o.dhcp), nat: onOff(o.nat) });

/** What the blueprint wants of a VMnet, checked against VMware's fixed .1/.2 rules. */
export function wantedSettings(spec: NetworkSpec, platform: NodeJS.Platform): Observed & { index: number } {
  const index = vnetIndex(spec.name);
  const { network, mask } = parseCidr(spec.subnet);
  const base = ipToInt(network);
  // VMware fixes the host at .1 and the NAT gateway at .2 of every VMnet.
  if (spec.hostAddress !== intToIp(base + 1)) {
    throw withMsg(
      new HypervisorError(
        `${spec.name}: VMware always gives the host ${intToIp(base + 1)}, but the blueprint says ${spec.hostAddress}.`,
        'conflict',
        `Set the host address of ${spec.name} to ${intToIp(base + 1)} in the blueprint.`,
      ),
      msg('hv.err.hostAddress', { name: spec.name, want: intToIp(base + 1), got: spec.hostAddress }),
    );
  }
  if (spec.type === 'nat' && spec.natGateway && spec.natGateway !== intToIp(base + 2)) {
    throw withMsg(
      new HypervisorError(
        `${spec.name}: VMware's NAT gateway is always ${intToIp(base + 2)}, but the blueprint says ${spec.natGateway}.`,
        'conflict',
        `Set the gateway of ${spec.name} to ${intToIp(base + 2)} in the blueprint.`,
      ),
      msg('hv.err.natGateway', { name: spec.name, want: intToIp(base + 2), got: spec.natGateway }),
    );
  }
  if (platform === 'win32' && index > 19) {
    throw withMsg(new HypervisorError(`${spec.name}: Windows hosts only have vmnet0 … vmnet19.`, 'failed', 'Renumber the network to vmnet2 … vmnet19 in the blueprint.'), msg('hv.err.windowsRange', { name: spec.name }));
  }
  return { index, subnet: network, netmask: mask, dhcp: spec.dhcp !== undefined, nat: spec.type === 'nat' };
}

/** The clash of a blueprint network with the host's VMnet of that name: what is there and what to do. */
export function clashOf(spec: NetworkSpec, seen: Observed): VmnetClash {
  const host = describeObserved(seen);
  const message =
    spec.name === 'vmnet8'
      ? `vmnet8 (VMware's NAT network) on this PC is ${host}, but the blueprint wants ${spec.subnet}. ` +
        `Choose one: (1) let HA Lab Studio reconfigure vmnet8 to ${spec.subnet} (halab up --reconfigure-vmnet8, or confirm in the Provision screen). ` +
        `Other VMs on vmnet8 lose their network until "halab down" puts ${cidrOf(seen)} back. ` +
        `(2) Edit the blueprint: set the subnet of vmnet8 to ${cidrOf(seen)}.`
      : `${spec.name} already exists on this PC as ${host} and this lab did not create it, so it is left alone; the blueprint wants ${spec.subnet}. ` +
        `Pick a free VMnet number for this network in the blueprint, or set ${spec.name} to ${spec.subnet} yourself in the Virtual Network Editor.`;
  const m =
    spec.name === 'vmnet8'
      ? msg('hv.err.clashVmnet8', { host: observedMsg(seen), wanted: spec.subnet, hostSubnet: cidrOf(seen) })
      : msg('hv.err.clashOther', { name: spec.name, host: observedMsg(seen), wanted: spec.subnet });
  return { vmnet: spec.name, blueprintSubnet: spec.subnet, hostSubnet: cidrOf(seen), message, msg: m };
}

/** Where to read the host's VMnets: the networking file (Linux) or `vmrun listHostNetworks` (Windows). */
export interface ClashSource {
  platform: NodeJS.Platform;
  /** Linux: VMware's config folder (`vmwareEtcDir` / HALAB_VMWARE_ETC_DIR / `/etc/vmware`). */
  etcDir?: string;
  /** Windows: the host networks (as `vmrun listHostNetworks` reports them). */
  listHostNetworks?: () => Promise<HostNetwork[]>;
  /** Skip networks this lab created or reconfigured. */
  lab?: LabRef;
}

export async function observeVnet(index: number, src: ClashSource): Promise<Observed | undefined> {
  if (src.platform === 'win32') {
    if (!src.listHostNetworks) return undefined;
    const h = (await src.listHostNetworks()).find((n) => n.name === `vmnet${index}`);
    return h && { subnet: h.subnet, netmask: h.mask, dhcp: h.dhcp, nat: h.type.toLowerCase() === 'nat' };
  }
  const s = (await readNetworking(src.etcDir ?? '/etc/vmware')).get(index);
  return s && { subnet: s.subnet, netmask: s.netmask, dhcp: s.dhcp, nat: s.nat };
}

/**
 * The blueprint's NAT/host-only networks whose settings differ from the
 * host's existing VMnet of the same name (before anything runs). Networks
 * the lab itself created or reconfigured are not clashes.
 */
export async function vmnetClashes(nets: NetworkSpec[], src: ClashSource): Promise<VmnetClash[]> {
  const record = src.lab ? await readNetworkRecord(src.lab) : undefined;
  const out: VmnetClash[] = [];
  for (const spec of nets) {
    if (spec.type === 'bridged') continue;
    const want = wantedSettings(spec, src.platform);
    const seen = await observeVnet(want.index, src);
    if (!seen || sameSettings(seen, want)) continue;
    // The lab's own (still as the lab applied it) may be changed by the lab: no clash.
    const applied = record?.created[spec.name] ?? record?.reconfigured?.[spec.name]?.spec;
    if (applied && sameSettings(seen, wantedSettings(applied, src.platform))) continue;
    out.push(clashOf(spec, seen));
  }
  return out;
}
