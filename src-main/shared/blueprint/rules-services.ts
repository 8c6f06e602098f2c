/**
 * Service rules: references resolve, and every service can reach what it
 * needs (shares a network with it); drills only where they apply; memory.
 */
import { didYouMean, type Issue, type IssuePath } from './issues';
import { checkFailoverOptions } from './rules-failover';
import { parseCidr } from './ip';
import { replicasOf } from './model';
import type { DrillName, Lab, Role } from './schema';

interface Ctx {
  lab: Lab;
  issues: Issue[];
  /** Networks of each node, by hostname (built once per validation). */
  nets?: Map<string, Set<string>>;
}

const err = (ctx: Ctx, code: string, path: IssuePath, message: string, fix?: string) => ctx.issues.push({ severity: 'error', code, path, message, fix });
const warn = (ctx: Ctx, code: string, path: IssuePath, message: string, fix?: string) => ctx.issues.push({ severity: 'warning', code, path, message, fix });

function netsOf(ctx: Ctx, host: string): Set<string> | undefined {
  if (!ctx.nets) {
    ctx.nets = new Map();
    for (const n of ctx.lab.nodes) if (!ctx.nets.has(n.hostname)) ctx.nets.set(n.hostname, new Set(n.nics.map((x) => x.network)));
  }
  return ctx.nets.get(host);
}

/** Report an unknown node; returns whether it exists. */
function ref(ctx: Ctx, host: string, path: IssuePath, what: string): boolean {
  if (netsOf(ctx, host)) return true;
  const names = ctx.lab.nodes.map((n) => n.hostname);
  const guess = didYouMean(host, names);
  err(ctx, 'unknown-node', path, `${what} "${host}" is not a node of this lab.${guess ? ` Did you mean "${guess}"?` : ''}`, guess ? `Use "${guess}".` : `Use one of: ${names.join(', ')}.`);
  return false;
}

function reach(ctx: Ctx, from: string, to: string, path: IssuePath, why: string): void {
  const a = netsOf(ctx, from);
  const b = netsOf(ctx, to);
  if (!a || !b || from === to) return;
  for (const n of a) if (b.has(n)) return;
  err(ctx, 'no-shared-network', path, `${from} and ${to} share no network, but ${why}.`, `Give ${from} a NIC on one of ${to}'s networks (${[...b].join(', ')}).`);
}

function role(ctx: Ctx, host: string, r: Role, path: IssuePath, what: string): void {
  const n = ctx.lab.nodes.find((x) => x.hostname === host);
  if (n && !n.roles.includes(r)) warn(ctx, 'role-mismatch', path, `${host} is used as ${what} but does not have the role "${r}".`, `Add "${r}" to its roles.`);
}

/**
 * Minimum counts, checked here rather than in the schema so that a VM still
 * without a NIC (as it is when first dropped on the canvas) does not hide
 * every other problem of the plan.
 */
export function checkCounts(ctx: Ctx): void {
  const { lab } = ctx;
  const need = (n: number, min: number, code: string, path: IssuePath, message: string, fix: string) => n < min && err(ctx, code, path, message, fix);
  need(lab.networks.length, 1, 'no-network', ['networks'], 'The lab has no network.', 'Add a VMnet (for example vmnet8, NAT, 192.168.10.0/24).');
  need(lab.nodes.length, 1, 'no-node', ['nodes'], 'The lab has no VM.', 'Add at least one VM.');
  lab.nodes.forEach((n, i) => {
    need(n.nics.length, 1, 'no-nic', ['nodes', i, 'nics'], `${n.hostname} has no NIC, so nothing can reach it.`, 'Wire it to a network.');
    need(n.roles.length, 1, 'no-role', ['nodes', i, 'roles'], `${n.hostname} has no role.`, 'Give it a role such as app or generic.');
  });
  lab.services.vips.forEach((v, i) => need(v.members.length, 2, 'vip-members', ['services', 'vips', i, 'members'], `VIP "${v.name}" has ${v.members.length} member(s); a VIP needs at least two nodes to fail over between.`, 'Add a second load balancer to the VIP group.'));
  const lb = lab.services.loadBalancer;
  if (lb) {
    need(lb.members.length, 1, 'lb-members', ['services', 'loadBalancer', 'members'], 'The load balancer service has no members.', 'List the nodes that run nginx.');
    need(lb.upstream.members.length, 1, 'upstream-members', ['services', 'loadBalancer', 'upstream', 'members'], 'The load balancer has no app server to forward to.', 'List the app servers in upstream.members.');
  }
  if (lab.services.app) need(lab.services.app.members.length, 1, 'app-members', ['services', 'app', 'members'], 'The app service has no members.', 'List the nodes that run the app.');
}

