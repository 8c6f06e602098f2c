/**
 * Redis with Sentinel over SSH (`services.cache`): each Redis node's
 * redis.conf and each Sentinel's sentinel.conf seeded from the blueprint,
 * then a check that replication is up and every Sentinel names the same
 * primary. Redis and Sentinel rewrite their own files (a failover moves
 * `replicaof`; Sentinel records what it learnt), so a file is written only
 * when its `# halab-seed:` line differs from the blueprint's (see
 * `configs/redis.ts`): a second `up` after a failover leaves the new
 * primary where Sentinel put it.
 */
import { createHash } from 'node:crypto';
import { reach, type RenderContext } from '../configs/context';
import { cacheOf, nodeByAddress, parseInfo, parseMasterAddr, redisCli, redisNodes, REDIS_CONF_PATH, REDIS_EXPORTER_PORT, REDIS_UNIT, renderRedisConf, renderSentinelConf, seeded, SENTINEL_CONF_PATH, SENTINEL_UNIT, sentinelNodes } from '../configs/redis';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { msg, render, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import type { Step, StepContext } from './engine';

type Result = 'changed' | 'unchanged';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Step ids of the cache, for dependencies. */
export const CACHE_VERIFY_STEP = 'cache:verify';

/**
 * Write `path` when its seed line differs from the blueprint's, then restart
 * `unit`; left alone otherwise. The seed line is the blueprint's rendering
 * (`body`); what is written (`live`) follows the primary Sentinel names now,
 * so a changed blueprint after a failover does not undo it.
 */
async function seed(g: Guest, path: string, body: string, live: () => Promise<string>, unit: string, s: StepContext): Promise<Result> {
  const want = seeded(body, sha256).split('\n', 1)[0]!;
  const probe = await g.exec(['sh', '-c', 'head -n 1 -- "$1" 2>/dev/null; echo "##"; systemctl is-active -- "$2" 2>/dev/null || true', 'sh', path, unit]);
  const [first = '', active = ''] = probe.stdout.split('##\n');
  if (first.trim() === want && active.trim() === 'active') return 'unchanged';
  if (first.trim() !== want) {
    // /etc/redis belongs to redis, where the guest module will not write as root: write a
    // root-only copy, then install it 0640 redis:redis (it holds the passwords, and
    // Redis/Sentinel rewrite it).
    const staged = `/etc/halab/cache/${path.slice(path.lastIndexOf('/') + 1)}`;
    await g.writeFile(staged, `${want}\n${await live()}`, { mode: '0600' });
    // writeFile keeps the old file beside it: it may hold an old password.
    await g.exec(['rm', '-f', '--', `${staged}.halab-prev`]);
    await g.exec(['install', '-o', 'redis', '-g', 'redis', '-m', '0640', '-T', '--', staged, path]);
  }
  await g.exec(['systemctl', 'restart', unit], { timeoutMs: 120_000 });
  s.log(msg('cache.log.seeded', { path, unit }));
  return 'changed';
}

/** PING on `host` answered with PONG within `ms`. */
async function waitPong(g: Guest, ctx: RenderContext, vm: string, opts: { sentinel?: boolean; ms?: number } = {}): Promise<void> {
  const until = Date.now() + (opts.ms ?? 20_000);
  let last = '';
  while (Date.now() < until) {
    const r = await g.exec([...redisCli(ctx, '127.0.0.1', opts), 'PING'], { okCodes: [0, 1] });
    if (r.stdout.trim() === 'PONG') return;
    last = `${r.stdout}${r.stderr}`.trim() || `exit ${r.code}`;
    await sleep(300);
  }
  throw new MessageError(msg('cache.err.noAnswer', { vm, error: last }));
}

/** redis.conf on one Redis node. */
export async function redisStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const r = await seed(g, REDIS_CONF_PATH, renderRedisConf(ctx, vm), async () => renderRedisConf(ctx, vm, await livePrimary(pool, ctx)), REDIS_UNIT, s);
  await waitPong(g, ctx, vm);
  return r;
}

/** sentinel.conf on one Sentinel. */
export async function sentinelStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const r = await seed(g, SENTINEL_CONF_PATH, renderSentinelConf(ctx, vm), async () => renderSentinelConf(ctx, vm, await livePrimary(pool, ctx)), SENTINEL_UNIT, s);
  await waitPong(g, ctx, vm, { sentinel: true });
  return r;
}

