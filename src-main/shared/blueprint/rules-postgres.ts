/**
 * PostgreSQL rules (`database.engine: postgresql`): replicas need Patroni,
 * Patroni needs an etcd of 3 (or another odd number ≥ 3) members that exist
 * and reach each other and the DB nodes, timeouts Patroni can keep, role
 * names PostgreSQL accepts, and no MySQL-only options or drills.
 * Browser-safe.
 */
import { list, msg, type Message } from '../i18n';
import { didYouMean, issue, type Issue, type IssuePath } from './issues';
import { replicasOf } from './model';
import type { Lab } from './schema';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

const err = (ctx: Ctx, code: string, path: IssuePath, m: Message, f?: Message) => ctx.issues.push(issue('error', code, path, m, f));

const DB: IssuePath = ['services', 'database'];

function netsOf(lab: Lab, host: string): Set<string> | undefined {
  const n = lab.nodes.find((x) => x.hostname === host);
  return n ? new Set(n.nics.map((x) => x.network)) : undefined;
}

function share(lab: Lab, a: string, b: string): boolean {
  const na = netsOf(lab, a);
  const nb = netsOf(lab, b);
  if (!na || !nb || a === b) return true;
  for (const n of na) if (nb.has(n)) return true;
  return false;
}

/** A role name PostgreSQL takes unquoted: lowercase, not reserved. */
export function pgRoleProblem(user: string): 'pg.reasonUpper' | 'pg.reasonReserved' | undefined {
  if (user !== user.toLowerCase()) return 'pg.reasonUpper';
  if (user === 'postgres' || user.startsWith('pg_') || user === 'public') return 'pg.reasonReserved';
  return undefined;
}

export function checkPostgres(ctx: Ctx): void {
  const { lab } = ctx;
  const db = lab.services.database;
  if (!db) return;
  if (db.engine !== 'postgresql') {
    if (db.patroni) err(ctx, 'patroni-not-postgres', [...DB, 'patroni'], msg('pg.patroniNotPostgres', { engine: db.engine }), msg('pg.patroniNotPostgres.fix'));
    return;
  }
  const replicas = replicasOf(lab);
  if (replicas.length > 0 && !db.patroni) err(ctx, 'pg-needs-patroni', [...DB, 'replicas'], msg('pg.needsPatroni'), msg('pg.needsPatroni.fix'));
  if (db.replication !== undefined) err(ctx, 'pg-replication-mode', [...DB, 'replication'], msg('pg.semiSync', { mode: db.replication }), msg('pg.semiSync.fix'));
  const p = db.patroni;
  if (p) {
    const at: IssuePath = [...DB, 'patroni'];
    const count = p.etcd.length;
    if (count < 3 || count % 2 === 0) err(ctx, 'pg-etcd-count', [...at, 'etcd'], msg('pg.etcdCount', { count }), msg('pg.etcdCount.fix'));
    const seen = new Set<string>();
    const names = lab.nodes.map((n) => n.hostname);
    p.etcd.forEach((node, i) => {
      const ep: IssuePath = [...at, 'etcd', i];
      if (seen.has(node)) err(ctx, 'duplicate-member', ep, msg('pg.etcdTwice', { node }), msg('fix.removeSecond'));
      seen.add(node);
      if (!names.includes(node)) {
        const guess = didYouMean(node, names);
        err(ctx, 'unknown-node', ep, msg('pg.etcdUnknown', { node }), guess ? msg('fix.use', { value: guess }) : msg('pg.etcdUnknown.fix', { choices: list(names) }));
        return;
      }
      for (const peer of p.etcd.slice(0, i)) if (names.includes(peer) && !share(lab, node, peer)) err(ctx, 'no-shared-network', ep, msg('pg.etcdNoPeer', { node, peer }), msg('pg.etcdNoPeer.fix', { node, peer }));
    });
    for (const node of [db.primary, ...replicas.map((r) => r.node)]) {
      for (const member of new Set(p.etcd)) {
        if (names.includes(node) && names.includes(member) && !share(lab, node, member)) err(ctx, 'no-shared-network', [...at, 'etcd'], msg('pg.dbNoEtcd', { node, member }), msg('pg.dbNoEtcd.fix', { node, member }));
      }
    }
    const sum = p.loopWait + 2 * p.retryTimeout;
    if (sum > p.ttl) err(ctx, 'pg-patroni-timeouts', [...at, 'ttl'], msg('pg.timeouts', { loop: p.loopWait, retry: p.retryTimeout, sum, ttl: p.ttl }), msg('pg.timeouts.fix', { sum }));
  }
  const accounts = Object.entries(db.accounts) as [string, { user: string }][];
  const byName = new Map<string, string>();
  for (const [purpose, a] of accounts) {
    const ap: IssuePath = [...DB, 'accounts', purpose, 'user'];
    const problem = pgRoleProblem(a.user);
    if (problem) {
      const base = a.user.toLowerCase().replace(/^pg_/, '');
      const suggested = base === 'postgres' || base === 'public' || base === '' ? `halab_${purpose}` : base;
      err(ctx, 'pg-account-name', ap, msg('pg.accountName', { purpose, user: a.user, reason: msg(problem) }), msg('pg.accountName.fix', { suggested }));
    }
    const other = byName.get(a.user.toLowerCase());
    if (other) err(ctx, 'pg-account-twice', ap, msg('pg.accountTwice', { a: other, b: purpose, user: a.user }), msg('pg.accountTwice.fix'));
    else byName.set(a.user.toLowerCase(), purpose);
  }
  lab.drills.forEach((d, i) => {
    if (d === 'db-primary-down') err(ctx, 'drill-not-applicable', ['drills', i], msg('pg.mysqlDrill'), msg('pg.mysqlDrill.fix'));
  });
}
