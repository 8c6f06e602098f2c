/**
 * Editing operations on a draft blueprint: place VMs, networks and VIP
 * groups, delete them, and rename with every reference following. Pure:
 * each returns a new draft. Wiring (edges) lives in `connect.ts`.
 */
import { masterDownMs } from '../../../src-main/shared/blueprint/model';
import type { Role } from '../../../src-main/shared/blueprint/schema';
import { nextName, nextSubnet, nextVmnetName, nextVrid, planAddress } from './allocate';
import { getIn, netKey, positionsOf, setIn, vipKey, type Draft, type DraftNode, type DraftServices, type DraftVip, type Path, type Point } from './draft';
import { primaryRole, ROLE_META } from './roles';

/** One element on the canvas. */
export type ElementRef = { kind: 'vm' | 'net' | 'vip'; index: number };

/** The layout key (`layout.positions`) of an element, if it exists. */
export function layoutKeyOf(d: Draft, ref: ElementRef): string | undefined {
  if (ref.kind === 'vm') return d.nodes[ref.index]?.hostname;
  if (ref.kind === 'net') {
    const n = d.networks[ref.index];
    return n ? netKey(n.name) : undefined;
  }
  const v = d.services?.vips?.[ref.index];
  return v ? vipKey(v.name) : undefined;
}

/** A copy with the given positions merged into `layout.positions` (rounded). */
export function withPositions(d: Draft, positions: Record<string, Point>): Draft {
  const merged = { ...positionsOf(d) };
  for (const [k, p] of Object.entries(positions)) merged[k] = { x: Math.round(p.x), y: Math.round(p.y) };
  return { ...d, layout: { ...d.layout, positions: merged } };
}

function services(d: Draft): DraftServices {
  return d.services ?? { vips: [], firewall: { enabled: true } };
}

const addOnce = (list: string[] | undefined, x: string): string[] => (list ?? []).includes(x) ? (list ?? []) : [...(list ?? []), x];

/**
 * Puts `host` into the services its role implies: app servers join the app
 * service and the load balancers' upstream; load balancers join (or start)
 * load balancing in front of the app servers; the first database is the
 * primary and later ones its replicas; the first monitoring VM runs
 * Prometheus.
 */
export function wireRole(d: Draft, host: string, role: Role): Draft {
  const s = services(d);
  if (role === 'app') {
    const app = s.app ? { ...s.app, members: addOnce(s.app.members, host) } : { members: [host], port: 3000 };
    const lb = s.loadBalancer;
    const loadBalancer = lb ? { ...lb, upstream: { ...lb.upstream, members: addOnce(lb.upstream.members, host) } } : undefined;
    return { ...d, services: { ...s, app, ...(loadBalancer ? { loadBalancer } : {}) } };
  }
  if (role === 'loadbalancer') {
    const lb = s.loadBalancer;
    const apps = d.nodes.filter((n) => n.roles.includes('app')).map((n) => n.hostname);
    const loadBalancer = lb ? { ...lb, members: addOnce(lb.members, host) } : { members: [host], listen: [80], upstream: { members: apps, port: s.app?.port ?? 3000 } };
    return { ...d, services: { ...s, loadBalancer } };
  }
  if (role === 'database') {
    const db = s.database;
    if (!db) return { ...d, services: { ...s, database: { engine: 'mysql8', primary: host } } };
    const replicas = db.replicas ?? [];
    if (db.primary === host || replicas.some((r) => (typeof r === 'string' ? r : r.node) === host)) return d;
    return { ...d, services: { ...s, database: { ...db, replicas: [...replicas, host] } } };
  }
  if (role === 'monitoring' && !s.monitoring) return { ...d, services: { ...s, monitoring: { prometheus: host } } };
  return d;
}

