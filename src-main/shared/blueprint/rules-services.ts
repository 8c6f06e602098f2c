/**
 * Service rules: references resolve, and every service can reach what it
 * needs (shares a network with it); drills only where they apply; memory.
 */
import { list, msg, type Message } from '../i18n';
import { didYouMean, issue, type Issue, type IssuePath } from './issues';
import { checkFailoverOptions } from './rules-failover';
import { parseCidr } from './ip';
import { replicasOf } from './model';
import type { DrillName, Lab, Role } from './schema';
import { cacheDrillApplies } from './rules-cache';
import { zoneRoutedAddress } from './zones';

interface Ctx {
  lab: Lab;
  issues: Issue[];
  /** Networks of each node, by hostname (built once per validation). */
  nets?: Map<string, Set<string>>;
}

const err = (ctx: Ctx, code: string, path: IssuePath, m: Message, f?: Message) => ctx.issues.push(issue('error', code, path, m, f));
const warn = (ctx: Ctx, code: string, path: IssuePath, m: Message, f?: Message) => ctx.issues.push(issue('warning', code, path, m, f));

function netsOf(ctx: Ctx, host: string): Set<string> | undefined {
  if (!ctx.nets) {
    ctx.nets = new Map();
    for (const n of ctx.lab.nodes) if (!ctx.nets.has(n.hostname)) ctx.nets.set(n.hostname, new Set(n.nics.map((x) => x.network)));
  }
  return ctx.nets.get(host);
}

/** Report an unknown node; returns whether it exists. */
function ref(ctx: Ctx, host: string, path: IssuePath, what: Message): boolean {
  if (netsOf(ctx, host)) return true;
  const names = ctx.lab.nodes.map((n) => n.hostname);
  const guess = didYouMean(host, names);
  if (guess) err(ctx, 'unknown-node', path, msg('v.unknownNodeGuess', { what, host, guess }), msg('fix.use', { value: guess }));
  else err(ctx, 'unknown-node', path, msg('v.unknownNode', { what, host }), msg('fix.useOneOf', { choices: list(names) }));
  return false;
}

function reach(ctx: Ctx, from: string, to: string, path: IssuePath, why: Message): void {
  const a = netsOf(ctx, from);
  const b = netsOf(ctx, to);
  if (!a || !b || from === to) return;
  for (const n of a) if (b.has(n)) return;
  // Through the zone router: whether the policy allows it is rules-zones.ts's check.
  if (zoneRoutedAddress(ctx.lab, from, to) !== undefined) return;
  err(ctx, 'no-shared-network', path, msg('v.noSharedNetwork', { from, to, why }), msg('v.noSharedNetwork.fix', { from, to, networks: list([...b]) }));
}

function role(ctx: Ctx, host: string, r: Role, path: IssuePath, what: Message): void {
  const n = ctx.lab.nodes.find((x) => x.hostname === host);
  if (n && !n.roles.includes(r)) warn(ctx, 'role-mismatch', path, msg('v.roleMismatch', { host, what, role: r }), msg('v.roleMismatch.fix', { role: r }));
}

/**
 * Minimum counts, checked here rather than in the schema so that a VM still
 * without a NIC (as it is when first dropped on the canvas) does not hide
 * every other problem of the plan.
 */
export function checkCounts(ctx: Ctx): void {
  const { lab } = ctx;
  const need = (n: number, min: number, code: string, path: IssuePath, m: Message, f: Message) => n < min && err(ctx, code, path, m, f);
  need(lab.networks.length, 1, 'no-network', ['networks'], msg('v.noNetwork'), msg('v.noNetwork.fix'));
  need(lab.nodes.length, 1, 'no-node', ['nodes'], msg('v.noNode'), msg('v.noNode.fix'));
  lab.nodes.forEach((n, i) => {
    need(n.nics.length, 1, 'no-nic', ['nodes', i, 'nics'], msg('v.noNic', { host: n.hostname }), msg('v.noNic.fix'));
    need(n.roles.length, 1, 'no-role', ['nodes', i, 'roles'], msg('v.noRole', { host: n.hostname }), msg('v.noRole.fix'));
  });
  lab.services.vips.forEach((v, i) => need(v.members.length, 2, 'vip-members', ['services', 'vips', i, 'members'], msg('v.vipMembers', { name: v.name, count: v.members.length }), msg('v.vipMembers.fix')));
  const lb = lab.services.loadBalancer;
  if (lb) {
    need(lb.members.length, 1, 'lb-members', ['services', 'loadBalancer', 'members'], msg('v.lbMembers'), msg('v.lbMembers.fix'));
    need(lb.upstream.members.length, 1, 'upstream-members', ['services', 'loadBalancer', 'upstream', 'members'], msg('v.upstreamMembers'), msg('v.upstreamMembers.fix'));
  }
  if (lab.services.app) need(lab.services.app.members.length, 1, 'app-members', ['services', 'app', 'members'], msg('v.appMembers'), msg('v.appMembers.fix'));
}