export function checkServices(ctx: Ctx): void {
  const { lab } = ctx;
  checkCounts(ctx);
  const s = lab.services;
  const lb = s.loadBalancer;
  if (lb) {
    lb.members.forEach((m, i) => {
      const p = ['services', 'loadBalancer', 'members', i];
      if (!ref(ctx, m, p, 'Load balancer')) return;
      role(ctx, m, 'loadbalancer', p, 'a load balancer');
      lb.upstream.members.forEach((u) => reach(ctx, m, u, p, `the load balancer must forward requests to app server ${u}`));
    });
    lb.upstream.members.forEach((u, i) => ref(ctx, u, ['services', 'loadBalancer', 'upstream', 'members', i], 'Upstream'));
    if (lb.upstream.port === undefined && !s.app) err(ctx, 'upstream-port', ['services', 'loadBalancer', 'upstream'], 'The upstream has no port and there is no app service to take it from.', 'Add upstream.port (e.g. 3000).');
  }
  for (const [i, vip] of s.vips.entries()) {
    if (vip.track === 'nginx' && lb) for (const [j, m] of vip.members.entries()) {
      if (!lb.members.includes(m.node) && netsOf(ctx, m.node)) warn(ctx, 'vip-track-without-nginx', ['services', 'vips', i, 'members', j, 'node'], `VIP "${vip.name}" tracks nginx, but ${m.node} is not a load balancer member.`, 'Add it to services.loadBalancer.members or set track: none.');
    }
  }
  const db = s.database;
  const dbPrimary = db && netsOf(ctx, db.primary) ? db.primary : undefined;
  if (s.app) {
    s.app.members.forEach((m, i) => {
      const p = ['services', 'app', 'members', i];
      if (!ref(ctx, m, p, 'App server')) return;
      role(ctx, m, 'app', p, 'an app server');
      if (dbPrimary) reach(ctx, m, dbPrimary, p, 'the app writes to the database primary');
    });
  }
  if (db) {
    const p = ['services', 'database'];
    if (ref(ctx, db.primary, [...p, 'primary'], 'Database primary')) role(ctx, db.primary, 'database', [...p, 'primary'], 'the database primary');
    const seen = new Set<string>();
    replicasOf(lab).forEach((r, i) => {
      const rp = [...p, 'replicas', i];
      if (!ref(ctx, r.node, rp, 'Replica')) return;
      role(ctx, r.node, 'database', rp, 'a database replica');
      if (r.node === db.primary) err(ctx, 'replica-is-primary', rp, `${r.node} cannot be a replica of itself.`, 'Pick another node for the replica.');
      if (seen.has(r.node)) err(ctx, 'duplicate-member', rp, `Replica ${r.node} is listed twice.`, 'Remove the second entry.');
      seen.add(r.node);
      if (r.engine !== db.engine) err(ctx, 'replica-engine', rp, `Replica ${r.node} runs ${r.engine} but the primary runs ${db.engine}; replication needs the same engine.`, `Set the replica's engine to ${db.engine}.`);
      if (dbPrimary) reach(ctx, r.node, dbPrimary, rp, 'a replica pulls changes from the primary');
      if (s.app?.readFromReplica) s.app.members.forEach((a) => reach(ctx, a, r.node, rp, 'the app reads from the replica'));
    });
  }
  const mon = s.monitoring;
  if (mon) {
    const p = ['services', 'monitoring'];
    for (const key of ['prometheus', 'alertmanager', 'loki'] as const) {
      const host = mon[key];
      if (host !== undefined && ref(ctx, host, [...p, key], `Monitoring ${key} node`)) role(ctx, host, 'monitoring', [...p, key], `the ${key} server`);
    }
    if (netsOf(ctx, mon.prometheus)) lab.nodes.forEach((n) => reach(ctx, mon.prometheus, n.hostname, [...p, 'prometheus'], `Prometheus must scrape ${n.hostname}`));
  }
  const bk = s.backup;
  if (bk) {
    const p = ['services', 'backup'];
    if (!db) err(ctx, 'backup-without-database', p, 'A backup is configured but there is no database service.', 'Add services.database or remove services.backup.');
    if (ref(ctx, bk.runOn, [...p, 'runOn'], 'Backup node') && db) {
      const dbNodes = [db.primary, ...replicasOf(lab).map((r) => r.node)];
      if (!dbNodes.includes(bk.runOn)) err(ctx, 'backup-not-on-db', [...p, 'runOn'], `The backup runs on ${bk.runOn}, which is not a database node.`, `Run it on the primary or a replica (${dbNodes.join(', ')}).`);
    }
    if (bk.copyTo !== undefined && ref(ctx, bk.copyTo, [...p, 'copyTo'], 'Backup copy target')) reach(ctx, bk.runOn, bk.copyTo, [...p, 'copyTo'], 'each dump is copied there');
    // The provisioner makes this folder as root (and the copy target's account is chrooted to it): only a new folder under an allowed root.
    const dir = bk.targetDir;
    if (!/^\/(var\/backups|srv)\/[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(dir) || /(^|\/)\.\.?(\/|$)/.test(dir)) {
      err(ctx, 'backup-target-dir', [...p, 'targetDir'], `The backup folder "${dir}" is not a folder under /var/backups/ or /srv/ (no "..", ".", "//" or trailing "/").`, `Use a new folder such as "/var/backups/halab" or "/srv/backups/${lab.metadata.name.replace(/[^A-Za-z0-9._-]/g, '-')}" instead of "${dir}".`);
    }
  }
  s.firewall.adminSources?.forEach((c, i) => {
    const r = parseCidr(c.includes('/') ? c : `${c}/32`);
    if (!r.ok) err(ctx, 'cidr-syntax', ['services', 'firewall', 'adminSources', i], `Admin source "${c}" is not valid: ${r.reason}.`, 'Write a subnet like 192.168.10.0/24 or one address.');
  });
  checkDrills(ctx);
  checkFailoverOptions(ctx);
}

const DRILL_NEEDS: Record<DrillName, { ok: (lab: Lab) => boolean; needs: string }> = {
  'lb-master-down': { ok: (l) => l.services.vips.length > 0, needs: 'a VIP group' },
  'lb-nginx-stop': { ok: (l) => l.services.vips.some((v) => v.track === 'nginx') && !!l.services.loadBalancer, needs: 'a VIP group that tracks nginx and a load balancer' },
  'lb-keepalived-stop': { ok: (l) => l.services.vips.length > 0, needs: 'a VIP group' },
  'app-down': { ok: (l) => (l.services.loadBalancer?.upstream.members.length ?? 0) >= 2, needs: 'a load balancer with at least two app servers' },
  'db-primary-down': { ok: (l) => replicasOf(l).length > 0, needs: 'a database with at least one replica' },
  'split-brain': { ok: (l) => l.services.vips.length > 0, needs: 'a VIP group' },
  maintenance: { ok: (l) => !!l.services.app && !!l.services.loadBalancer, needs: 'the app behind a load balancer' },
};

function checkDrills(ctx: Ctx): void {
  const seen = new Set<string>();
  ctx.lab.drills.forEach((d, i) => {
    if (seen.has(d)) warn(ctx, 'duplicate-drill', ['drills', i], `Drill "${d}" is listed twice.`, 'Remove the second entry.');
    seen.add(d);
    const rule = DRILL_NEEDS[d];
    if (!rule.ok(ctx.lab)) err(ctx, 'drill-not-applicable', ['drills', i], `Drill "${d}" needs ${rule.needs}, which this lab does not have.`, `Remove "${d}" or add ${rule.needs}.`);
  });
}

/** Warn when the lab needs more memory than the host has (leaving 2 GiB for the host). */
export function checkMemory(ctx: Ctx, totalMiB: number, hostMemoryMiB: number | undefined): void {
  if (!hostMemoryMiB) return;
  const spare = hostMemoryMiB - 2048;
  if (totalMiB > spare) warn(ctx, 'host-memory', ['nodes'], `The lab needs ${(totalMiB / 1024).toFixed(1)} GiB of RAM, but this PC has ${(hostMemoryMiB / 1024).toFixed(1)} GiB (about 2 GiB should stay free for the host).`, 'Lower memoryMiB on some VMs or run fewer VMs at once.');
}