/** What one Sentinel says about the primary: its address and `SENTINEL master` fields. */
export interface SentinelView {
  vm: string;
  master?: string;
  flags?: string;
  replicas?: number;
  otherSentinels?: number;
  error?: string;
}

/** Ask the Sentinel on the VM behind `g` (on 127.0.0.1) which address is the primary. */
export async function askSentinel(g: Pick<Guest, 'exec'>, ctx: RenderContext, vm: string): Promise<SentinelView> {
  const name = cacheOf(ctx).masterName;
  const r = await g.exec([...redisCli(ctx, '127.0.0.1', { sentinel: true })], { stdin: `SENTINEL get-master-addr-by-name ${name}\nSENTINEL master ${name}\n`, okCodes: [0, 1], timeoutMs: 5000 });
  const lines = r.stdout.split(/\r?\n/).map((l) => l.trim());
  const master = parseMasterAddr(lines.slice(0, 2).join('\n'));
  const fields: Record<string, string> = {};
  for (let i = 2; i + 1 < lines.length; i += 2) fields[lines[i]!] = lines[i + 1]!;
  if (!master) return { vm, error: `${r.stdout}${r.stderr}`.trim().slice(0, 200) || 'no answer' };
  return { vm, master, flags: fields.flags, replicas: Number(fields['num-slaves'] ?? NaN), otherSentinels: Number(fields['num-other-sentinels'] ?? NaN) };
}