export function checkServices(ctx: Ctx): void {
  const { lab } = ctx;
  checkCounts(ctx);
  const s = lab.services;
  const lb = s.loadBalancer;
  if (lb) {
    lb.members.forEach((m, i) => {
      const p = ['services', 'loadBalancer', 'members', i];
      if (!ref(ctx, m, p, msg('role.loadBalancer'))) return;
      role(ctx, m, 'loadbalancer', p, msg('as.loadBalancer'));
      lb.upstream.members.forEach((u) => reach(ctx, m, u, p, msg('why.lbForwards', { app: u })));
    });
    lb.upstream.members.forEach((u, i) => ref(ctx, u, ['services', 'loadBalancer', 'upstream', 'members', i], msg('role.upstream')));
    if (lb.upstream.port === undefined && !s.app) err(ctx, 'upstream-port', ['services', 'loadBalancer', 'upstream'], msg('v.upstreamPort'), msg('v.upstreamPort.fix'));
  }
  for (const [i, vip] of s.vips.entries()) {
    if (vip.track !== 'none' && lb) for (const [j, m] of vip.members.entries()) {
      if (!lb.members.includes(m.node) && netsOf(ctx, m.node)) warn(ctx, 'vip-track-without-nginx', ['services', 'vips', i, 'members', j, 'node'], msg('v.vipTrackWithoutNginx', { name: vip.name, node: m.node }), msg('v.vipTrackWithoutNginx.fix'));
    }
  }
  const db = s.database;
  const dbPrimary = db && netsOf(ctx, db.primary) ? db.primary : undefined;
  if (s.app) {
    s.app.members.forEach((m, i) => {
      const p = ['services', 'app', 'members', i];
      if (!ref(ctx, m, p, msg('role.appServer'))) return;
      role(ctx, m, 'app', p, msg('as.appServer'));
      if (dbPrimary) reach(ctx, m, dbPrimary, p, msg('why.appWritesDb'));
    });
  }
  if (db) {
    const p = ['services', 'database'];
    if (ref(ctx, db.primary, [...p, 'primary'], msg('role.dbPrimary'))) role(ctx, db.primary, 'database', [...p, 'primary'], msg('as.dbPrimary'));
    const seen = new Set<string>();
    replicasOf(lab).forEach((r, i) => {
      const rp = [...p, 'replicas', i];
      if (!ref(ctx, r.node, rp, msg('role.replica'))) return;
      role(ctx, r.node, 'database', rp, msg('as.replica'));
      if (r.node === db.primary) err(ctx, 'replica-is-primary', rp, msg('v.replicaIsPrimary', { node: r.node }), msg('v.replicaIsPrimary.fix'));
      if (seen.has(r.node)) err(ctx, 'duplicate-member', rp, msg('v.replicaTwice', { node: r.node }), msg('fix.removeSecond'));
      seen.add(r.node);
      if (r.engine !== db.engine) err(ctx, 'replica-engine', rp, msg('v.replicaEngine', { node: r.node, engine: r.engine, primaryEngine: db.engine }), msg('v.replicaEngine.fix', { primaryEngine: db.engine }));
      if (dbPrimary) reach(ctx, r.node, dbPrimary, rp, msg('why.replicaPulls'));
      if (s.app?.readFromReplica) s.app.members.forEach((a) => reach(ctx, a, r.node, rp, msg('why.appReadsReplica')));
    });
  }
  const mon = s.monitoring;
  if (mon) {
    const p = ['services', 'monitoring'];
    for (const key of ['prometheus', 'alertmanager', 'loki'] as const) {
      const host = mon[key];
      if (host !== undefined && ref(ctx, host, [...p, key], msg('role.monitoringNode', { key }))) role(ctx, host, 'monitoring', [...p, key], msg('as.server', { key }));
    }
    if (netsOf(ctx, mon.prometheus)) lab.nodes.forEach((n) => reach(ctx, mon.prometheus, n.hostname, [...p, 'prometheus'], msg('why.promScrapes', { host: n.hostname })));
  }
  const bk = s.backup;
  if (bk) {
    const p = ['services', 'backup'];
    if (!db) err(ctx, 'backup-without-database', p, msg('v.backupWithoutDatabase'), msg('v.backupWithoutDatabase.fix'));
    if (ref(ctx, bk.runOn, [...p, 'runOn'], msg('role.backupNode')) && db) {
      const dbNodes = [db.primary, ...replicasOf(lab).map((r) => r.node)];
      if (!dbNodes.includes(bk.runOn)) err(ctx, 'backup-not-on-db', [...p, 'runOn'], msg('v.backupNotOnDb', { node: bk.runOn }), msg('v.backupNotOnDb.fix', { nodes: list(dbNodes) }));
    }
    if (bk.copyTo !== undefined && ref(ctx, bk.copyTo, [...p, 'copyTo'], msg('role.backupCopy'))) reach(ctx, bk.runOn, bk.copyTo, [...p, 'copyTo'], msg('why.backupCopy'));
    // The provisioner makes this folder as root (and the copy target's account is chrooted to it): only a new folder under an allowed root.
    const dir = bk.targetDir;
    if (!/^\/(var\/backups|srv)\/[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(dir) || /(^|\/)\.\.?(\/|$)/.test(dir)) {
      err(ctx, 'backup-target-dir', [...p, 'targetDir'], msg('v.backupTargetDir', { dir }), msg('v.backupTargetDir.fix', { dir, lab: lab.metadata.name.replace(/[^A-Za-z0-9._-]/g, '-') }));
    }
  }
  s.firewall.adminSources?.forEach((c, i) => {
    const r = parseCidr(c.includes('/') ? c : `${c}/32`);
    if (!r.ok) err(ctx, 'cidr-syntax', ['services', 'firewall', 'adminSources', i], msg('v.adminSource', { value: c, reason: r.reasonMsg }), msg('v.adminSource.fix'));
  });
  checkDrills(ctx);
  checkFailoverOptions(ctx);
}

const DRILL_NEEDS: Record<DrillName, { ok: (lab: Lab) => boolean; needs: Message }> = {
  'lb-master-down': { ok: (l) => l.services.vips.length > 0, needs: msg('needs.vip') },
  'lb-nginx-stop': { ok: (l) => l.services.vips.some((v) => v.track !== 'none') && !!l.services.loadBalancer, needs: msg('needs.vipNginx') },
  'lb-keepalived-stop': { ok: (l) => l.services.vips.length > 0, needs: msg('needs.vip') },
  'app-down': { ok: (l) => (l.services.loadBalancer?.upstream.members.length ?? 0) >= 2, needs: msg('needs.twoApps') },
  'db-primary-down': { ok: (l) => replicasOf(l).length > 0, needs: msg('needs.replica') },
  'split-brain': { ok: (l) => l.services.vips.length > 0, needs: msg('needs.vip') },
  maintenance: { ok: (l) => !!l.services.app && !!l.services.loadBalancer, needs: msg('needs.appBehindLb') },
  'redis-master-down': { ok: cacheDrillApplies, needs: msg('cache.needs.sentinel') },
  'pg-primary-down': { ok: (l) => l.services.database?.engine === 'postgresql' && !!l.services.database.patroni && replicasOf(l).length > 0, needs: msg('pg.needs') },
};

function checkDrills(ctx: Ctx): void {
  const seen = new Set<string>();
  ctx.lab.drills.forEach((d, i) => {
    if (seen.has(d)) warn(ctx, 'duplicate-drill', ['drills', i], msg('v.duplicateDrill', { drill: d }), msg('fix.removeSecond'));
    seen.add(d);
    const rule = DRILL_NEEDS[d];
    if (!rule.ok(ctx.lab)) err(ctx, 'drill-not-applicable', ['drills', i], msg('v.drillNotApplicable', { drill: d, needs: rule.needs }), msg('v.drillNotApplicable.fix', { drill: d, needs: rule.needs }));
  });
}

/** Warn when the lab needs more memory than the host has (leaving 2 GiB for the host). */
export function checkMemory(ctx: Ctx, totalMiB: number, hostMemoryMiB: number | undefined): void {
  if (!hostMemoryMiB) return;
  const spare = hostMemoryMiB - 2048;
  if (totalMiB > spare) warn(ctx, 'host-memory', ['nodes'], msg('v.hostMemory', { need: (totalMiB / 1024).toFixed(1), have: (hostMemoryMiB / 1024).toFixed(1) }), msg('v.hostMemory.fix'));
}
