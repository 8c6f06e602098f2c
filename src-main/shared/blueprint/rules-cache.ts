/**
 * Cache and load balancer engine rules (issue 14): Redis with Sentinel
 * (references, replicas, the Sentinel count and quorum, who must reach
 * whom, where the Sentinels sit) and a VIP group's track against the load
 * balancer's engine. Browser-safe.
 */
import { list, msg, type Message } from '../i18n';
import { issue, type Issue, type IssuePath } from './issues';
import type { Lab } from './schema';
import { zoneRoutedAddress } from './zones';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

export function checkCache(ctx: Ctx): void {
  const { lab, issues } = ctx;
  const err = (code: string, path: IssuePath, m: Message, f?: Message) => issues.push(issue('error', code, path, m, f));
  const warn = (code: string, path: IssuePath, m: Message, f?: Message) => issues.push(issue('warning', code, path, m, f));
  const lb = lab.services.loadBalancer;
  lab.services.vips.forEach((v, i) => {
    if (lb && v.track === 'haproxy' && lb.engine !== 'haproxy') warn('vip-track-engine', ['services', 'vips', i, 'track'], msg('cache.v.trackEngine', { name: v.name, track: v.track, engine: lb.engine }), msg('cache.v.trackEngine.fix', { engine: lb.engine }));
  });
  const c = lab.services.cache;
  if (!c) return;
  const base: IssuePath = ['services', 'cache'];
  const nets = new Map(lab.nodes.map((n) => [n.hostname, new Set(n.nics.map((x) => x.network))]));
  const names = lab.nodes.map((n) => n.hostname);
  const ref = (host: string, path: IssuePath, what: Message): boolean => {
    if (nets.has(host)) return true;
    err('unknown-node', path, msg('v.unknownNode', { what, host }), msg('fix.useOneOf', { choices: list(names) }));
    return false;
  };
  const reach = (from: string, to: string, path: IssuePath, why: Message) => {
    const a = nets.get(from);
    const b = nets.get(to);
    if (!a || !b || from === to || [...a].some((n) => b.has(n))) return;
    // Through the zone router: whether the policy allows it is rules-zones.ts's check.
    if (zoneRoutedAddress(lab, from, to) !== undefined) return;
    err('no-shared-network', path, msg('v.noSharedNetwork', { from, to, why }), msg('v.noSharedNetwork.fix', { from, to, networks: list([...b]) }));
  };
  const role = (host: string, path: IssuePath) => {
    const n = lab.nodes.find((x) => x.hostname === host);
    if (n && !n.roles.includes('cache')) warn('role-mismatch', path, msg('v.roleMismatch', { host, what: msg('cache.as.redis'), role: 'cache' }), msg('v.roleMismatch.fix', { role: 'cache' }));
  };
  const dupes = (hosts: string[], key: string) => {
    const seen = new Set<string>();
    hosts.forEach((h, i) => {
      if (seen.has(h)) warn('duplicate-node', [...base, key, i], msg('cache.v.duplicate', { host: h, list: key }), msg('cache.v.duplicate.fix'));
      seen.add(h);
    });
  };

  const primaryOk = ref(c.primary, [...base, 'primary'], msg('cache.what.primary'));
  if (primaryOk) role(c.primary, [...base, 'primary']);
  c.replicas.forEach((r, i) => {
    const p = [...base, 'replicas', i];
    if (r === c.primary) err('cache-primary-replica', p, msg('cache.v.primaryIsReplica', { host: r }), msg('cache.v.primaryIsReplica.fix', { host: r }));
    if (!ref(r, p, msg('cache.what.replica'))) return;
    role(r, p);
    if (primaryOk) reach(r, c.primary, p, msg('cache.why.replicates'));
  });
  dupes(c.replicas, 'replicas');
  dupes(c.sentinels, 'sentinels');
  if (!c.replicas.length) warn('cache-no-replica', [...base, 'replicas'], msg('cache.v.noReplica'), msg('cache.v.noReplica.fix'));

  const sentinels = [...new Set(c.sentinels)];
  const redis = [...new Set([c.primary, ...c.replicas])];
  c.sentinels.forEach((s, i) => {
    const p = [...base, 'sentinels', i];
    if (!ref(s, p, msg('cache.what.sentinel'))) return;
    for (const r of redis) if (nets.has(r)) reach(s, r, p, msg('cache.why.sentinelWatches'));
  });
  const n = sentinels.length;
  const majority = Math.floor(n / 2) + 1;
  if (n === 0) warn('cache-no-sentinel', [...base, 'sentinels'], msg('cache.v.noSentinel'), msg('cache.v.noSentinel.fix'));
  else if (n < 3) warn('cache-few-sentinels', [...base, 'sentinels'], msg('cache.v.fewSentinels', { count: n }), msg('cache.v.fewSentinels.fix'));
  else if (n % 2 === 0) warn('cache-even-sentinels', [...base, 'sentinels'], msg('cache.v.evenSentinels', { count: n }), msg('cache.v.evenSentinels.fix'));
  if (n > 0 && c.quorum > n) err('cache-quorum', [...base, 'quorum'], msg('cache.v.quorumTooHigh', { quorum: c.quorum, count: n }), msg('cache.v.quorumTooHigh.fix', { count: n }));
  else if (n >= 3 && c.quorum < majority) warn('cache-quorum-low', [...base, 'quorum'], msg('cache.v.quorumLow', { quorum: c.quorum, count: n, majority }), msg('cache.v.quorumLow.fix', { majority }));
  if (c.failoverTimeoutMs < 2 * c.downAfterMs) {
    warn('cache-failover-timeout', [...base, 'failoverTimeoutMs'], msg('cache.v.failoverTimeout', { timeout: c.failoverTimeoutMs, downAfter: c.downAfterMs }), msg('cache.v.failoverTimeout.fix', { suggested: 2 * c.downAfterMs }));
  }
}

/** Whether `redis-master-down` applies: a replica to promote and enough Sentinels for the quorum. */
export function cacheDrillApplies(lab: Lab): boolean {
  const c = lab.services.cache;
  return !!c && c.replicas.some((r) => r !== c.primary) && new Set(c.sentinels).size >= Math.max(1, c.quorum);
}

/** The plan's HAProxy line (engine: haproxy). */
export function cacheLbPlanLine(lb: NonNullable<Lab['services']['loadBalancer']>): Message {
  const h = lb.haproxy;
  return msg('cache.plan.haproxy', { nodes: list(lb.members), interval: h.checkIntervalMs, fall: h.fall, rise: h.rise, path: h.checkPath, retries: h.retries, port: h.statsPort });
}

/** The plan's Redis and Sentinel lines (services.cache). */
export function cachePlanLines(c: Lab['services']['cache']): Message[] {
  if (!c) return [];
  const replicas = c.replicas.length ? msg('cache.plan.replicas', { nodes: list(c.replicas) }) : '';
  const out: Message[] = [msg('cache.plan.redis', { version: 7, primary: c.primary, replicas })];
  if (c.sentinels.length) out.push(msg('cache.plan.sentinel', { nodes: list([...new Set(c.sentinels)]), quorum: c.quorum, downAfter: c.downAfterMs, failoverTimeout: c.failoverTimeoutMs }));
  return out;
}
