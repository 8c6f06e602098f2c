/**
 * Drawing a line between two canvas elements, and deleting one. What a line
 * means follows from what it joins: VM–network is a NIC, VIP–VM a VIP
 * member, load balancer→app an upstream, database→database replication.
 * Pure.
 */
import { planAddress } from './allocate';
import { primaryRole } from './roles';
import type { ElementRef } from './blueprint-edit';
import type { Draft, DraftServices } from './draft';

/** An i18n key with parameters, for messages the store shows as toasts. */
export interface EditMessage {
  key: 'connect.alreadyWired' | 'connect.networkFull' | 'connect.unsupported' | 'connect.notPrimary' | 'connect.alreadyMember' | 'connect.same' | 'connect.needsRole' | 'connect.dropOnCard';
  params?: Record<string, string | number>;
}

export type ConnectResult = { draft: Draft; error?: undefined } | { draft?: undefined; error: EditMessage };

/** The kinds of derived edges on the canvas. */
export type EdgeKind = 'nic' | 'upstream' | 'replication' | 'vip';

const svc = (d: Draft): DraftServices => d.services ?? { vips: [], firewall: { enabled: true } };

function addNic(d: Draft, vm: number, net: number): ConnectResult {
  const node = d.nodes[vm];
  const network = d.networks[net];
  if (!node || !network) return { error: { key: 'connect.unsupported' } };
  if (node.nics.some((x) => x.network === network.name)) return { error: { key: 'connect.alreadyWired', params: { host: node.hostname, net: network.name } } };
  const address = planAddress(d, network.name, primaryRole(node.roles));
  if (!address) return { error: { key: 'connect.networkFull', params: { net: network.name } } };
  const nodes = d.nodes.map((n, i) => (i === vm ? { ...n, nics: [...n.nics, { network: network.name, address }] } : n));
  return { draft: { ...d, nodes } };
}

function addVipMember(d: Draft, vip: number, vm: number): ConnectResult {
  const s = svc(d);
  const group = s.vips?.[vip];
  const node = d.nodes[vm];
  if (!group || !node) return { error: { key: 'connect.unsupported' } };
  if (group.members.some((m) => m.node === node.hostname)) return { error: { key: 'connect.alreadyMember', params: { host: node.hostname } } };
  const lowest = Math.min(200, ...group.members.map((m) => m.priority));
  const priority = group.members.length === 0 ? 150 : Math.max(1, lowest - 50);
  const vips = (s.vips ?? []).map((v, i) => (i === vip ? { ...v, members: [...v.members, { node: node.hostname, priority }] } : v));
  return { draft: { ...d, services: { ...s, vips } } };
}

function addUpstream(d: Draft, lbHost: string, appHost: string): ConnectResult {
  const s = svc(d);
  const lb = s.loadBalancer;
  if (lb && lb.members.includes(lbHost) && lb.upstream.members.includes(appHost)) return { error: { key: 'connect.alreadyMember', params: { host: appHost } } };
  const loadBalancer = lb
    ? {
        ...lb,
        members: lb.members.includes(lbHost) ? lb.members : [...lb.members, lbHost],
        upstream: { ...lb.upstream, members: lb.upstream.members.includes(appHost) ? lb.upstream.members : [...lb.upstream.members, appHost] },
      }
    : { members: [lbHost], listen: [80], upstream: { members: [appHost], port: s.app?.port ?? 3000 } };
  return { draft: { ...d, services: { ...s, loadBalancer } } };
}

function addReplica(d: Draft, from: string, to: string): ConnectResult {
  const s = svc(d);
  const db = s.database;
  if (!db) return { draft: { ...d, services: { ...s, database: { engine: 'mysql8', primary: from, replicas: [to] } } } };
  if (db.primary !== from) return { error: { key: 'connect.notPrimary', params: { primary: db.primary } } };
  const replicas = db.replicas ?? [];
  if (replicas.some((r) => (typeof r === 'string' ? r : r.node) === to)) return { error: { key: 'connect.alreadyMember', params: { host: to } } };
  return { draft: { ...d, services: { ...s, database: { ...db, replicas: [...replicas, to] } } } };
}

const has = (d: Draft, i: number, role: string) => (d.nodes[i]?.roles ?? []).includes(role as never);

/** Apply a line drawn from `a` to `b`. */
export function connect(d: Draft, a: ElementRef, b: ElementRef): ConnectResult {
  if (a.kind === b.kind && a.index === b.index) return { error: { key: 'connect.same' } };
  if (a.kind === 'vm' && b.kind === 'net') return addNic(d, a.index, b.index);
  if (a.kind === 'net' && b.kind === 'vm') return addNic(d, b.index, a.index);
  if (a.kind === 'vip' && b.kind === 'vm') return addVipMember(d, a.index, b.index);
  if (a.kind === 'vm' && b.kind === 'vip') return addVipMember(d, b.index, a.index);
  if (a.kind === 'vm' && b.kind === 'vm') {
    const ha = d.nodes[a.index]?.hostname as string;
    const hb = d.nodes[b.index]?.hostname as string;
    if (has(d, a.index, 'loadbalancer') && !has(d, b.index, 'loadbalancer')) return addUpstream(d, ha, hb);
    if (has(d, b.index, 'loadbalancer') && !has(d, a.index, 'loadbalancer')) return addUpstream(d, hb, ha);
    if (has(d, a.index, 'database') && has(d, b.index, 'database')) {
      // Drawn towards the primary by mistake: still mean primary → replica.
      if (d.services?.database?.primary === hb) return addReplica(d, hb, ha);
      return addReplica(d, ha, hb);
    }
    return { error: { key: 'connect.needsRole' } };
  }
  return { error: { key: 'connect.unsupported' } };
}

/** Ids of derived edges: `nic:<vm>:<nic>`, `up:<lb>:<app>`, `repl:<replica>`, `vipm:<vip>:<member>`. */
export function deleteEdge(d: Draft, id: string): Draft {
  const [kind, x, y] = id.split(':');
  const s = svc(d);
  if (kind === 'nic') {
    const vm = Number(x);
    const nic = Number(y);
    return { ...d, nodes: d.nodes.map((n, i) => (i === vm ? { ...n, nics: n.nics.filter((_, j) => j !== nic) } : n)) };
  }
  if (kind === 'up' && s.loadBalancer) {
    const app = y as string;
    const members = s.loadBalancer.upstream.members.filter((m) => m !== app);
    const next = { ...s };
    if (members.length) next.loadBalancer = { ...s.loadBalancer, upstream: { ...s.loadBalancer.upstream, members } };
    else delete next.loadBalancer;
    return { ...d, services: next };
  }
  if (kind === 'repl' && s.database) {
    const host = x as string;
    return { ...d, services: { ...s, database: { ...s.database, replicas: (s.database.replicas ?? []).filter((r) => (typeof r === 'string' ? r : r.node) !== host) } } };
  }
  if (kind === 'vipm') {
    const vip = Number(x);
    const member = Number(y);
    return { ...d, services: { ...s, vips: (s.vips ?? []).map((v, i) => (i === vip ? { ...v, members: v.members.filter((_, j) => j !== member) } : v)) } };
  }
  return d;
}
