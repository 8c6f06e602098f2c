/**
 * Provisioning of a PostgreSQL lab (`database.engine: postgresql`), after
 * each VM's firewall and services: the etcd members (started together, then
 * the cluster must be healthy), Patroni on the DB nodes with the package's
 * default cluster dropped (the blueprint's primary bootstraps and must lead
 * before the standbys start, so the leader is where the blueprint says), the
 * roles and schema on the leader, postgres_exporter; and `pg:verify` after
 * the lab's own verify: one leader, every standby streaming from its slot,
 * writes through the app that reach the standbys. A single PostgreSQL
 * without replicas runs as the package's cluster with our drop-in and pg_hba.
 * Every step checks before it changes.
 */
import { createHash } from 'node:crypto';
import type { RenderContext } from '../configs/context';
import { ETCD_CLIENT_PORT, etcdAddress, etcdMembers, renderEtcdFiles } from '../configs/etcd';
import { PATRONI_CONFIG_PATH, renderPatroniFiles } from '../configs/patroni';
import { isPgLab, PATRONI_PORT, PG_EXPORTER_ENV_PATH, PG_MAIN_UNIT, PG_SINGLE_HBA_PATH, PG_VERSION, pgNodes, renderPgFiles, renderPgRolesSql, renderPgSchemaSql, renderPgSystemSql, slotName, usesPatroni } from '../configs/postgres';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { list, msg } from '../shared/i18n';
import { joinMessages } from '../shared/i18n/message-list';
import type { Step, StepContext } from './engine';
import { syncFiles } from './node-steps';

type Result = 'changed' | 'unchanged';

