/**
 * `pg-primary-down`: the PostgreSQL primary loses power (a hard stop of its
 * VM) under numbered writes through the VIP. Measured: the time until
 * Patroni promotes the standby (against ttl + loop_wait), the time until a
 * write through the app is accepted again, and acknowledged rows lost.
 * Restore: the old primary starts again and rejoins as a standby (Patroni
 * runs pg_rewind when its timeline diverged), then a switchover gives the
 * leadership back to the blueprint's primary, so the lab is as the
 * blueprint says and a second `halab up` changes nothing.
 */
import { request } from 'node:http';
import { PATRONI_CONFIG_PATH } from '../configs/patroni';
import { pgNodes, slotName } from '../configs/postgres';
import { patroniCluster, patroniGet, psql, streamingStandbys } from '../provision/pg-steps';
import { check, DrillError, exec, msg, type DrillDef, type DrillEnv } from './drill-kit';

const primaryOf = (env: Pick<DrillEnv, 'ctx'>) => env.ctx.lab.lab.services.database!.primary;
const standbyOf = (env: Pick<DrillEnv, 'ctx'>) => {
  const s = pgNodes(env.ctx).find((n) => n !== primaryOf(env));
  if (!s) throw new DrillError(msg('pg.drill.error.noStandby'), true);
  return s;
};
const budgetMs = (env: Pick<DrillEnv, 'ctx'>) => {
  const p = env.ctx.lab.lab.services.database!.patroni!;
  return (p.ttl + p.loopWait) * 1000;
};

/** The drill's own writes through the VIP after the fault (acknowledged ones are counted with the load's). */
const ownWrites = new WeakMap<DrillEnv, string[]>();

function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port || 80, path: u.pathname, method: 'POST', agent: false, timeout: 3000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: 0, text: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}

/** Does `node` lead, by its own Patroni (`GET /primary` answers 200 only on a running leader)? */
async function leads(env: DrillEnv, node: string): Promise<boolean> {
  const g = await env.pool.get(node, { waitMs: 2000, staticOnly: true });
  return (await patroniGet(g, '/primary')).status === 200;
}

/** `node` streams from `leader` through its slot. */
async function streamsFrom(env: DrillEnv, node: string, leader: string): Promise<{ ok: boolean; state: string }> {
  const g = await env.pool.get(leader, { waitMs: 2000, staticOnly: true });
  const rows = await streamingStandbys(g);
  const r = rows.find((x) => x.node === node || x.node === slotName(node));
  return { ok: r?.state === 'streaming' && r.slotActive, state: r ? `${r.state}${r.slotActive ? '' : ' (slot inactive)'}` : 'absent from pg_stat_replication' };
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond().catch(() => false)) return true;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  return false;
}

