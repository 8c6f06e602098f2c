/**
 * `redis-master-down`: numbered keys are written to the Redis primary the
 * Sentinels name, each acknowledged only when a replica confirmed it
 * (`SET` then `WAIT 1`); the primary's VM is powered off hard; the drill
 * measures when a Sentinel names another primary (against down-after) and
 * how many acknowledged keys the new primary lacks. Restore powers the old
 * primary on: Sentinel turns it into a replica of the new one. Texts:
 * `cache.drill.*` in `shared/i18n/messages-cache.ts`.
 */
import { cacheOf, nodeByAddress, parseInfo, redisCli, sentinelNodes } from '../configs/redis';
import type { RenderContext } from '../configs/context';
import { sentinelView } from '../provision/cache-steps';
import { check, DrillError, msg, type DrillDef, type DrillEnv } from './drill-kit';

interface Write {
  key: string;
  t: number;
  /** SET answered OK. */
  accepted: boolean;
  /** WAIT 1 confirmed a replica has it. */
  acked: boolean;
}

interface CacheDrillState {
  oldMaster: string;
  writer: string;
  killAt: number;
  failoverAt?: number;
  newMaster?: string;
  writes: Write[];
  stop: boolean;
  loop?: Promise<void>;
  lost?: { acked: number; accepted: number };
  rejoin?: { role: string; link: string };
}

const state = new WeakMap<DrillEnv, CacheDrillState>();
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const stateOf = (env: DrillEnv): CacheDrillState => {
  const st = state.get(env);
  if (!st) throw new Error('redis-master-down: no state (the fault was not injected).');
  return st;
};
const addrOf = (ctx: RenderContext, vm: string) => ctx.lab.nodes.find((n) => n.hostname === vm)!.nics[0]!.address;

/** The primary as most Sentinels name it (node name), or undefined. */
async function currentMaster(env: DrillEnv, among = sentinelNodes(env.ctx)): Promise<string | undefined> {
  const views = await Promise.all(among.map((v) => sentinelView(env.pool, env.ctx, v)));
  const votes = new Map<string, number>();
  for (const v of views) if (v.master) votes.set(v.master, (votes.get(v.master) ?? 0) + 1);
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
  return best ? nodeByAddress(env.ctx, best[0].split(':')[0]!) : undefined;
}

/** One numbered write: SET, then WAIT 1 (at most 1 s) on the same connection, from the writer VM. */
async function writeOne(env: DrillEnv, writer: string, master: string, key: string): Promise<{ accepted: boolean; acked: boolean }> {
  const g = await env.pool.get(writer);
  const cli = redisCli(env.ctx, addrOf(env.ctx, master));
  // `timeout`: a powered-off primary does not refuse, it just never answers.
  const r = await g.exec(['timeout', '2', ...cli], { stdin: `SET ${key} 1\nWAIT 1 1000\n`, okCodes: [0, 1, 124], timeoutMs: 5000 });
  const [set = '', wait = ''] = r.stdout.split(/\r?\n/).map((l) => l.trim());
  const accepted = set === 'OK';
  return { accepted, acked: accepted && Number(wait) >= 1 };
}

/** Write numbered keys until told to stop (bounded: at most 3 minutes). */
async function writeLoop(env: DrillEnv, st: CacheDrillState, run: string): Promise<void> {
  let master = st.oldMaster;
  const started = Date.now();
  for (let n = 1; !st.stop && Date.now() - started < 180_000; n++) {
    const key = `halab:drill:${run}:${n}`;
    const t = Date.now();
    const r = await writeOne(env, st.writer, master, key).catch(() => ({ accepted: false, acked: false }));
    st.writes.push({ key, t, ...r });
    if (!r.accepted) {
      // Ask the Sentinel beside the writer who the primary is now.
      master = (await currentMaster(env, [st.writer]).catch(() => undefined)) ?? master;
      await sleep(200);
    }
  }
}

/** How many of `keys` the Redis on `vm` lacks (EXISTS in batches). */
async function missingKeys(env: DrillEnv, from: string, vm: string, keys: string[]): Promise<number> {
  let found = 0;
  const g = await env.pool.get(from);
  for (let i = 0; i < keys.length; i += 200) {
    const batch = keys.slice(i, i + 200);
    const r = await g.exec(redisCli(env.ctx, addrOf(env.ctx, vm)), { stdin: `EXISTS ${batch.join(' ')}\n`, timeoutMs: 10_000 });
    found += Number(r.stdout.trim()) || 0;
  }
  return keys.length - found;
}