/** Takes `host` out of the services a role it no longer has implied (the reverse of wireRole). */
export function unwireRole(d: Draft, host: string, role: Role): Draft {
  const s: DraftServices = { ...services(d) };
  if (role === 'app') {
    if (s.app) {
      const members = without(s.app.members, (m) => m === host);
      s.app = members.length ? { ...s.app, members } : undefined;
    }
    if (s.loadBalancer) s.loadBalancer = { ...s.loadBalancer, upstream: { ...s.loadBalancer.upstream, members: without(s.loadBalancer.upstream.members, (m) => m === host) } };
  } else if (role === 'loadbalancer' && s.loadBalancer) {
    const members = without(s.loadBalancer.members, (m) => m === host);
    s.loadBalancer = members.length ? { ...s.loadBalancer, members } : undefined;
  } else if (role === 'database' && s.database) {
    const replicas = without(s.database.replicas, (r) => (typeof r === 'string' ? r : r.node) === host);
    if (s.database.primary === host) {
      const next = replicas[0];
      s.database = next === undefined ? undefined : { ...s.database, primary: typeof next === 'string' ? next : next.node, replicas: replicas.slice(1) };
    } else s.database = { ...s.database, replicas };
  } else if (role === 'monitoring' && s.monitoring?.prometheus === host) {
    const other = d.nodes.find((n) => n.hostname !== host && n.roles.includes('monitoring'));
    s.monitoring = other ? { ...s.monitoring, prometheus: other.hostname } : undefined;
  } else return d;
  for (const k of Object.keys(s) as (keyof DraftServices)[]) if (s[k] === undefined) delete s[k];
  return { ...d, services: s };
}

/** Set a VM's roles; services follow the roles added and removed. */
export function setRoles(d: Draft, index: number, roles: Role[]): Draft {
  const node = d.nodes[index];
  if (!node) return d;
  const before = node.roles as Role[];
  let draft = setIn(d, ['nodes', index, 'roles'], roles);
  for (const r of before) if (!roles.includes(r)) draft = unwireRole(draft, node.hostname, r);
  for (const r of roles) if (!before.includes(r)) draft = wireRole(draft, node.hostname, r);
  return draft;
}

/** A role whose service does not include the VM (or a service naming a VM without the role). */
export interface RoleMismatch {
  role: Role;
  /** The service concerned. */
  service: 'app' | 'upstream' | 'loadBalancer' | 'database' | 'monitoring';
  /** missing: the VM has the role but is not in the service; extra: in the service without the role. */
  kind: 'missing' | 'extra';
}

/** Where a VM's roles and the services disagree (shown as warnings with a fix). */
export function roleMismatches(d: Draft, index: number): RoleMismatch[] {
  const node = d.nodes[index];
  if (!node) return [];
  const h = node.hostname;
  const s = d.services ?? {};
  const has = (r: Role) => node.roles.includes(r);
  const out: RoleMismatch[] = [];
  const inApp = (s.app?.members ?? []).includes(h);
  const inUp = (s.loadBalancer?.upstream.members ?? []).includes(h);
  const inLb = (s.loadBalancer?.members ?? []).includes(h);
  const inDb = s.database ? s.database.primary === h || (s.database.replicas ?? []).some((r) => (typeof r === 'string' ? r : r.node) === h) : false;
  const inMon = !!s.monitoring && [s.monitoring.prometheus, s.monitoring.alertmanager, s.monitoring.loki].includes(h);
  if (has('app') && !inApp) out.push({ role: 'app', service: 'app', kind: 'missing' });
  if (has('app') && s.loadBalancer && !inUp) out.push({ role: 'app', service: 'upstream', kind: 'missing' });
  if (!has('app') && inApp) out.push({ role: 'app', service: 'app', kind: 'extra' });
  if (has('loadbalancer') && !inLb) out.push({ role: 'loadbalancer', service: 'loadBalancer', kind: 'missing' });
  if (has('database') && !inDb) out.push({ role: 'database', service: 'database', kind: 'missing' });
  if (has('monitoring') && !s.monitoring) out.push({ role: 'monitoring', service: 'monitoring', kind: 'missing' });
  if (!has('monitoring') && inMon) out.push({ role: 'monitoring', service: 'monitoring', kind: 'extra' });
  return out;
}

/** Place a new VM of `role` (or a copy of `template`); its roles put it into their services. */
export function addVm(d: Draft, role: Role, at: Point, template?: DraftNode): { draft: Draft; index: number } {
  const used = d.nodes.map((n) => n.hostname);
  const meta = ROLE_META[role];
  let node: DraftNode;
  if (template) {
    const hostname = nextName(template.hostname, used);
    let draft = d;
    const use = primaryRole(template.roles);
    const nics = (template.nics ?? []).map((nic) => {
      const address = planAddress(draft, nic.network, use) ?? nic.address;
      // Reserve it for the next NIC of this copy by pretending it is placed.
      draft = { ...draft, nodes: [...draft.nodes, { hostname: '', roles: ['generic'], nics: [{ network: nic.network, address }] }] };
      return { network: nic.network, address };
    });
    node = { ...structuredClone(template), hostname, nics };
  } else {
    node = { hostname: nextName(meta.stem, used), roles: [role], vcpus: meta.vcpus, memoryMiB: meta.memoryMiB, nics: [] };
  }
  let draft: Draft = { ...d, nodes: [...d.nodes, node] };
  for (const r of node.roles as Role[]) draft = wireRole(draft, node.hostname, r);
  draft = withPositions(draft, { [node.hostname]: at });
  return { draft, index: draft.nodes.length - 1 };
}

