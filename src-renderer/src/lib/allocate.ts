/**
 * Picking free things: static addresses, hostnames, VMnet names, subnets and
 * VRRP router ids. Pure; the same rules the validator enforces (host
 * address, NAT gateway, DHCP pool and taken addresses are never handed out).
 */
import { cidrOverlap, formatIpv4, parseCidr, parseIpv4 } from '../../../src-main/shared/blueprint/ip';
import { resolveNetwork } from '../../../src-main/shared/blueprint/model';
import type { Network, Role } from '../../../src-main/shared/blueprint/schema';
import type { Draft, DraftNetwork } from './draft';

/** Every address in use by a NIC or a VIP. */
export function takenAddresses(d: Draft): Set<number> {
  const taken = new Set<number>();
  for (const n of d.nodes) for (const nic of n.nics ?? []) {
    const ip = parseIpv4(String(nic.address ?? ''));
    if (ip !== undefined) taken.add(ip);
  }
  for (const v of d.services?.vips ?? []) {
    const ip = parseIpv4(String(v.address ?? ''));
    if (ip !== undefined) taken.add(ip);
  }
  return taken;
}

/**
 * The first free static address of `networkName`, skipping the host
 * address, the NAT gateway, the DHCP pool and taken addresses; undefined when
 * the network is unknown, its subnet does not parse, or it is full. With
 * `from`, the search starts at that address.
 */
export function firstFreeAddress(d: Draft, networkName: string, extraTaken: Iterable<number> = [], from?: number): string | undefined {
  const net = d.networks.find((n) => n.name === networkName);
  if (!net) return undefined;
  const r = resolveNetwork(net as Network);
  if (!r) return undefined;
  const taken = takenAddresses(d);
  for (const x of extraTaken) taken.add(x);
  const reserved = [r.hostAddress, r.natGateway].map((a) => (a ? parseIpv4(a) : undefined));
  const dhcpStart = r.dhcp ? parseIpv4(r.dhcp.start) : undefined;
  const dhcpEnd = r.dhcp ? parseIpv4(r.dhcp.end) : undefined;
  for (let ip = Math.max(r.cidr.network + 1, from ?? 0); ip < r.cidr.broadcast; ip++) {
    if (taken.has(ip) || reserved.includes(ip)) continue;
    if (dhcpStart !== undefined && dhcpEnd !== undefined && ip >= dhcpStart && ip <= dhcpEnd) continue;
    return formatIpv4(ip);
  }
  return undefined;
}

/** What a new address is for: a VM of a role, or a VIP. */
export type AddressUse = Role | 'vip';

/**
 * Where each kind of address starts in the seed labs' convention (host part
 * of the subnet): load balancers .11+, app .21+, database .31+, monitoring
 * .41+, everything else .51+, VIPs .100+; a zone router (firewall) takes the
 * first free address from .3, below every other role.
 */
export const ROLE_ADDRESS_BASE: Record<AddressUse, number> = {
  loadbalancer: 11,
  app: 21,
  'k8s-control': 21,
  'k8s-worker': 21,
  database: 31,
  cache: 31,
  monitoring: 41,
  bastion: 51,
  nfs: 51,
  generic: 51,
  firewall: 3,
  vip: 100,
};

/** The lab's address plan choice (layout.addressPlan); role unless it says first-free. */
export function addressPlanOf(d: Draft): 'role' | 'first-free' {
  return d.layout?.addressPlan === 'first-free' ? 'first-free' : 'role';
}

/**
 * A free static address for a new NIC or VIP on `networkName`. With the role
 * plan: the first free one from the role's base up (never the host, gateway,
 * DHCP pool or a taken address), else the first free anywhere; with
 * first-free: the first free.
 */
export function planAddress(d: Draft, networkName: string, use: AddressUse, extraTaken: Iterable<number> = []): string | undefined {
  if (addressPlanOf(d) === 'role') {
    const net = d.networks.find((n) => n.name === networkName);
    const r = net && resolveNetwork(net as Network);
    if (r) {
      const from = r.cidr.network + (ROLE_ADDRESS_BASE[use] ?? 51);
      const found = firstFreeAddress(d, networkName, extraTaken, from);
      if (found) return found;
    }
  }
  return firstFreeAddress(d, networkName, extraTaken);
}

/** `base-01`, `base-02`, … : the first not in `used`; a name already ending in digits counts on from them. */
export function nextName(base: string, used: Iterable<string>, width = 2): string {
  const taken = new Set(used);
  const m = /^(.*?)(\d+)$/.exec(base);
  const stem = m ? (m[1] as string) : `${base}-`;
  let n = m ? Number(m[2]) + 1 : 1;
  const w = m ? (m[2] as string).length : width;
  for (;; n++) {
    const name = `${stem}${String(n).padStart(w, '0')}`;
    if (!taken.has(name)) return name;
  }
}

/** A free VMnet name: VMware's own for NAT (vmnet8) and host-only (vmnet1), else vmnet2…vmnet19. */
export function nextVmnetName(d: Draft, type: DraftNetwork['type']): string {
  const used = new Set(d.networks.map((n) => n.name));
  const preferred = type === 'nat' ? 'vmnet8' : type === 'hostonly' ? 'vmnet1' : undefined;
  if (preferred && !used.has(preferred)) return preferred;
  for (let i = 2; i < 256; i++) {
    if (i === 8) continue;
    if (!used.has(`vmnet${i}`)) return `vmnet${i}`;
  }
  return nextName('vmnet', used);
}

const SUBNET_CANDIDATES: Record<string, (i: number) => string> = {
  nat: (i) => `192.168.${10 + i}.0/24`,
  hostonly: (i) => `172.16.${i}.0/24`,
  bridged: (i) => `192.168.${100 + i}.0/24`,
  custom: (i) => `10.0.${i}.0/24`,
};

/** A private /24 that overlaps no existing network. */
export function nextSubnet(d: Draft, type: DraftNetwork['type']): string {
  const existing = d.networks.map((n) => parseCidr(String(n.subnet ?? ''))).flatMap((r) => (r.ok ? [r.cidr] : []));
  const gen = SUBNET_CANDIDATES[type] ?? SUBNET_CANDIDATES.custom!;
  for (let i = 0; i < 200; i++) {
    const text = gen(i);
    const c = parseCidr(text);
    if (c.ok && !existing.some((e) => cidrOverlap(e, c.cidr))) return text;
  }
  return gen(0);
}

/** The lowest VRRP router id from 51 up not yet used on `network`. */
export function nextVrid(d: Draft, network: string): number {
  const used = new Set((d.services?.vips ?? []).filter((v) => v.network === network).map((v) => v.virtualRouterId));
  for (let id = 51; id <= 255; id++) if (!used.has(id)) return id;
  for (let id = 1; id < 51; id++) if (!used.has(id)) return id;
  return 51;
}