/** Digest of the ALTER SYSTEM settings last applied to a single PostgreSQL. */
const PG_SETTINGS_MARK = '/etc/halab/pg-settings.sha256';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** psql as postgres over the local socket; `-A -t` output. */
export async function psql(g: Pick<Guest, 'exec'>, sql: string, db = 'postgres', timeoutMs = 30_000): Promise<string> {
  const r = await g.exec(['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db], { stdin: sql, timeoutMs });
  return r.stdout.trim();
}

/** Patroni's REST API on the node itself (`/cluster`, `/primary`, `/patroni`): status code and body. */
export async function patroniGet(g: Pick<Guest, 'exec'>, path: string): Promise<{ status: number; body: string }> {
  const r = await g.exec(['curl', '-s', '-m', '3', '-w', '\\n%{http_code}', `http://127.0.0.1:${PATRONI_PORT}${path}`], { okCodes: [0, 7, 28, 52, 56] });
  const lines = r.stdout.split('\n');
  return { status: Number(lines.pop()) || 0, body: lines.join('\n') };
}

export interface PatroniMember {
  name: string;
  role: string;
  state: string;
  host?: string;
  timeline?: number;
  lag?: number | string;
}

/** Members from `GET /cluster` (undefined when Patroni does not answer). */
export async function patroniCluster(g: Pick<Guest, 'exec'>): Promise<PatroniMember[] | undefined> {
  const r = await patroniGet(g, '/cluster');
  if (r.status !== 200) return undefined;
  try {
    return (JSON.parse(r.body) as { members?: PatroniMember[] }).members ?? [];
  } catch {
    return undefined;
  }
}

/** The node Patroni names leader, asked on each DB node in turn (undefined when none answers with one). */
export async function patroniLeader(pool: GuestPool, ctx: RenderContext, signal?: AbortSignal): Promise<string | undefined> {
  for (const n of pgNodes(ctx)) {
    const g = await pool.get(n, { signal, waitMs: 3000, staticOnly: true }).catch(() => undefined);
    const members = g && (await patroniCluster(g).catch(() => undefined));
    const leader = members?.find((m) => m.role === 'leader' || m.role === 'master');
    if (leader) return leader.name;
  }
  return undefined;
}

/** The node that takes writes: Patroni's leader, or the only PostgreSQL. */
export async function pgLeader(pool: GuestPool, ctx: RenderContext, signal?: AbortSignal): Promise<string | undefined> {
  if (!usesPatroni(ctx)) return pgNodes(ctx)[0];
  return patroniLeader(pool, ctx, signal);
}

async function unitState(g: Guest, unit: string): Promise<{ enabled: string; active: string }> {
  const r = await g.exec(['sh', '-c', 'printf "%s %s" "$(systemctl is-enabled "$1" 2>/dev/null || true)" "$(systemctl is-active "$1" 2>/dev/null || true)"', 'sh', unit]);
  const [enabled = '', active = ''] = r.stdout.trim().split(' ');
  return { enabled, active };
}

async function enable(g: Guest, unit: string, st: { enabled: string }): Promise<boolean> {
  if (st.enabled === 'enabled') return false;
  if (st.enabled.startsWith('masked')) await g.exec(['systemctl', 'unmask', '--quiet', unit]);
  await g.exec(['systemctl', 'enable', '--quiet', unit]);
  return true;
}

/** One etcd member: its environment file, enabled, (re)started without waiting (a member waits for its peers). */
async function etcdStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const changed = await syncFiles(g, renderEtcdFiles(ctx, vm), s.log);
  const st = await unitState(g, 'etcd.service');
  const enabled = await enable(g, 'etcd.service', st);
  if (changed.length || (st.active !== 'active' && st.active !== 'activating')) {
    await g.exec(['systemctl', changed.length ? 'restart' : 'start', '--no-block', 'etcd.service']);
    s.log(msg(changed.length ? 'pg.log.etcdRestarted' : 'pg.log.etcdStarted', { address: etcdAddress(ctx, vm) }));
    return 'changed';
  }
  return enabled ? 'changed' : 'unchanged';
}

/** Every member healthy, asked from the first member (bounded). */
async function etcdClusterStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<Result> {
  const members = etcdMembers(ctx);
  const g = await pool.get(members[0]!, { signal: s.signal, log: s.log });
  const endpoints = members.map((m) => `http://${etcdAddress(ctx, m)}:${ETCD_CLIENT_PORT}`).join(',');
  const until = Date.now() + 120_000;
  let last = '';
  for (;;) {
    const r = await g.exec(['env', 'ETCDCTL_API=3', 'etcdctl', `--endpoints=${endpoints}`, '--dial-timeout=2s', '--command-timeout=3s', 'endpoint', 'health'], { okCodes: [0, 1] });
    last = `${r.stdout}${r.stderr}`.trim();
    if (r.code === 0 && (last.match(/is healthy/g) ?? []).length === members.length) break;
    if (Date.now() > until) throw new Error(`etcd on ${members.join(', ')} is not healthy after 120 s: ${last.split('\n').slice(-3).join(' / ')}. Look at "journalctl -u etcd" on each member.`);
    await sleep(1000);
  }
  s.log(msg('pg.log.etcdHealthy', { count: members.length }));
  return 'unchanged';
}

/** The package's 15/main cluster off a Patroni node (its port is Patroni's). */
async function dropDefaultCluster(g: Guest, s: StepContext): Promise<boolean> {
  const ls = await g.exec(['sh', '-c', `pg_lsclusters -h 2>/dev/null | awk '$1 == "${PG_VERSION}" && $2 == "main"' || true`]);
  if (!ls.stdout.trim()) return false;
  await g.exec(['pg_dropcluster', '--stop', String(PG_VERSION), 'main'], { timeoutMs: 60_000 });
  s.log(msg('pg.log.droppedDefault', { version: PG_VERSION }));
  return true;
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean>, detail: () => Promise<string>): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} after ${Math.round(ms / 1000)} s: ${await detail()}`);
    await sleep(1000);
  }
}

/** Patroni on one DB node; the blueprint's primary must lead before a standby starts. */
async function patroniStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const primary = ctx.lab.lab.services.database!.primary;
  let changed = await dropDefaultCluster(g, s);
  // Root owns the folder (uploads refuse a folder another user could swap files in); Patroni reads it through its group.
  await g.exec(['install', '-d', '-o', 'root', '-g', 'postgres', '-m', '0750', '/etc/patroni']);
  const files = await syncFiles(g, renderPatroniFiles(ctx, vm), s.log);
  const st = await unitState(g, 'patroni.service');
  if (await enable(g, 'patroni.service', st)) changed = true;
  if (st.active !== 'active') {
    await g.exec(['systemctl', 'start', 'patroni.service'], { timeoutMs: 60_000 });
    s.log(msg('pg.log.patroniStarted'));
    changed = true;
  } else if (files.length) {
    await g.exec(['systemctl', 'reload', 'patroni.service']);
    s.log(msg('pg.log.patroniReloaded', { file: PATRONI_CONFIG_PATH }));
    changed = true;
  }
  const journal = async () => (await g.exec(['journalctl', '-u', 'patroni', '-n', '8', '--no-pager', '-o', 'cat'], { okCodes: [0, 1] })).stdout.trim().split('\n').slice(-4).join(' / ');
  if (vm === primary) {
    // A first run: the blueprint's primary bootstraps the cluster (initdb) and becomes leader.
    await waitFor(`${vm}: Patroni did not report a running leader`, 180_000, async () => {
      const m = await patroniCluster(g);
      return !!m?.some((x) => (x.role === 'leader' || x.role === 'master') && x.state === 'running');
    }, journal);
  } else {
    await waitFor(`${vm}: Patroni did not start PostgreSQL as a standby`, 180_000, async () => {
      const m = await patroniCluster(g);
      const me = m?.find((x) => x.name === vm);
      return !!me && me.state === 'running' && me.role !== 'leader' && me.role !== 'master';
    }, journal);
  }
  return changed ? 'changed' : 'unchanged';
}

/** A single PostgreSQL (no replicas): the package's cluster, our pg_hba (hba_file) and settings (ALTER SYSTEM); restarted when the settings change. */
async function singleStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const files = renderPgFiles(ctx, vm).filter((f) => f.path !== PG_EXPORTER_ENV_PATH);
  const changed = await syncFiles(g, files, s.log);
  const st = await unitState(g, PG_MAIN_UNIT);
  let acted = await enable(g, PG_MAIN_UNIT, st);
  if (st.active !== 'active') {
    await g.exec(['systemctl', 'start', PG_MAIN_UNIT], { timeoutMs: 120_000 });
    s.log(msg('pg.log.unitStarted', { unit: PG_MAIN_UNIT }));
    acted = true;
  }
  const ready = () => waitFor(`${vm}: PostgreSQL does not accept connections`, 60_000, async () => (await g.exec(['pg_isready', '-q', '-h', '/var/run/postgresql'], { okCodes: [0, 1, 2, 3] })).code === 0, async () => `pg_isready; see "journalctl -u ${PG_MAIN_UNIT}" on ${vm}`);
  await ready();
  const sql = renderPgSystemSql(ctx);
  const digest = createHash('sha256').update(sql).digest('hex');
  if ((await g.readFile(PG_SETTINGS_MARK))?.trim() !== digest) {
    await psql(g, sql);
    await g.exec(['systemctl', 'restart', PG_MAIN_UNIT], { timeoutMs: 120_000 });
    await ready();
    await g.writeFile(PG_SETTINGS_MARK, `${digest}\n`);
    s.log(msg('pg.log.settingsApplied', { hba: PG_SINGLE_HBA_PATH, unit: PG_MAIN_UNIT }));
    return 'changed';
  }
  if (changed.length) {
    await g.exec(['systemctl', 'reload', PG_MAIN_UNIT]);
    s.log(msg('pg.log.hbaReloaded'));
  }
  return changed.length || acted ? 'changed' : 'unchanged';
}

/** Roles and schema on the leader; the digest of the SQL is kept as the database's comment (it replicates and survives a failover). */
async function rolesStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<Result> {
  const leader = await pgLeader(pool, ctx, s.signal);
  if (!leader) throw new Error(`No PostgreSQL leader: Patroni on ${pgNodes(ctx).join(', ')} names none. Look at "patronictl -c ${PATRONI_CONFIG_PATH} list" on a DB node.`);
  const g = await pool.get(leader, { signal: s.signal, log: s.log });
  const db = ctx.lab.lab.services.database!;
  const roles = renderPgRolesSql(ctx);
  const schema = renderPgSchemaSql(ctx);
  const digest = createHash('sha256').update(roles).update(schema).digest('hex');
  const lit = db.schema.replace(/'/g, "''");
  const have = await psql(g, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '${lit}';`);
  if (have === `halab ${digest}`) return 'unchanged';
  await psql(g, roles);
  await psql(g, schema, db.schema);
  await psql(g, `COMMENT ON DATABASE "${db.schema.replace(/"/g, '""')}" IS 'halab ${digest}';`);
  s.log(msg('pg.log.rolesReady', { roles: list(Object.values(db.accounts).map((a) => a.user)), schema: db.schema, node: leader }));
  return 'changed';
}

