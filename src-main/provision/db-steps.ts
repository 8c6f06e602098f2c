/**
 * Database provisioning over SSH, as root through the server's unix socket:
 * the schema and the per-purpose accounts on the primary, replication on
 * each replica. The SQL helpers live in `lab/sql.ts`.
 */
import { createHash } from 'node:crypto';
import { renderAccountsSql, renderPrimarySemiSyncSql, renderReplicaSetupSql, renderSchemaSql, REPLICA_STATUS_SQL, SEMI_SYNC_STATUS_SQL } from '../configs/mysql-sql';
import { semiSync } from '../configs/mysql-server';
import { parseReplicaStatus, parseSemiSync } from '../configs/mysql-status';
import { dbReplicationOf } from '../shared/blueprint/model';
import { reach, type RenderContext } from '../configs/context';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { replicaStatus, sql, waitForServer } from '../lab/sql';
import type { StepContext } from './engine';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

type Result = 'changed' | 'unchanged';

const INIT_MARK = '/etc/halab/db-init.sha256';

/**
 * A DB step's whole check in one remote command (the re-apply's skip; the
 * separate ping, client lookup, query and file read were four round trips on
 * the serial path): prints `before` (a shell snippet) and a part line, then,
 * when the server answers a ping, the output of `statements` (`-e`, same
 * client and options as lab/sql.ts). Undefined when the server does not
 * answer or there is no client: then the step takes its usual path.
 */
export async function quickCheck(g: Pick<Guest, 'exec'>, statements: string, before = 'true'): Promise<{ before: string; sql: string } | undefined> {
  const script = `${before}; echo '${PART}'; c=$(command -v mariadb || command -v mysql) || exit 90; { mysqladmin --protocol=socket -uroot ping || mariadb-admin --protocol=socket -uroot ping; } >/dev/null 2>&1 || exit 91; exec "$c" --protocol=socket -uroot --default-character-set=utf8mb4 --batch --raw -e "$1"`;
  const r = await g.exec(['sh', '-c', script, 'sh', statements], { okCodes: [0, 1, 90, 91] });
  const at = r.stdout.indexOf(`${PART}\n`);
  return r.code === 0 && at >= 0 ? { before: r.stdout.slice(0, at), sql: r.stdout.slice(at + PART.length + 1) } : undefined;
}

const PART = '##halab-part##';

/** The primary's count query: is the schema's reservations table there. */
function presentSql(ctx: RenderContext): string {
  const schema = ctx.lab.lab.services.database!.schema;
  return `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${schema.replace(/'/g, "''")}' AND table_name = 'reservations';\n`;
}

/** Schema and accounts on the primary (CREATE USER replicates to the replicas). */
export async function primaryStep(pool: GuestPool, ctx: RenderContext, primary: string, s: StepContext): Promise<Result> {
  const g = await pool.get(primary, { signal: s.signal, log: s.log });
  // Semi-sync labs also switch the source side on at runtime (the option file says so for the next start).
  const statements = `${renderSchemaSql(ctx)}\n${renderAccountsSql(ctx)}${renderPrimarySemiSyncSql(ctx)}`;
  const digest = createHash('sha256').update(statements).digest('hex');
  const quick = await quickCheck(g, presentSql(ctx), `cat ${INIT_MARK} 2>/dev/null`);
  if (quick && quick.before.trim() === digest && quick.sql.trim().endsWith('1')) return 'unchanged';
  await waitForServer(g);
  const present = await sql(g, presentSql(ctx));
  if ((await g.readFile(INIT_MARK))?.trim() === digest && present.trim().endsWith('1')) return 'unchanged';
  await sql(g, statements);
  await g.writeFile(INIT_MARK, `${digest}\n`);
  s.log(msg('prov.log.schemaReady'));
  return 'changed';
}

/** Replication on one replica; left alone when it already runs from the right source. */
export async function replicaStep(pool: GuestPool, ctx: RenderContext, replica: string, s: StepContext): Promise<Result> {
  const g = await pool.get(replica, { signal: s.signal, log: s.log });
  const source = reach(ctx, replica, ctx.lab.lab.services.database!.primary);
  // Ping and status in one command; the usual path when the server does not answer yet.
  const quick = await quickCheck(g, `${REPLICA_STATUS_SQL}\\G`);
  if (!quick) await waitForServer(g);
  const now = quick ? parseReplicaStatus(quick.sql)[0] : await replicaStatus(g);
  const acking = !semiSync(ctx) || parseSemiSync(await sql(g, SEMI_SYNC_STATUS_SQL))?.replicaActive === true;
  if (now && now.sourceHost === source && now.ioRunning === 'Yes' && now.sqlRunning === 'Yes' && acking) return 'unchanged';
  await sql(g, renderReplicaSetupSql(ctx, replica));
  const until = Date.now() + 60_000;
  for (;;) {
    const st = await replicaStatus(g);
    if (st?.ioRunning === 'Yes' && st.sqlRunning === 'Yes') break;
    if (Date.now() > until) {
      throw new MessageError(msg('prov.err.replicationNotStarted', { vm: replica, source, io: st?.ioRunning ?? '?', sql: st?.sqlRunning ?? '?', errors: `${st?.lastIoError ? `, ${st.lastIoError}` : ''}${st?.lastSqlError ? `, ${st.lastSqlError}` : ''}` }));
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  s.log(msg('prov.log.replicating', { source }));
  if (semiSync(ctx)) await waitSemiSync(pool, ctx, replica, s);
  return 'changed';
}

/**
 * Semi-sync labs: the replica acknowledges and the primary counts it as a
 * semi-sync client with commits waiting AFTER_SYNC (bounded; says which side
 * is off otherwise).
 */
async function waitSemiSync(pool: GuestPool, ctx: RenderContext, replica: string, s: StepContext): Promise<void> {
  const primary = ctx.lab.lab.services.database!.primary;
  const pg = await pool.get(primary, { signal: s.signal, log: s.log });
  const rg = await pool.get(replica, { signal: s.signal, log: s.log });
  const until = Date.now() + 30_000;
  for (;;) {
    const p = parseSemiSync(await sql(pg, SEMI_SYNC_STATUS_SQL));
    const r = parseSemiSync(await sql(rg, SEMI_SYNC_STATUS_SQL));
    if (p?.active && p.clients > 0 && p.waitPoint === 'AFTER_SYNC' && r?.replicaActive) {
      s.log(msg('prov.log.semiSyncOn', { primary, clients: p.clients, ms: p.timeoutMs ?? dbReplicationOf(ctx.lab.lab.services.database!).semiSyncTimeoutMs }));
      return;
    }
    if (Date.now() > until) {
      const primaryState = p ? msg('prov.semi.primaryState', { enabled: p.enabled ? 'ON' : 'OFF', active: p.active ? 'ON' : 'OFF', clients: p.clients, waitPoint: p.waitPoint || '?' }) : msg('prov.semi.noVariables');
      throw new MessageError(msg('prov.err.semiSyncOff', { vm: replica, primary, primaryState, replicaState: msg(r?.replicaActive ? 'prov.semi.acking' : 'prov.semi.notAcking') }));
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
}