export const pgPrimaryDown: DrillDef = {
  name: 'pg-primary-down',
  title: msg('pg.drill.title'),
  hypothesis: (ctx) => msg('pg.drill.hypothesis', { ttl: ctx.lab.lab.services.database!.patroni?.ttl ?? '?' }),
  recoveryTimeoutMs: 90_000,
  inject: async (env) => {
    const primary = primaryOf(env);
    const standby = standbyOf(env);
    env.extra.patroniBudgetMs = budgetMs(env);
    ownWrites.set(env, []);
    await env.hv.stop(env.lab, primary, 'hard');
    await env.pool.drop(primary);
    env.log(msg('pg.drill.log.stopped', { node: primary, standby }));
    return msg('pg.drill.fault', { node: primary });
  },
  recovered: async (env) => {
    const standby = standbyOf(env);
    if (env.extra.promotedMs === undefined) {
      if (!(await leads(env, standby))) return false;
      env.extra.promotedMs = Date.now() - env.faultAt;
      env.log(msg('pg.drill.log.promoted', { node: standby, ms: env.extra.promotedMs, budget: budgetMs(env) }));
    }
    const url = env.monitor.probeUrl;
    if (!url) return true;
    const r = await post(new URL('/api/reservations', url).toString(), JSON.stringify({ name: 'pg drill', phone: '010-5555-0000', issue: 'write after the PostgreSQL failover' }));
    const no = r.status === 201 ? /"reservationNo":"([A-Za-z0-9-]+)"/.exec(r.text)?.[1] : undefined;
    if (!no) return false;
    ownWrites.get(env)?.push(no);
    env.extra.writesAcceptedMs = Date.now() - env.faultAt;
    env.log(msg('pg.drill.log.writes', { ms: env.extra.writesAcceptedMs }));
    return true;
  },
  restore: async (env) => {
    const primary = primaryOf(env);
    const standby = standbyOf(env);
    await env.hv.start(env.lab, primary);
    // Patroni on the old primary finds a newer timeline and rewinds (use_pg_rewind) before following the new leader.
    const leader = (await leads(env, standby).catch(() => false)) ? standby : primary;
    if (leader === standby) {
      if (!(await until(async () => (await streamsFrom(env, primary, standby)).ok, 120_000))) {
        const st = await streamsFrom(env, primary, standby).catch((e: Error) => ({ ok: false, state: e.message }));
        throw new DrillError(msg('pg.drill.detail.notRejoined', { node: primary, leader: standby, state: st.state }));
      }
      env.extra.rejoinMs = Date.now() - env.restoreAt;
      const journal = await exec(env, primary, ['journalctl', '-u', 'patroni', '--since', `@${Math.floor(env.faultAt / 1000)}`, '--no-pager', '-o', 'cat']).catch(() => ({ stdout: '' }));
      env.extra.rewound = /pg_rewind/.test(journal.stdout);
      if (env.extra.rewound) env.notes.push(msg('pg.drill.note.rewind', { node: primary, leader: standby }));
      env.log(msg('pg.drill.log.rejoined', { node: primary, leader: standby, ms: env.extra.rejoinMs, rewind: env.extra.rewound ? msg('pg.drill.log.rewind') : '' }));
      env.log(msg('pg.drill.log.switchback', { node: primary }));
      // In synchronous mode Patroni switches over only to the synchronous standby: wait until it names the old primary so.
      if (env.ctx.lab.lab.services.database!.patroni!.synchronous) {
        await until(async () => !!(await patroniCluster(await env.pool.get(standby)))?.some((m) => m.name === primary && m.role === 'sync_standby'), 60_000);
      }
      let last: unknown;
      for (let i = 0; i < 3; i++) {
        try {
          await exec(env, standby, ['patronictl', '-c', PATRONI_CONFIG_PATH, 'switchover', '--leader', standby, '--candidate', primary, '--force']);
          return;
        } catch (e) {
          last = e;
          await new Promise((ok) => setTimeout(ok, 3000));
        }
      }
      throw last;
    }
  },
  restored: async (env) => {
    const primary = primaryOf(env);
    if (!(await leads(env, primary))) return false;
    for (const n of pgNodes(env.ctx).filter((x) => x !== primary)) if (!(await streamsFrom(env, n, primary)).ok) return false;
    const members = await patroniCluster(await env.pool.get(primary));
    return (members ?? []).filter((m) => m.role === 'leader' || m.role === 'master').length === 1;
  },
  countLost: async (env, acknowledged) => {
    const all = [...acknowledged, ...(ownWrites.get(env) ?? [])];
    if (!all.length) return 0;
    const db = env.ctx.lab.lab.services.database!;
    const g = await env.pool.get(primaryOf(env));
    const found = new Set<string>();
    for (let i = 0; i < all.length; i += 200) {
      const list = all.slice(i, i + 200).map((n) => `'${n.replace(/[^A-Za-z0-9-]/g, '')}'`).join(',');
      for (const l of (await psql(g, `SELECT reservation_no FROM reservations WHERE reservation_no IN (${list});`, db.schema)).split('\n')) if (l.trim()) found.add(l.trim());
    }
    return all.filter((n) => !found.has(n)).length;
  },
  recoveryTime: (_env, m) => ({ ms: m.writesAcceptedMs, basis: msg('drill.rto.promotion') }),
  expectations: (env, m) => {
    const budget = m.patroniBudgetMs ?? budgetMs(env);
    const primary = primaryOf(env);
    const standby = pgNodes(env.ctx).find((n) => n !== primary) ?? '?';
    return [
      check(msg('pg.drill.expect.promote', { ms: budget }), m.promotedMs !== undefined && m.promotedMs <= budget + 10_000, m.promotedMs !== undefined ? msg('pg.drill.detail.promoted', { ms: m.promotedMs, budget }) : msg('pg.drill.detail.notPromoted')),
      check(msg('pg.drill.expect.writes'), m.writesAcceptedMs !== undefined, m.writesAcceptedMs !== undefined ? msg('pg.drill.detail.writes', { ms: m.writesAcceptedMs }) : msg('drill.detail.noWrite')),
      check(msg('pg.drill.expect.rows'), m.rowsLost === 0, msg('drill.detail.rowsMissing', { lost: m.rowsLost ?? '?', acked: m.rowsAcknowledged })),
      check(
        msg('pg.drill.expect.rejoin'),
        m.rejoinMs !== undefined,
        m.rejoinMs !== undefined ? msg('pg.drill.detail.rejoin', { node: primary, leader: standby, ms: m.rejoinMs, rewind: m.rewound ? msg('pg.drill.log.rewind') : '' }) : msg('pg.drill.detail.notRejoined', { node: primary, leader: standby, state: '?' }),
      ),
    ];
  },
};