export const redisMasterDown: DrillDef = {
  name: 'redis-master-down',
  title: msg('cache.drill.title'),
  hypothesis: (ctx) => {
    const c = cacheOf(ctx);
    return msg('cache.drill.hypothesis', { primary: c.primary, quorum: c.quorum, count: sentinelNodes(ctx).length, downAfter: c.downAfterMs });
  },
  recoveryTimeoutMs: 60_000,
  inject: async (env) => {
    const c = cacheOf(env.ctx);
    const oldMaster = await currentMaster(env);
    if (!oldMaster) throw new DrillError(msg('cache.drill.noMaster'), true);
    // The writer: a Sentinel VM that is not the primary (Sentinels may reach Redis through the firewall).
    const writer = sentinelNodes(env.ctx).find((v) => v !== oldMaster);
    if (!writer) throw new DrillError(msg('cache.drill.noMaster'), true);
    const st: CacheDrillState = { oldMaster, writer, killAt: 0, writes: [], stop: false };
    state.set(env, st);
    env.extra.cacheDownAfterMs = c.downAfterMs;
    st.loop = writeLoop(env, st, Date.now().toString(36));
    // Acknowledged keys on the old primary first, then the power cut.
    await sleep(2000);
    st.killAt = Date.now();
    await env.hv.stop(env.lab, oldMaster, 'hard');
    return msg('cache.drill.fault', { vm: oldMaster, provider: env.hv.kind });
  },
  recovered: async (env) => {
    const st = stateOf(env);
    const views = await Promise.all(sentinelNodes(env.ctx).filter((v) => v !== st.oldMaster).map((v) => sentinelView(env.pool, env.ctx, v)));
    const moved = views.map((v) => (v.master ? nodeByAddress(env.ctx, v.master.split(':')[0]!) : undefined)).find((m) => m && m !== st.oldMaster);
    if (moved && st.failoverAt === undefined) {
      st.failoverAt = Date.now();
      st.newMaster = moved;
      env.extra.cacheFailoverMs = st.failoverAt - st.killAt;
    }
    // Recovered once the new primary took a write after the fault.
    return !!moved && st.writes.some((w) => w.t > st.killAt && w.accepted);
  },
  restore: async (env) => {
    const st = stateOf(env);
    st.stop = true;
    await st.loop;
    const acked = st.writes.filter((w) => w.acked).map((w) => w.key);
    const accepted = st.writes.filter((w) => w.accepted).map((w) => w.key);
    const master = st.newMaster ?? (await currentMaster(env, sentinelNodes(env.ctx).filter((v) => v !== st.oldMaster)));
    if (master && master !== st.oldMaster) st.lost = { acked: await missingKeys(env, st.writer, master, acked), accepted: await missingKeys(env, st.writer, master, accepted) };
    env.extra.keysAcknowledged = acked.length;
    env.extra.keysAccepted = accepted.length;
    if (st.lost) {
      env.extra.keysLost = st.lost.acked;
      env.extra.keysAcceptedLost = st.lost.accepted;
    }
    const first = st.writes.find((w) => w.t > st.killAt && w.accepted);
    if (first) env.extra.firstSuccessAfterFaultMs = first.t - st.killAt;
    await env.hv.start(env.lab, st.oldMaster);
    await env.pool.get(st.oldMaster, { waitMs: 120_000 });
  },
  restored: async (env) => {
    const st = stateOf(env);
    const g = await env.pool.get(st.oldMaster, { waitMs: 5000 });
    const info = parseInfo((await g.exec([...redisCli(env.ctx, '127.0.0.1'), 'INFO', 'replication'], { okCodes: [0, 1], timeoutMs: 5000 })).stdout);
    st.rejoin = { role: info.role ?? '?', link: info.master_link_status ?? '?' };
    if (info.role !== 'slave' || info.master_link_status !== 'up') return false;
    const views = await Promise.all(sentinelNodes(env.ctx).map((v) => sentinelView(env.pool, env.ctx, v)));
    return views.every((v) => v.master && v.master === views[0]!.master);
  },
  countLost: async (env) => stateOf(env).lost?.acked,
  recoveryTime: (_env, m) => ({ ms: m.cacheFailoverMs, basis: msg('cache.drill.rto') }),
  dataLoss: (_env, m) => (m.keysLost === undefined ? { basis: msg('cache.drill.rpo') } : { lost: m.keysLost, basis: msg('cache.drill.rpo') }),
  expectations: (env, m) => {
    const st = stateOf(env);
    const limit = (m.cacheDownAfterMs ?? 0) + 10_000;
    return [
      check(msg('cache.drill.expect.promoted'), m.cacheFailoverMs !== undefined, m.cacheFailoverMs !== undefined ? msg('cache.drill.expect.promoted.yes', { to: st.newMaster ?? '?', ms: m.cacheFailoverMs, downAfter: m.cacheDownAfterMs ?? '?' }) : msg('cache.drill.expect.promoted.no')),
      check(msg('cache.drill.expect.within'), m.cacheFailoverMs !== undefined && m.cacheFailoverMs <= limit, msg('cache.drill.expect.within.detail', { ms: m.cacheFailoverMs ?? '∞', limit })),
      check(msg('cache.drill.expect.writes'), m.firstSuccessAfterFaultMs !== undefined, m.firstSuccessAfterFaultMs !== undefined ? msg('cache.drill.expect.writes.yes', { ms: m.firstSuccessAfterFaultMs }) : msg('cache.drill.expect.writes.no')),
      check(msg('cache.drill.expect.lost'), m.keysLost === 0 && (m.keysAcknowledged ?? 0) > 0, msg('cache.drill.expect.lost.detail', { lost: m.keysLost ?? '?', acked: m.keysAcknowledged ?? 0 })),
      check(msg('cache.drill.expect.rejoined'), st.rejoin?.role === 'slave' && st.rejoin.link === 'up', msg('cache.drill.expect.rejoined.detail', { vm: st.oldMaster, role: st.rejoin?.role ?? '?', link: st.rejoin?.link ?? '?' })),
    ];
  },
};