/** Place a new network of `type` with a free VMnet name and a non-overlapping /24. */
export function addNetwork(d: Draft, type: Draft['networks'][number]['type'], at: Point): { draft: Draft; index: number } {
  const name = nextVmnetName(d, type);
  const draft = withPositions({ ...d, networks: [...d.networks, { name, type, subnet: nextSubnet(d, type) }] }, { [netKey(name)]: at });
  return { draft, index: draft.networks.length - 1 };
}

/** Place a new VIP group on the first NAT network (else the first network), with a free address and router id. */
export function addVip(d: Draft, at: Point): { draft: Draft; index: number } {
  const s = services(d);
  const vips = s.vips ?? [];
  const net = d.networks.find((n) => n.type === 'nat') ?? d.networks[0];
  const name = vips.length === 0 ? 'web' : nextName('vip', vips.map((v) => v.name));
  const network = net?.name ?? '';
  const vip = { name, address: (net && planAddress(d, net.name, 'vip')) ?? '', network, virtualRouterId: nextVrid(d, network), members: [] };
  const draft = withPositions({ ...d, services: { ...s, vips: [...vips, vip] } }, { [vipKey(name)]: at });
  return { draft, index: vips.length };
}

const without = <T,>(list: T[] | undefined, drop: (x: T) => boolean): T[] => (list ?? []).filter((x) => !drop(x));

/** Remove every reference to `host` from the services, dropping services left without members. */
function unreferenceNode(d: Draft, host: string): Draft {
  const s: DraftServices = { ...services(d) };
  s.vips = (s.vips ?? []).map((v) => ({ ...v, members: without(v.members, (m) => m.node === host) }));
  if (s.loadBalancer) {
    const members = without(s.loadBalancer.members, (m) => m === host);
    const up = without(s.loadBalancer.upstream.members, (m) => m === host);
    s.loadBalancer = members.length && up.length ? { ...s.loadBalancer, members, upstream: { ...s.loadBalancer.upstream, members: up } } : undefined;
  }
  if (s.app) {
    const members = without(s.app.members, (m) => m === host);
    s.app = members.length ? { ...s.app, members } : undefined;
  }
  if (s.database) {
    const replicas = without(s.database.replicas, (r) => (typeof r === 'string' ? r : r.node) === host);
    if (s.database.primary === host) {
      const next = replicas[0];
      s.database = next === undefined ? undefined : { ...s.database, primary: typeof next === 'string' ? next : next.node, replicas: replicas.slice(1) };
    } else s.database = { ...s.database, replicas };
  }
  if (s.monitoring) {
    if (s.monitoring.prometheus === host) s.monitoring = undefined;
    else s.monitoring = { ...s.monitoring, alertmanager: s.monitoring.alertmanager === host ? undefined : s.monitoring.alertmanager, loki: s.monitoring.loki === host ? undefined : s.monitoring.loki };
  }
  if (s.backup) s.backup = s.backup.runOn === host ? undefined : { ...s.backup, copyTo: s.backup.copyTo === host ? undefined : s.backup.copyTo };
  for (const k of Object.keys(s) as (keyof DraftServices)[]) if (s[k] === undefined) delete s[k];
  return { ...d, services: s };
}

function dropPosition(d: Draft, key: string | undefined): Draft {
  if (!key || !d.layout?.positions || !(key in d.layout.positions)) return d;
  const positions = { ...d.layout.positions };
  delete positions[key];
  return { ...d, layout: { ...d.layout, positions } };
}

