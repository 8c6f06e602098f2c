/**
 * The resolved lab: a schema-valid blueprint with every default made
 * explicit (host and gateway addresses, DHCP pools, templates, sizes,
 * generated MACs, NIC names). Everything downstream (plan, providers,
 * config renderers, UI) works from this. Browser-safe.
 */
import { formatIpv4, generatedMac, nthHost, parseCidr, parseIpv4, parseMac, type Cidr } from './ip';
import type { DbEngine, Lab, LabNode, Network, Role } from './schema';

export interface ResolvedNetwork {
  name: string;
  type: Network['type'];
  subnet: string;
  cidr: Cidr;
  prefix: number;
  hostAddress: string;
  natGateway?: string;
  dhcp?: { start: string; end: string };
}

export interface ResolvedNic {
  index: number;
  network: string;
  address: string;
  mac: string;
  /** Interface name on an Ubuntu guest (ens33, ens34, …); netplan matches by MAC anyway. */
  ifname: string;
}

export interface ResolvedNode {
  hostname: string;
  roles: Role[];
  template: string;
  clone: 'linked' | 'full';
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  nics: ResolvedNic[];
}

export interface ResolvedLab {
  name: string;
  lab: Lab;
  networks: ResolvedNetwork[];
  nodes: ResolvedNode[];
  /** The database replicas as hostnames with their engine. */
  replicas: { node: string; engine: DbEngine }[];
}

/** Default DHCP pool: VMware's `.128`–`.254` on a /24, the upper half elsewhere. */
export function defaultDhcp(c: Cidr): { start: string; end: string } | undefined {
  if (c.prefix > 29) return undefined;
  const size = c.broadcast - c.network + 1;
  return { start: formatIpv4(c.network + size / 2), end: formatIpv4(c.broadcast - 1) };
}

export function resolveNetwork(n: Network): ResolvedNetwork | undefined {
  const parsed = parseCidr(n.subnet);
  if (!parsed.ok) return undefined;
  const c = parsed.cidr;
  return {
    name: n.name,
    type: n.type,
    subnet: n.subnet,
    cidr: c,
    prefix: c.prefix,
    hostAddress: n.hostAddress ?? formatIpv4(nthHost(c, 1)),
    natGateway: n.type === 'nat' ? (n.natGateway ?? formatIpv4(nthHost(c, 2))) : undefined,
    dhcp: n.dhcp === 'none' ? undefined : (n.dhcp ?? defaultDhcp(c)),
  };
}

/** NIC names a VMware e1000 NIC gets on Ubuntu, in slot order. */
export function guestIfname(index: number): string {
  return `ens${33 + index}`;
}

export function replicasOf(lab: Lab): { node: string; engine: DbEngine }[] {
  const db = lab.services.database;
  if (!db) return [];
  return db.replicas.map((r) => (typeof r === 'string' ? { node: r, engine: db.engine } : { node: r.node, engine: r.engine ?? db.engine }));
}

function resolveNode(lab: Lab, node: LabNode, usedMacs: Set<number>): ResolvedNode {
  const d = lab.defaults;
  return {
    hostname: node.hostname,
    roles: node.roles,
    template: node.template ?? d.template,
    clone: d.clone,
    vcpus: node.vcpus ?? d.vcpus,
    memoryMiB: node.memoryMiB ?? d.memoryMiB,
    diskGiB: node.diskGiB ?? d.diskGiB,
    nics: node.nics.map((nic, index) => {
      let mac = nic.mac?.toLowerCase();
      if (!mac) {
        for (let salt = 0; ; salt++) {
          mac = generatedMac(lab.metadata.name, node.hostname, index, salt);
          const n = parseMac(mac) as number;
          if (!usedMacs.has(n)) break;
        }
      }
      const m = parseMac(mac);
      if (m !== undefined) usedMacs.add(m);
      return { index, network: nic.network, address: nic.address, mac, ifname: guestIfname(index) };
    }),
  };
}

/**
 * Resolve defaults. Expects a blueprint that passed the schema; networks
 * whose subnet does not parse are left out (validation reports them).
 */
export function resolveLab(lab: Lab): ResolvedLab {
  const usedMacs = new Set<number>();
  for (const n of lab.nodes) for (const nic of n.nics) if (nic.mac) {
    const m = parseMac(nic.mac);
    if (m !== undefined) usedMacs.add(m);
  }
  return {
    name: lab.metadata.name,
    lab,
    networks: lab.networks.map(resolveNetwork).filter((n): n is ResolvedNetwork => n !== undefined),
    nodes: lab.nodes.map((n) => resolveNode(lab, n, usedMacs)),
    replicas: replicasOf(lab),
  };
}

/** The address of `hostname` on `network`, if it has a NIC there. */
export function addressOn(r: ResolvedLab, hostname: string, network: string): string | undefined {
  return r.nodes.find((n) => n.hostname === hostname)?.nics.find((nic) => nic.network === network)?.address;
}

/** Networks two nodes share. */
export function sharedNetworks(r: ResolvedLab, a: string, b: string): string[] {
  const na = r.nodes.find((n) => n.hostname === a);
  const nb = r.nodes.find((n) => n.hostname === b);
  if (!na || !nb) return [];
  const netsB = new Set(nb.nics.map((x) => x.network));
  return [...new Set(na.nics.map((x) => x.network).filter((x) => netsB.has(x)))];
}

/**
 * The address `from` should use to reach `to`: `to`'s address on the first
 * network they share.
 */
export function addressFor(r: ResolvedLab, from: string, to: string): string | undefined {
  const net = sharedNetworks(r, from, to)[0];
  return net ? addressOn(r, to, net) : undefined;
}

export function ipInNetwork(net: ResolvedNetwork, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && ((n & net.cidr.mask) >>> 0) === net.cidr.network;
}
