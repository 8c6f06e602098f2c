/**
 * Network zones and the routed firewall (issue 14): which network is which
 * zone, the router, how a VM in one zone reaches a VM in another (through
 * the router, at the other VM's zone address), the traffic each service
 * needs, and the allow-list matrix. Used by validation (`rules-zones.ts`),
 * the model's addressing, the config renderers, `plan` and `verify`.
 *
 * Browser-safe, and free of imports from `model.ts` (which imports this).
 */
import { msg, type Message } from '../i18n';
import { parseCidr } from './ip';
import type { Lab } from './schema';

/** The word a rule uses for "every zone" (`mgmt → all 22`). */
export const ALL_ZONES = 'all';

export interface Zone {
  name: string;
  network: string;
  subnet: string;
}

export interface ZoneRule {
  from: string;
  to: string;
  ports: number[];
  protocol: 'tcp' | 'udp';
  why?: string;
}

/** One allowed (from-zone, to-zone, port, protocol) after `all` is expanded, with the rule it came from. */
export interface ZoneCell {
  from: string;
  to: string;
  port: number;
  protocol: 'tcp' | 'udp';
  rule: number;
  why?: string;
}

/** Networks that are zones, in blueprint order (the first network of a duplicated zone name wins). */
export function zonesOf(lab: Pick<Lab, 'networks'>): Zone[] {
  const out: Zone[] = [];
  for (const n of lab.networks) if (n.zone && !out.some((z) => z.name === n.zone)) out.push({ name: n.zone, network: n.name, subnet: n.subnet });
  return out;
}

/** The zone policy, when the blueprint has one. */
export function zonePolicy(lab: Pick<Lab, 'services'>): { router: string; allow: ZoneRule[] } | undefined {
  return lab.services.firewall.zones;
}

/** The router VM's hostname, when zones are routed. */
export function zoneRouter(lab: Pick<Lab, 'services'>): string | undefined {
  return lab.services.firewall.zones?.router;
}

/** The zone a (non-router) VM is in: the zone of its first NIC on a zone network. */
export function zoneOfNode(lab: Pick<Lab, 'networks' | 'nodes' | 'services'>, host: string): Zone | undefined {
  if (host === zoneRouter(lab)) return undefined;
  const node = lab.nodes.find((n) => n.hostname === host);
  if (!node) return undefined;
  const zones = zonesOf(lab);
  for (const nic of node.nics) {
    const z = zones.find((x) => x.network === nic.network);
    if (z) return z;
  }
  return undefined;
}

/** A VM's address in its zone. */
export function zoneAddressOf(lab: Pick<Lab, 'networks' | 'nodes' | 'services'>, host: string): string | undefined {
  const z = zoneOfNode(lab, host);
  return z && lab.nodes.find((n) => n.hostname === host)?.nics.find((nic) => nic.network === z.network)?.address;
}

/** The router's address on a network (the zone gateway of the VMs there). */
export function routerAddressOn(lab: Pick<Lab, 'nodes' | 'services'>, network: string): string | undefined {
  const r = zoneRouter(lab);
  return r === undefined ? undefined : lab.nodes.find((n) => n.hostname === r)?.nics.find((nic) => nic.network === network)?.address;
}

function shareNetwork(lab: Pick<Lab, 'nodes'>, a: string, b: string): boolean {
  const na = lab.nodes.find((n) => n.hostname === a);
  const nb = lab.nodes.find((n) => n.hostname === b);
  if (!na || !nb) return false;
  const nets = new Set(nb.nics.map((x) => x.network));
  return na.nics.some((x) => nets.has(x.network));
}

/**
 * When `from` reaches `to` only through the router (different zones, no
 * shared network, the router has a NIC in both zones): `to`'s zone address,
 * which is also the source address `to` connects from (the router does not
 * translate addresses). Otherwise undefined.
 */
export function zoneRoutedAddress(lab: Pick<Lab, 'networks' | 'nodes' | 'services'>, from: string, to: string): string | undefined {
  const router = zoneRouter(lab);
  if (router === undefined || from === to || shareNetwork(lab, from, to)) return undefined;
  const zf = zoneOfNode(lab, from);
  const zt = zoneOfNode(lab, to);
  if (!zf || !zt || zf.name === zt.name) return undefined;
  if (routerAddressOn(lab, zf.network) === undefined || routerAddressOn(lab, zt.network) === undefined) return undefined;
  return zoneAddressOf(lab, to);
}

/**
 * Routes a VM's NIC on `network` needs: every other zone's subnet through
 * the router's address on this network. Only lab subnets, never a default
 * route (traffic to the outside is never sent to the router).
 */