/** Delete an element and everything that only made sense with it (NICs on a network, VIPs on it, service references). */
export function deleteElement(d: Draft, ref: ElementRef): Draft {
  const key = layoutKeyOf(d, ref);
  if (ref.kind === 'vm') {
    const node = d.nodes[ref.index];
    if (!node) return d;
    const draft = { ...d, nodes: d.nodes.filter((_, i) => i !== ref.index) };
    return dropPosition(unreferenceNode(draft, node.hostname), key);
  }
  if (ref.kind === 'net') {
    const net = d.networks[ref.index];
    if (!net) return d;
    const s = services(d);
    let draft: Draft = {
      ...d,
      networks: d.networks.filter((_, i) => i !== ref.index),
      nodes: d.nodes.map((n) => (n.nics.some((x) => x.network === net.name) ? { ...n, nics: n.nics.filter((x) => x.network !== net.name) } : n)),
    };
    const gone = (s.vips ?? []).filter((v) => v.network === net.name);
    draft = { ...draft, services: { ...s, vips: (s.vips ?? []).filter((v) => v.network !== net.name) } };
    for (const v of gone) draft = dropPosition(draft, vipKey(v.name));
    return dropPosition(draft, key);
  }
  const s = services(d);
  return dropPosition({ ...d, services: { ...s, vips: (s.vips ?? []).filter((_, i) => i !== ref.index) } }, key);
}

const rename = (x: string | undefined, from: string, to: string) => (x === from ? to : x);
const renameList = (xs: string[] | undefined, from: string, to: string) => xs?.map((x) => (x === from ? to : x));

/** Rename a VM; services and layout follow. */
export function renameNode(d: Draft, index: number, to: string): Draft {
  const from = d.nodes[index]?.hostname;
  if (from === undefined || from === to) return d;
  const clash = d.nodes.some((n, i) => i !== index && n.hostname === from);
  let draft = setIn(d, ['nodes', index, 'hostname'], to);
  // When another VM still carries the old name, references stay with it.
  if (clash) return draft;
  const s = services(draft);
  const next: DraftServices = { ...s, vips: (s.vips ?? []).map((v) => ({ ...v, members: v.members.map((m) => ({ ...m, node: rename(m.node, from, to) as string })) })) };
  if (s.loadBalancer) next.loadBalancer = { ...s.loadBalancer, members: renameList(s.loadBalancer.members, from, to) as string[], upstream: { ...s.loadBalancer.upstream, members: renameList(s.loadBalancer.upstream.members, from, to) as string[] } };
  if (s.app) next.app = { ...s.app, members: renameList(s.app.members, from, to) as string[] };
  if (s.database) next.database = { ...s.database, primary: rename(s.database.primary, from, to) as string, replicas: s.database.replicas?.map((r) => (typeof r === 'string' ? (rename(r, from, to) as string) : { ...r, node: rename(r.node, from, to) as string })) };
  if (s.monitoring) next.monitoring = { ...s.monitoring, prometheus: rename(s.monitoring.prometheus, from, to) as string, alertmanager: rename(s.monitoring.alertmanager, from, to), loki: rename(s.monitoring.loki, from, to) };
  if (s.backup) next.backup = { ...s.backup, runOn: rename(s.backup.runOn, from, to) as string, copyTo: rename(s.backup.copyTo, from, to) };
  for (const k of Object.keys(next) as (keyof DraftServices)[]) if (next[k] === undefined) delete next[k];
  draft = { ...draft, services: next };
  return moveLayoutKey(draft, from, to);
}

function moveLayoutKey(d: Draft, from: string, to: string): Draft {
  const pos = d.layout?.positions;
  if (!pos || !(from in pos) || from === to) return d;
  const positions: Record<string, { x: number; y: number }> = {};
  for (const [k, v] of Object.entries(pos)) positions[k === from ? to : k] = v;
  return { ...d, layout: { ...d.layout, positions } };
}

/** Rename a network; NICs, VIPs and layout follow. */
export function renameNetwork(d: Draft, index: number, to: string): Draft {
  const from = d.networks[index]?.name;
  if (from === undefined || from === to) return d;
  let draft = setIn(d, ['networks', index, 'name'], to);
  if (d.networks.some((n, i) => i !== index && n.name === from)) return draft;
  draft = { ...draft, nodes: draft.nodes.map((n) => (n.nics.some((x) => x.network === from) ? { ...n, nics: n.nics.map((x) => (x.network === from ? { ...x, network: to } : x)) } : n)) };
  const s = services(draft);
  draft = { ...draft, services: { ...s, vips: (s.vips ?? []).map((v) => (v.network === from ? { ...v, network: to } : v)) } };
  return moveLayoutKey(draft, netKey(from), netKey(to));
}

