/**
 * The resolved lab: a schema-valid blueprint with every default made
 * explicit (host and gateway addresses, DHCP pools, templates, sizes,
 * generated MACs, NIC names). Everything downstream (plan, providers,
 * config renderers, UI) works from this. Browser-safe.
 */
import { formatIpv4, generatedMac, nthHost, parseCidr, parseIpv4, parseMac, type Cidr } from './ip';
import type { DbEngine, Lab, LabNode, Network, Role } from './schema';
import { zoneRoutedAddress } from './zones';

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
  /** Incus/LXD cluster member the blueprint pins this VM to (`placement.target`). */
  target?: string;
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
    ...(node.placement ? { target: node.placement.target } : {}),
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
  // In different zones: through the zone router, at `to`'s zone address (zones.ts).
  return net ? addressOn(r, to, net) : zoneRoutedAddress(r.lab, from, to);
}

export function ipInNetwork(net: ResolvedNetwork, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && ((n & net.cidr.mask) >>> 0) === net.cidr.network;
}

type VipGroup = Lab['services']['vips'][number];
type LoadBalancer = NonNullable<Lab['services']['loadBalancer']>;
type Database = NonNullable<Lab['services']['database']>;

/** The VRRP version of a group (2 unless it says 3). */
export function vrrpVersion(v: Pick<VipGroup, 'version'>): 2 | 3 {
  return v.version ?? 2;
}

/**
 * Preemption of a group: `preempt` (a recovered higher-priority member takes
 * the VIP back), and the delay before it does. keepalived's `nopreempt` and
 * `preempt_delay` only work when no member starts as MASTER.
 */
export function preemptOf(v: Pick<VipGroup, 'preempt'>): { preempt: boolean; delaySeconds: number } {
  const p = v.preempt;
  if (p === undefined || p === true) return { preempt: true, delaySeconds: 0 };
  if (p === false) return { preempt: false, delaySeconds: 0 };
  return { preempt: true, delaySeconds: p.delay };
}

/** Whether every member must start in state BACKUP (nopreempt, preempt_delay). */
export function allMembersStartBackup(v: Pick<VipGroup, 'preempt'>): boolean {
  const p = preemptOf(v);
  return !p.preempt || p.delaySeconds > 0;
}

/** The track script's settings with defaults (interval 2 s, timeout = interval, fall 2, rise 2, weight 0). */
export function trackScriptOf(v: Pick<VipGroup, 'trackScript'>): { interval: number; timeout: number; fall: number; rise: number; weight: number; onStop: boolean; custom: boolean } {
  const t = v.trackScript;
  const interval = t?.interval ?? 2;
  return { interval, timeout: t?.timeout ?? interval, fall: t?.fall ?? 2, rise: t?.rise ?? 2, weight: t?.weight ?? 0, onStop: t?.onStop ?? false, custom: t !== undefined };
}

/**
 * VRRP's master-down interval in ms: 3 × advert + skew. VRRPv2: skew =
 * (256 − priority)/256 s whatever the advert interval; VRRPv3: skew =
 * (256 − priority) × advert/256 (RFC 3768 / RFC 5798, keepalived vrrp.h).
 */
export function masterDownMs(version: 2 | 3, advertSeconds: number, backupPriority: number): number {
  const skew = version === 3 ? ((256 - backupPriority) * advertSeconds) / 256 : (256 - backupPriority) / 256;
  return Math.round((3 * advertSeconds + skew) * 1000);
}

export const DEFAULT_NEXT_UPSTREAM = ['error', 'timeout', 'http_502', 'http_503', 'http_504'] as const;

/** nginx proxy timeouts and retries with defaults (the values the seed lab was measured with). */
export function lbProxyOf(lb: Pick<LoadBalancer, 'proxy' | 'upstream'>): { connectTimeoutSeconds: number; sendTimeoutSeconds: number; readTimeoutSeconds: number; nextUpstream: string[]; nonIdempotent: boolean; tries: number; nextUpstreamTimeoutSeconds: number } {
  const p = lb.proxy;
  const n = p?.nextUpstream;
  return {
    connectTimeoutSeconds: p?.connectTimeoutSeconds ?? 1,
    sendTimeoutSeconds: p?.sendTimeoutSeconds ?? 10,
    readTimeoutSeconds: p?.readTimeoutSeconds ?? 10,
    nextUpstream: [...new Set(n?.on ?? DEFAULT_NEXT_UPSTREAM)],
    nonIdempotent: n?.nonIdempotent ?? false,
    tries: n?.tries ?? Math.max(2, lb.upstream.members.length),
    nextUpstreamTimeoutSeconds: n?.timeoutSeconds ?? 5,
  };
}

/** The replication mode and the semi-sync timeout (default 10 000 ms, the servers' own default). */
export function dbReplicationOf(db: Pick<Database, 'replication' | 'semiSyncTimeoutMs'>): { mode: 'async' | 'semi-sync'; semiSyncTimeoutMs: number } {
  return { mode: db.replication ?? 'async', semiSyncTimeoutMs: db.semiSyncTimeoutMs ?? 10_000 };
}
