/**
 * Failover options: VRRP version and advert interval, preemption, the track
 * script, nginx retries and semi-sync replication. Each rule says what the
 * real tool would do with the value (keepalived 2.2.4/2.2.7, nginx, MariaDB
 * 10.11 / MySQL 8) and how to fix it. Browser-safe.
 */
import { msg, type Message } from '../i18n';
import { issue, type Issue, type IssuePath } from './issues';
import { lbProxyOf, masterDownMs, preemptOf, replicasOf, trackScriptOf, vrrpVersion } from './model';
import type { Lab } from './schema';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

const err = (ctx: Ctx, code: string, path: IssuePath, m: Message, f: Message) => ctx.issues.push(issue('error', code, path, m, f));
const warn = (ctx: Ctx, code: string, path: IssuePath, m: Message, f: Message) => ctx.issues.push(issue('warning', code, path, m, f));

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
        const rounded = Math.max(1, Math.round(adv));
        err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], msg('v.vrrp2Advert', { name: v.name, value: secs(adv), rounded }), msg('v.vrrp2Advert.fix', { rounded }));
      }
    } else {
      const cs = Math.round(adv * 100);
      if (adv > 40.95) err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], msg('v.vrrp3AdvertMax', { name: v.name, value: secs(adv) }), msg('v.vrrp3AdvertMax.fix'));
      else if (Math.abs(cs - adv * 100) > 1e-6) err(ctx, 'vrrp-advert-interval', [...at, 'advertInterval'], msg('v.vrrp3AdvertCs', { name: v.name, value: String(adv) }), msg('v.vrrp3AdvertCs.fix', { rounded: cs / 100 }));
    }
    const t = trackScriptOf(v);
    const tp: IssuePath = [...at, 'trackScript'];
    if (v.trackScript && v.track === 'none') {
      warn(ctx, 'track-script-unused', tp, msg('v.trackScriptUnused', { name: v.name }), msg('v.trackScriptUnused.fix'));
    }
    if (v.track !== 'none') {
      // keepalived 2.2.4/2.2.7 read vrrp_script interval and timeout as whole seconds (1–4294): "invalid number '0.2'".
      for (const key of ['interval', 'timeout'] as const) {
        const val = v.trackScript?.[key];
        if (val !== undefined && (!Number.isInteger(val) || val < 1)) {
          err(ctx, 'track-script-seconds', [...tp, key], msg('v.trackScriptSeconds', { key, name: v.name, value: secs(val) }), msg('v.trackScriptSeconds.fix', { key, rounded: Math.max(1, Math.round(val)) }));
        }
      }
      if (t.timeout > t.interval) {
        warn(ctx, 'track-script-timeout', [...tp, 'timeout'], msg('v.trackScriptTimeout', { name: v.name, timeout: secs(t.timeout), interval: secs(t.interval) }), msg('v.trackScriptTimeout.fix', { interval: secs(t.interval) }));
      }
      if (t.weight !== 0) {
        const prios = [...v.members.map((m) => m.priority)].sort((a, b) => b - a);
        const gap = prios.length >= 2 ? (prios[0] as number) - (prios[1] as number) : 0;
        if (!preemptOf(v).preempt) {
          err(ctx, 'track-weight-nopreempt', [...tp, 'weight'], msg('v.trackWeightNopreempt', { name: v.name, weight: t.weight }), msg('v.trackWeightNopreempt.fix'));
        } else if (Math.abs(t.weight) <= gap) {
          err(ctx, 'track-weight-gap', [...tp, 'weight'], msg('v.trackWeightGap', { name: v.name, weight: t.weight, gap }), msg('v.trackWeightGap.fix', { suggested: -(gap + 10) }));
        }
      }
    }
    const p = preemptOf(v);
    if (p.delaySeconds > 0 && version === 3 && p.delaySeconds < 3 * adv) {
      warn(ctx, 'preempt-delay-short', [...at, 'preempt'], msg('v.preemptDelayShort', { name: v.name, delay: secs(p.delaySeconds), ms: masterDownMs(version, adv, 100) }), msg('v.preemptDelayShort.fix'));
    }
  });
  const lb = s.loadBalancer;
  if (lb?.proxy) {
    const at: IssuePath = ['services', 'loadBalancer', 'proxy'];
    const p = lbProxyOf(lb);
    const nu = lb.proxy.nextUpstream;
    if (nu?.nonIdempotent) {
      warn(ctx, 'lb-retry-non-idempotent', [...at, 'nextUpstream', 'nonIdempotent'], msg('v.lbRetryNonIdempotent'), msg('v.lbRetryNonIdempotent.fix'));
    }
    if (nu?.on && nu.on.length > 0 && !nu.on.includes('error')) {
      warn(ctx, 'lb-retry-without-error', [...at, 'nextUpstream', 'on'], msg('v.lbRetryWithoutError'), msg('v.lbRetryWithoutError.fix'));
    }
    if (p.nextUpstreamTimeoutSeconds > 0 && p.nextUpstreamTimeoutSeconds < p.connectTimeoutSeconds) {
      err(ctx, 'lb-retry-timeout', [...at, 'nextUpstream', 'timeoutSeconds'], msg('v.lbRetryTimeout', { retry: secs(p.nextUpstreamTimeoutSeconds), connect: secs(p.connectTimeoutSeconds) }), msg('v.lbRetryTimeout.fix', { suggested: secs(p.connectTimeoutSeconds * Math.max(2, lb.upstream.members.length)) }));
    }
  }
  const db = s.database;
  if (db) {
    const at: IssuePath = ['services', 'database'];
    if (db.replication === 'semi-sync' && replicasOf(ctx.lab).length === 0) {
      err(ctx, 'semi-sync-without-replica', [...at, 'replication'], msg('v.semiSyncWithoutReplica'), msg('v.semiSyncWithoutReplica.fix'));
    }
    if (db.semiSyncTimeoutMs !== undefined && db.replication !== 'semi-sync') {
      warn(ctx, 'semi-sync-timeout-unused', [...at, 'semiSyncTimeoutMs'], msg('v.semiSyncTimeoutUnused'), msg('v.semiSyncTimeoutUnused.fix'));
    }
  }
}
