/**
 * Failover options: VRRP version and advert interval, preemption, the track
 * script, nginx retries and semi-sync replication. Each rule says what the
 * real tool would do with the value (keepalived 2.2.4/2.2.7, nginx, MariaDB
 * 10.11 / MySQL 8) and how to fix it. Browser-safe.
 */
import type { Issue, IssuePath } from './issues';
import { lbProxyOf, masterDownMs, preemptOf, replicasOf, trackScriptOf, vrrpVersion } from './model';
import type { Lab } from './schema';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

const err = (ctx: Ctx, code: string, path: IssuePath, message: string, fix: string) => ctx.issues.push({ severity: 'error', code, path, message, fix });
const warn = (ctx: Ctx, code: string, path: IssuePath, message: string, fix: string) => ctx.issues.push({ severity: 'warning', code, path, message, fix });

/** Seconds as short text: 0.1, 2, 0.36. */
const secs = (s: number) => `${Math.round(s * 1000) / 1000}`;

export function checkFailoverOptions(ctx: Ctx): void {
  const s = ctx.lab.services;
  s.vips.forEach((v, i) => {
    const at: IssuePath = ['services', 'vips', i];
    const version = vrrpVersion(v);
    const adv = v.advertInterval;
    if (version === 2) {
      if (!Number.isInteger(adv)) {
        err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], `VIP "${v.name}" uses VRRPv2, whose adverts are whole seconds: keepalived would round ${secs(adv)} s to ${Math.max(1, Math.round(adv))} s.`, `Add "version: 3" to the VIP group for sub-second adverts, or set advertInterval: ${Math.max(1, Math.round(adv))}.`);
      }
    } else {
      const cs = Math.round(adv * 100);
      if (adv > 40.95) err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], `VIP "${v.name}" uses VRRPv3, whose advert interval is at most 40.95 s (12 bits of centiseconds); ${secs(adv)} s is out of range.`, 'Set advertInterval to 40.95 or less (0.1 gives a master-down interval of about 0.36 s), or use version: 2.');
      else if (Math.abs(cs - adv * 100) > 1e-6) err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], `VIP "${v.name}" uses VRRPv3, whose adverts are counted in centiseconds; ${adv} s is not a whole number of them.`, `Use advertInterval: ${cs / 100}.`);
    }
    const t = trackScriptOf(v);
    const tp: IssuePath = [...at, 'trackScript'];
    if (v.trackScript && v.track === 'none') {
      warn(ctx, 'track-script-unused', tp, `VIP "${v.name}" sets trackScript but tracks nothing (track: none), so the settings are not used.`, 'Set track: nginx or remove trackScript.');
    }
    if (v.track !== 'none') {
      // keepalived 2.2.4/2.2.7 read vrrp_script interval and timeout as whole seconds (1–4294): "invalid number '0.2'".
      for (const key of ['interval', 'timeout'] as const) {
        const val = v.trackScript?.[key];
        if (val !== undefined && (!Number.isInteger(val) || val < 1)) {
          err(ctx, 'track-script-seconds', [...tp, key], `The track script's ${key} of VIP "${v.name}" is ${secs(val)} s, but keepalived 2.2 (Ubuntu 22.04, Debian 12) only takes whole seconds from 1 for a vrrp_script ${key} ("invalid number").`, `Use ${key}: ${Math.max(1, Math.round(val))}; for faster detection lower fall (fall: 1) rather than the ${key}.`);
        }
      }
      if (t.timeout > t.interval) {
        warn(ctx, 'track-script-timeout', [...tp, 'timeout'], `The track script of VIP "${v.name}" may run ${secs(t.timeout)} s, longer than its ${secs(t.interval)} s interval, so checks are skipped while one hangs.`, `Set timeout to at most the interval (${secs(t.interval)}).`);
      }
      if (t.weight !== 0) {
        const prios = [...v.members.map((m) => m.priority)].sort((a, b) => b - a);
        const gap = prios.length >= 2 ? (prios[0] as number) - (prios[1] as number) : 0;
        if (!preemptOf(v).preempt) {
          err(ctx, 'track-weight-nopreempt', [...tp, 'weight'], `VIP "${v.name}" has preempt: false and a track weight of ${t.weight}: with nopreempt the backup never takes the VIP from a master whose priority only dropped, so nginx failing would not move the VIP.`, 'Use weight: 0 (the failing member goes to FAULT and releases the VIP at once).');
        } else if (Math.abs(t.weight) <= gap) {
          err(ctx, 'track-weight-gap', [...tp, 'weight'], `VIP "${v.name}": a track weight of ${t.weight} does not exceed the priority gap of ${gap} between its two highest members, so nginx failing on the master would not move the VIP.`, `Use weight: ${-(gap + 10)}, or weight: 0 (FAULT, releases the VIP at once).`);
        }
      }
    }
    const p = preemptOf(v);
    if (p.delaySeconds > 0 && version === 3 && p.delaySeconds < 3 * adv) {
      warn(ctx, 'preempt-delay-short', [...at, 'preempt'], `VIP "${v.name}": a preempt delay of ${secs(p.delaySeconds)} s is shorter than the master-down interval (${masterDownMs(version, adv, 100)} ms), so it hardly delays the failback.`, `Use a delay of a few seconds, e.g. preempt: {delay: 5}, so the recovered master has settled before it takes the VIP back.`);
    }
  });
  const lb = s.loadBalancer;
  if (lb?.proxy) {
    const at: IssuePath = ['services', 'loadBalancer', 'proxy'];
    const p = lbProxyOf(lb);
    const nu = lb.proxy.nextUpstream;
    if (nu?.nonIdempotent) {
      warn(ctx, 'lb-retry-non-idempotent', [...at, 'nextUpstream', 'nonIdempotent'], 'nginx will replay a POST that may already have reached an app server, so one reservation can be booked twice.', 'Leave nonIdempotent false: a POST is still retried when the connection itself failed (nothing was sent).');
    }
    if (nu?.on && nu.on.length > 0 && !nu.on.includes('error')) {
      warn(ctx, 'lb-retry-without-error', [...at, 'nextUpstream', 'on'], 'proxy_next_upstream does not list "error", so a request to a stopped app server (connection refused) fails instead of going to the next one.', 'Add "error" (and "timeout") to nextUpstream.on.');
    }
    if (p.nextUpstreamTimeoutSeconds > 0 && p.nextUpstreamTimeoutSeconds < p.connectTimeoutSeconds) {
      err(ctx, 'lb-retry-timeout', [...at, 'nextUpstream', 'timeoutSeconds'], `nginx stops retrying after ${secs(p.nextUpstreamTimeoutSeconds)} s, before one connect attempt (${secs(p.connectTimeoutSeconds)} s) can even time out, so a dead app server is never skipped.`, `Set nextUpstream.timeoutSeconds to at least ${secs(p.connectTimeoutSeconds * Math.max(2, lb.upstream.members.length))} (connect timeout × app servers) or 0 (no limit).`);
    }
  }
  const db = s.database;
  if (db) {
    const at: IssuePath = ['services', 'database'];
    if (db.replication === 'semi-sync' && replicasOf(ctx.lab).length === 0) {
      err(ctx, 'semi-sync-without-replica', [...at, 'replication'], 'Semi-sync replication waits for a replica to acknowledge each commit, but the database has no replica.', 'Add a replica to database.replicas, or set replication: async.');
    }
    if (db.semiSyncTimeoutMs !== undefined && db.replication !== 'semi-sync') {
      warn(ctx, 'semi-sync-timeout-unused', [...at, 'semiSyncTimeoutMs'], 'semiSyncTimeoutMs is set but replication is not semi-sync, so it is not used.', 'Set replication: semi-sync or remove semiSyncTimeoutMs.');
    }
  }
}