export function zoneRoutesFor(lab: Pick<Lab, 'networks' | 'nodes' | 'services'>, host: string, network: string): { to: string; via: string }[] {
  const z = zoneOfNode(lab, host);
  if (!z || z.network !== network) return [];
  const via = routerAddressOn(lab, network);
  if (!via) return [];
  const out: { to: string; via: string }[] = [];
  for (const other of zonesOf(lab)) {
    if (other.name === z.name || routerAddressOn(lab, other.network) === undefined) continue;
    const c = parseCidr(other.subnet);
    if (c.ok) out.push({ to: other.subnet, via });
  }
  return out;
}

/** The allow-list with `all` expanded into every zone (never a zone to itself), one cell per port. */
export function zoneCells(lab: Pick<Lab, 'networks' | 'services'>): ZoneCell[] {
  const p = lab.services.firewall.zones;
  if (!p) return [];
  const names = zonesOf(lab).map((z) => z.name);
  const expand = (z: string) => (z === ALL_ZONES ? names : names.includes(z) ? [z] : []);
  const out: ZoneCell[] = [];
  p.allow.forEach((r, rule) => {
    for (const from of expand(r.from)) for (const to of expand(r.to)) {
      if (from === to) continue;
      for (const port of [...new Set(r.ports)]) {
        if (!out.some((c) => c.from === from && c.to === to && c.port === port && c.protocol === r.protocol)) out.push({ from, to, port, protocol: r.protocol, rule, why: r.why });
      }
    }
  });
  return out;
}

/** The rule index that allows the traffic, if any. */
export function zoneAllows(lab: Pick<Lab, 'networks' | 'services'>, from: string, to: string, port: number, protocol: 'tcp' | 'udp'): number | undefined {
  return zoneCells(lab).find((c) => c.from === from && c.to === to && c.port === port && c.protocol === protocol)?.rule;
}

/** Traffic one service needs from one VM to another. */
export interface ServiceFlow {
  from: string;
  to: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** What it is, e.g. "the load balancer forwards to app1". */
  what: Message;
  /** Blueprint path of the service setting that needs it. */
  path: (string | number)[];
}

const DB_PORTS = { mysql8: 3306, mariadb: 3306, postgresql: 5432 } as const;
const DB_EXPORTER_PORTS = { mysql8: 9104, mariadb: 9104, postgresql: 9187 } as const;

/**
 * Every VM-to-VM connection the blueprint's services make (the LB to the
 * app servers, the app to the database and cache, replicas to their
 * primary, Prometheus to every exporter, backup copies), whatever the zones.
 */