/**
 * Set one field. Renaming a VM, a network or a VIP group carries its
 * references along; `undefined` removes the field.
 */
export function setField(d: Draft, path: Path, value: unknown): Draft {
  if (path.length === 3 && path[0] === 'nodes' && path[2] === 'hostname' && typeof value === 'string') return renameNode(d, path[1] as number, value);
  if (path.length === 3 && path[0] === 'nodes' && path[2] === 'roles' && Array.isArray(value)) return setRoles(d, path[1] as number, value as Role[]);
  if (path.length === 3 && path[0] === 'networks' && path[2] === 'name' && typeof value === 'string') return renameNetwork(d, path[1] as number, value);
  if (path.length === 4 && path[0] === 'services' && path[1] === 'vips' && path[3] === 'name' && typeof value === 'string') {
    const from = d.services?.vips?.[path[2] as number]?.name;
    const draft = setIn(d, path, value);
    return from === undefined ? draft : moveLayoutKey(draft, vipKey(from), vipKey(value));
  }
  const next = setIn(d, path, value);
  return value === undefined ? pruneEmptyGroups(next, path) : next;
}

/**
 * Optional groups of settings that mean nothing when empty: a VIP group's
 * `trackScript`, the load balancer's `proxy` and its `nextUpstream`. Clearing
 * their last field removes them, so the YAML does not keep `proxy: {}`.
 */
const OPTIONAL_GROUPS = new Set(['trackScript', 'proxy', 'nextUpstream']);

/** Removes the emptied optional groups on `path`'s way up (innermost first). */
export function pruneEmptyGroups(d: Draft, path: Path): Draft {
  let out = d;
  for (let k = path.length - 1; k >= 1; k--) {
    const key = path[k - 1];
    if (typeof key !== 'string' || !OPTIONAL_GROUPS.has(key)) continue;
    const group = getIn(out, path.slice(0, k));
    if (group === null || typeof group !== 'object' || Array.isArray(group) || Object.keys(group).length > 0) break;
    out = setIn(out, path.slice(0, k), undefined);
  }
  return out;
}

/** How a VIP group takes the VIP back: at once (default), never (nopreempt), or after a delay. */
export type PreemptChoice = 'default' | 'true' | 'false' | 'delay';

/** The Properties choice for a group's `preempt` value. */
export function preemptChoice(p: unknown): PreemptChoice {
  if (p === undefined) return 'default';
  if (p === true) return 'true';
  if (p === false) return 'false';
  return 'delay';
}

/** The `preempt` value a choice writes; picking "delay" keeps a delay already set, else starts at `delay` seconds. */
export function preemptValue(choice: PreemptChoice, current: unknown, delay = 5): unknown {
  if (choice === 'default') return undefined;
  if (choice === 'true') return true;
  if (choice === 'false') return false;
  return current !== null && typeof current === 'object' && 'delay' in current ? current : { delay };
}

/**
 * `nextUpstream.on` after ticking or unticking one condition. While unset the
 * effective list is the default (`defaults`); a change writes the whole list
 * in the schema's order, so unticking then ticking a default condition writes
 * the default list explicitly.
 */
export function toggleCondition<T extends string>(current: readonly T[] | undefined, defaults: readonly T[], all: readonly T[], which: T, on: boolean): T[] {
  const set = new Set<T>(current ?? defaults);
  if (on) set.add(which);
  else set.delete(which);
  return all.filter((c) => set.has(c));
}

/** Seconds as short text: 0.1, 2, 0.361. */
export const secs = (s: number): string => String(Math.round(s * 1000) / 1000);

const num = (x: unknown, fallback: number): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

/** The backup's priority: the second highest member's (100 while there is no second member). */
function backupPriority(v: DraftVip): number {
  const prios = v.members.map((m) => m.priority).filter((p): p is number => typeof p === 'number').sort((a, b) => b - a);
  return prios[1] ?? 100;
}

/** Master-down interval of a group as the draft stands: 3 × advert + skew (model.masterDownMs). */
export function masterDownOf(v: DraftVip): { version: 2 | 3; advert: number; skew: number; ms: number; priority: number } {
  const version = v.version === 3 ? 3 : 2;
  const advert = num(v.advertInterval, 1);
  const priority = backupPriority(v);
  const skew = version === 3 ? ((256 - priority) * advert) / 256 : (256 - priority) / 256;
  return { version, advert, skew, ms: masterDownMs(version, advert, priority), priority };
}