/** postgres_exporter with the monitoring role. */
async function exporterStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const changed = await syncFiles(g, renderPgFiles(ctx, vm).filter((f) => f.path === PG_EXPORTER_ENV_PATH), s.log);
  const unit = 'prometheus-postgres-exporter.service';
  const st = await unitState(g, unit);
  const enabled = await enable(g, unit, st);
  if (changed.length || st.active !== 'active') {
    await g.exec(['systemctl', 'restart', unit]);
    s.log(msg(st.active === 'active' ? 'pg.log.unitRestarted' : 'pg.log.unitStarted', { unit }));
    return 'changed';
  }
  return enabled ? 'changed' : 'unchanged';
}

/** The leader's view of its standbys: `application_name|state|slot active`. */
export async function streamingStandbys(g: Pick<Guest, 'exec'>): Promise<{ node: string; state: string; slotActive: boolean; lagBytes: number; replayLagMs: number | null }[]> {
  const out = await psql(g, "SELECT r.application_name, r.state, coalesce(s.active, false), coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), 0)::bigint, (extract(epoch FROM r.replay_lag) * 1000)::bigint FROM pg_stat_replication r LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid;");
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [node = '', state = '', active = '', lag = '0', ms = ''] = l.split('|');
      return { node, state, slotActive: active === 't', lagBytes: Number(lag), replayLagMs: ms === '' ? null : Number(ms) };
    });
}