export function serviceFlows(lab: Lab): ServiceFlow[] {
  const s = lab.services;
  const out: ServiceFlow[] = [];
  const add = (from: string, to: string, port: number, what: Message, path: (string | number)[]) => {
    if (from !== to && !out.some((f) => f.from === from && f.to === to && f.port === port)) out.push({ from, to, port, protocol: 'tcp', what, path });
  };
  const lb = s.loadBalancer;
  const appPort = lb?.upstream.port ?? s.app?.port ?? 3000;
  if (lb) for (const m of lb.members) for (const u of lb.upstream.members) add(m, u, appPort, msg('z.flow.lb', { app: u }), ['services', 'loadBalancer', 'upstream', 'members']);
  const db = s.database;
  const replicas = db ? db.replicas.map((r) => (typeof r === 'string' ? r : r.node)) : [];
  if (db) {
    const port = DB_PORTS[db.engine];
    for (const a of s.app?.members ?? []) {
      add(a, db.primary, port, msg('z.flow.appDb', { db: db.primary }), ['services', 'app', 'members']);
      if (s.app?.readFromReplica || db.engine === 'postgresql') for (const r of replicas) add(a, r, port, msg('z.flow.appDb', { db: r }), ['services', 'app', 'members']);
    }
    for (const r of replicas) add(r, db.primary, port, msg('z.flow.replica', { primary: db.primary }), ['services', 'database', 'replicas']);
    // Patroni: a standby may become the primary, so the old primary must reach it too;
    // the members ask each other's REST API (8008) in the leader race, and keep the leader key in etcd.
    if (db.engine === 'postgresql') {
      const members = [db.primary, ...replicas];
      for (const r of replicas) add(db.primary, r, port, msg('z.flow.replica', { primary: r }), ['services', 'database', 'replicas']);
      if (db.patroni) {
        for (const a of members) for (const b of members) add(a, b, 8008, msg('z.flow.patroni', { node: b }), ['services', 'database', 'replicas']);
        for (const a of members) for (const e of db.patroni.etcd) add(a, e, 2379, msg('z.flow.etcd', { node: e }), ['services', 'database', 'patroni', 'etcd']);
        for (const a of db.patroni.etcd) for (const e of db.patroni.etcd) add(a, e, 2380, msg('z.flow.etcdPeer', { node: e }), ['services', 'database', 'patroni', 'etcd']);
      }
    }
  }
  const cache = s.cache;
  if (cache) {
    const nodes = [cache.primary, ...cache.replicas];
    for (const a of s.app?.members ?? []) {
      for (const n of nodes) add(a, n, cache.port, msg('z.flow.appCache', { node: n }), ['services', 'app', 'members']);
      for (const n of cache.sentinels) add(a, n, cache.sentinelPort, msg('z.flow.appSentinel', { node: n }), ['services', 'app', 'members']);
    }
    for (const r of cache.replicas) add(r, cache.primary, cache.port, msg('z.flow.cacheReplica', { primary: cache.primary }), ['services', 'cache', 'replicas']);
    for (const sn of cache.sentinels) {
      for (const n of nodes) add(sn, n, cache.port, msg('z.flow.sentinel', { node: n }), ['services', 'cache', 'sentinels']);
      for (const o of cache.sentinels) add(sn, o, cache.sentinelPort, msg('z.flow.sentinel', { node: o }), ['services', 'cache', 'sentinels']);
    }
  }
  const mon = s.monitoring;
  if (mon) {
    for (const n of lab.nodes) add(mon.prometheus, n.hostname, 9100, msg('z.flow.scrape', { node: n.hostname, exporter: 'node_exporter' }), ['services', 'monitoring', 'prometheus']);
    if (cache) for (const n of [cache.primary, ...cache.replicas]) add(mon.prometheus, n, 9121, msg('z.flow.scrape', { node: n, exporter: 'redis_exporter' }), ['services', 'monitoring', 'prometheus']);
    if (db) for (const d of [db.primary, ...replicas]) add(mon.prometheus, d, DB_EXPORTER_PORTS[db.engine], msg('z.flow.scrape', { node: d, exporter: db.engine === 'postgresql' ? 'postgres_exporter' : 'mysqld_exporter' }), ['services', 'monitoring', 'prometheus']);
    const am = mon.alertmanager ?? mon.prometheus;
    add(mon.prometheus, am, 9093, msg('z.flow.alert', { node: am }), ['services', 'monitoring', 'alertmanager']);
  }
  const bk = s.backup;
  if (bk?.copyTo) add(bk.runOn, bk.copyTo, 22, msg('z.flow.backup', { node: bk.copyTo }), ['services', 'backup', 'copyTo']);
  return out;
}

/** A service flow that crosses zones, with its zones. */
export interface ZoneFlow extends ServiceFlow {
  fromZone: string;
  toZone: string;
}

/** The service flows that go through the router (both ends in different zones, no shared network). */
export function crossZoneFlows(lab: Lab): ZoneFlow[] {
  if (!zoneRouter(lab)) return [];
  const out: ZoneFlow[] = [];
  for (const f of serviceFlows(lab)) {
    if (zoneRoutedAddress(lab, f.from, f.to) === undefined) continue;
    out.push({ ...f, fromZone: zoneOfNode(lab, f.from)!.name, toZone: zoneOfNode(lab, f.to)!.name });
  }
  return out;
}

/** One cell of the matrix `plan` shows: what may go from one zone to another. */
export interface ZoneMatrixCell {
  from: string;
  to: string;
  /** Allowed ports as `80/tcp`, sorted; empty = everything denied. */
  allowed: string[];
  /** Allowed ports no service of the blueprint uses (kept because the rule says why, or a warning). */
  unused: string[];
}

export interface ZoneMatrix {
  router: string;
  zones: Zone[];
  cells: ZoneMatrixCell[];
}

/** The from × to matrix of the policy (undefined without zones). */
export function zoneMatrix(lab: Lab): ZoneMatrix | undefined {
  const router = zoneRouter(lab);
  const zones = zonesOf(lab);
  if (!router || !zones.length) return undefined;
  const cells = zoneCells(lab);
  const used = new Set(crossZoneFlows(lab).map((f) => `${f.fromZone}>${f.toZone}>${f.port}/${f.protocol}`));
  const out: ZoneMatrixCell[] = [];
  for (const a of zones) for (const b of zones) {
    if (a.name === b.name) continue;
    const here = cells.filter((c) => c.from === a.name && c.to === b.name).sort((x, y) => x.port - y.port || x.protocol.localeCompare(y.protocol));
    const allowed = here.map((c) => `${c.port}/${c.protocol}`);
    out.push({ from: a.name, to: b.name, allowed, unused: allowed.filter((p) => !used.has(`${a.name}>${b.name}>${p}`)) });
  }
  return { router, zones, cells: out };
}