/** Ask the Sentinel on `vm` (over SSH) which node is the primary; an unreachable VM gives an error, never throws. */
export async function sentinelView(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<SentinelView> {
  try {
    return await askSentinel(await pool.get(vm, { signal, staticOnly: true, waitMs: 3000 }), ctx, vm);
  } catch (e) {
    return { vm, error: (e as Error).message };
  }
}

/**
 * The primary as the Sentinels name it now (most votes), when they know
 * one; else undefined (a first `up`: the blueprint's primary).
 */
export async function livePrimary(pool: GuestPool, ctx: RenderContext, signal?: AbortSignal): Promise<string | undefined> {
  const views = await Promise.all(sentinelNodes(ctx).map((v) => sentinelView(pool, ctx, v, signal)));
  const votes = new Map<string, number>();
  for (const v of views) if (v.master) votes.set(v.master, (votes.get(v.master) ?? 0) + 1);
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
  const vm = best ? nodeByAddress(ctx, best[0].split(':')[0]!) : undefined;
  return vm && redisNodes(ctx).includes(vm) ? vm : undefined;
}

/** `INFO replication` of the Redis on `vm`. */
export async function replicationInfo(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<Record<string, string>> {
  const g = await pool.get(vm, { signal, staticOnly: true, waitMs: 3000 });
  const r = await g.exec([...redisCli(ctx, '127.0.0.1'), 'INFO', 'replication'], { timeoutMs: 5000 });
  return parseInfo(r.stdout);
}

/**
 * Replication up and the Sentinels agreed: every Sentinel names the same
 * primary, sees every replica and every other Sentinel; the primary's
 * replicas report their link up. Sentinels find each other through the
 * primary's hello channel (every 2 s), so this waits up to 60 s.
 */
export async function cacheVerifyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const c = cacheOf(ctx);
  const sentinels = sentinelNodes(ctx);
  const redis = redisNodes(ctx);
  const until = Date.now() + 60_000;
  let details: string[] = [];
  while (!s.signal.aborted) {
    details = [];
    const views = await Promise.all(sentinels.map((v) => sentinelView(pool, ctx, v, s.signal)));
    const masters = new Set(views.map((v) => v.master));
    for (const v of views) {
      if (v.error) details.push(`${v.vm}: ${v.error}`);
      else if (v.flags !== 'master' || v.replicas !== redis.length - 1 || v.otherSentinels !== sentinels.length - 1) details.push(`${v.vm}: master ${v.master} (${v.flags}), ${v.replicas} replica(s), ${v.otherSentinels} other Sentinel(s)`);
    }
    if (masters.size > 1) details.push(`they name ${[...masters].join(' and ')}`);
    const masterAddr = views[0]?.master;
    const masterVm = masterAddr ? nodeByAddress(ctx, masterAddr.split(':')[0]!) : undefined;
    if (!details.length && masterVm) {
      const replicaProblems: string[] = [];
      for (const r of redis.filter((x) => x !== masterVm)) {
        const info = await replicationInfo(pool, ctx, r, s.signal).catch((e: unknown) => ({ error: (e as Error).message }) as Record<string, string>);
        if (info.role !== 'slave' || info.master_link_status !== 'up') replicaProblems.push(render('en', msg('cache.err.replication', { vm: r, role: info.role ?? '?', link: info.master_link_status ?? info.error ?? '?', port: c.port })));
      }
      if (!replicaProblems.length) {
        for (const r of redis.filter((x) => x !== masterVm)) s.log(msg('cache.log.replicates', { vm: r, master: masterVm }));
        s.log(msg('cache.log.sentinels', { count: sentinels.length, master: masterVm, name: c.masterName }));
        await verifyExporters(pool, ctx, s);
        return 'unchanged';
      }
      details.push(...replicaProblems);
    }
    if (Date.now() > until) break;
    await sleep(1000);
  }
  throw new MessageError(msg('cache.err.sentinels', { seconds: 60, details: details.join('; ') }));
}

/**
 * redis_exporter on every Redis node answers `redis_up 1` (it reached its
 * Redis with the password), asked from the Prometheus VM as Prometheus
 * scrapes it (through UFW and the zone router), or over loopback in a lab
 * without monitoring. The exporter was just (re)started: up to 20 s.
 */
export async function verifyExporters(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<void> {
  const prom = ctx.lab.lab.services.monitoring?.prometheus;
  for (const vm of redisNodes(ctx)) {
    const from = prom ?? vm;
    const host = from === vm ? '127.0.0.1' : reach(ctx, from, vm);
    const g = await pool.get(from, { signal: s.signal, log: s.log });
    const url = `http://${host}:${REDIS_EXPORTER_PORT}/metrics`;
    const until = Date.now() + 20_000;
    let last = '';
    for (;;) {
      const r = await g.exec(['sh', '-c', 'curl -s --max-time 3 "$1" | grep -E "^redis_up " || echo "no answer (curl exit $?)"', 'sh', url], { okCodes: [0, 1], timeoutMs: 10_000 });
      last = r.stdout.trim();
      if (last === 'redis_up 1') break;
      if (Date.now() > until || s.signal.aborted) throw new MessageError(msg('cache.err.exporter', { vm, from, url, answer: last || '?' }));
      await sleep(1000);
    }
    s.log(msg('cache.log.exporter', { vm, from, port: REDIS_EXPORTER_PORT }));
  }
}

/** The cache's steps: Redis on each node (the primary first), then each Sentinel, then the check. */
export function cacheSteps(pool: GuestPool, ctx: RenderContext): Step[] {
  const c = ctx.lab.lab.services.cache;
  if (!c) return [];
  const t = (m: Message) => ({ title: render('en', m), titleMsg: m });
  const steps: Step[] = [];
  const redisIds: string[] = [];
  for (const vm of redisNodes(ctx)) {
    const id = `cache:${vm}:redis`;
    steps.push({ id, ...t(msg('cache.step.redis', { vm })), vm, deps: [`vm:${vm}:services`, ...(vm === c.primary ? [] : [`cache:${c.primary}:redis`])], run: (s) => redisStep(pool, ctx, vm, s) });
    redisIds.push(id);
  }
  const sentinelIds: string[] = [];
  for (const vm of sentinelNodes(ctx)) {
    const id = `cache:${vm}:sentinel`;
    steps.push({ id, ...t(msg('cache.step.sentinel', { vm })), vm, deps: [`vm:${vm}:services`, ...redisIds], run: (s) => sentinelStep(pool, ctx, vm, s) });
    sentinelIds.push(id);
  }
  const prom = ctx.lab.lab.services.monitoring?.prometheus;
  steps.push({ id: CACHE_VERIFY_STEP, ...t(msg('cache.step.verify')), deps: [...redisIds, ...sentinelIds, ...(prom ? [`vm:${prom}:services`] : [])], run: (s) => cacheVerifyStep(pool, ctx, s) });
  return steps;
}

/** How many steps {@link cacheSteps} adds. */
export function cacheStepsCount(lab: { lab: { services: { cache?: { primary: string; replicas: string[]; sentinels: string[] } } } }): number {
  const c = lab.lab.services.cache;
  return c ? new Set([c.primary, ...c.replicas]).size + new Set(c.sentinels).size + 1 : 0;
}