/** One leader, every standby streaming through its slot, a write through each app server readable on every standby. */
async function verifyPg(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const db = ctx.lab.lab.services.database!;
  const nodes = pgNodes(ctx);
  let leader: string | undefined;
  if (usesPatroni(ctx)) {
    const views = await Promise.all(nodes.map(async (n) => ({ n, m: await patroniCluster(await pool.get(n, { signal: s.signal })) })));
    const leaders = new Set(views.flatMap((v) => (v.m ?? []).filter((x) => x.role === 'leader' || x.role === 'master').map((x) => x.name)));
    if (leaders.size !== 1) throw new Error(`Patroni names ${leaders.size ? [...leaders].join(' and ') : 'no'} leader; expected exactly one. Run "patronictl -c ${PATRONI_CONFIG_PATH} list" on ${nodes[0]}.`);
    leader = [...leaders][0]!;
    if (leader !== db.primary) throw new Error(`Patroni's leader is ${leader}, but the blueprint's primary is ${db.primary}. Switch back with "patronictl -c ${PATRONI_CONFIG_PATH} switchover --leader ${leader} --candidate ${db.primary} --force" on ${leader}, then run "halab up" again.`);
    const lg = await pool.get(leader, { signal: s.signal });
    const want = nodes.filter((n) => n !== leader);
    let seen: Awaited<ReturnType<typeof streamingStandbys>> = [];
    await waitFor(`Not every standby streams from ${leader}`, 60_000, async () => {
      seen = await streamingStandbys(lg);
      return want.every((w) => seen.some((x) => x.node === w && x.state === 'streaming' && x.slotActive));
    }, async () => `pg_stat_replication on ${leader} shows ${seen.map((x) => `${x.node} ${x.state}${x.slotActive ? ' (slot)' : ''}`).join(', ') || 'no standby'}; expected ${want.join(', ')} streaming through slots ${want.map(slotName).join(', ')}`);
    s.log(msg('pg.log.leads', { leader, standbys: joinMessages(seen.map((x) => msg('pg.log.standby', { node: x.node, state: x.state, slot: slotName(x.node), lag: x.lagBytes })), 'semicolon') }));
  } else leader = nodes[0]!;
  const port = ctx.lab.lab.services.app?.port ?? 3000;
  for (const app of ctx.lab.lab.services.app?.members ?? []) {
    const g = await pool.get(app, { signal: s.signal });
    const body = JSON.stringify({ name: 'halab verify', phone: '010-0000-0000', issue: `verify write through ${app}` });
    let r = { stdout: '' };
    await waitFor(`${app}: the app does not accept a reservation`, 30_000, async () => {
      r = await g.exec(['curl', '-s', '-m', '5', '-w', '\\n%{http_code}', '-H', 'Content-Type: application/json', '-d', body, `http://127.0.0.1:${port}/api/reservations`], { okCodes: [0, 7, 28, 52, 56] });
      return r.stdout.trim().endsWith('\n201');
    }, async () => `last answer ${r.stdout.trim().replace(/\n/g, ' ') || 'none'} (journalctl -u halab-app on ${app})`);
    const no = /"reservationNo":"([A-Za-z0-9-]+)"/.exec(r.stdout)?.[1] ?? '';
    for (const n of nodes) {
      const ng = await pool.get(n, { signal: s.signal });
      await waitFor(`${n}: the reservation ${no} written through ${app} is not there`, 15_000, async () => (await psql(ng, `SELECT count(*) FROM reservations WHERE reservation_no = '${no}';`, db.schema)) === '1', async () => 'not replicated');
    }
    s.log(msg('pg.log.replicated', { app, no, nodes: list(nodes) }));
  }
  return 'unchanged';
}

/** The PostgreSQL steps after every VM's services (none unless the engine is postgresql). */
export function pgSteps(pool: GuestPool, ctx: RenderContext): Step[] {
  if (!isPgLab(ctx)) return [];
  const steps: Step[] = [];
  const nodes = pgNodes(ctx);
  const primary = nodes[0]!;
  const patroni = usesPatroni(ctx);
  if (patroni) {
    const members = etcdMembers(ctx);
    for (const m of members) steps.push({ id: `pg:etcd:${m}`, title: `etcd member on ${m}`, titleMsg: msg('pg.step.etcd', { node: m }), vm: m, deps: [`vm:${m}:services`], run: (c) => etcdStep(pool, ctx, m, c) });
    steps.push({ id: 'pg:etcd', title: `etcd cluster of ${members.length} members healthy`, titleMsg: msg('pg.step.etcdCluster', { count: members.length }), deps: members.map((m) => `pg:etcd:${m}`), run: (c) => etcdClusterStep(pool, ctx, c) });
    for (const n of nodes) {
      steps.push({ id: `pg:node:${n}`, title: `Patroni and PostgreSQL on ${n}`, titleMsg: msg('pg.step.patroni', { node: n }), vm: n, deps: [`vm:${n}:services`, 'pg:etcd', ...(n === primary ? [] : [`pg:node:${primary}`])], run: (c) => patroniStep(pool, ctx, n, c) });
    }
  } else {
    steps.push({ id: `pg:node:${primary}`, title: `PostgreSQL on ${primary}`, titleMsg: msg('pg.step.single', { node: primary }), vm: primary, deps: [`vm:${primary}:services`], run: (c) => singleStep(pool, ctx, primary, c) });
  }
  steps.push({ id: 'pg:roles', title: 'roles and schema on the leader', titleMsg: msg('pg.step.roles'), deps: nodes.map((n) => `pg:node:${n}`), run: (c) => rolesStep(pool, ctx, c) });
  if (ctx.lab.lab.services.monitoring) {
    for (const n of nodes) steps.push({ id: `pg:exporter:${n}`, title: `postgres_exporter on ${n}`, titleMsg: msg('pg.step.exporter', { node: n }), vm: n, deps: ['pg:roles'], run: (c) => exporterStep(pool, ctx, n, c) });
  }
  return steps;
}

/** `pg:verify`, after the lab's own verify. */
export function pgVerifySteps(pool: GuestPool, ctx: RenderContext): Step[] {
  if (!isPgLab(ctx)) return [];
  return [{ id: 'pg:verify', title: 'verify PostgreSQL: leader, streaming standby, writes through the app', titleMsg: msg('pg.step.verify'), deps: ['lab:verify'], run: (c) => verifyPg(pool, ctx, c) }];
}

/** How many steps pgSteps + pgVerifySteps add (for progress bars). */
export function pgStepsCount(ctx: Pick<RenderContext, 'lab'>): number {
  const db = ctx.lab.lab.services.database;
  if (db?.engine !== 'postgresql') return 0;
  const nodes = 1 + ctx.lab.replicas.length;
  const patroni = !!db.patroni && ctx.lab.replicas.length > 0;
  const etcd = patroni ? new Set(db.patroni!.etcd).size + 1 : 0;
  return etcd + nodes + 1 + (ctx.lab.lab.services.monitoring ? nodes : 0) + 1;
}
