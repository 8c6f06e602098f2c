/**
 * Database provisioning over SSH, as root through the server's unix socket:
 * the schema and the per-purpose accounts on the primary, replication on
 * each replica. Also the SQL helper the drills use.
 */
import { createHash } from 'node:crypto';
import { REPLICA_STATUS_SQL, renderAccountsSql, renderReplicaSetupSql, renderSchemaSql } from '../configs/mysql-sql';
import { parseReplicaStatus, type ReplicaStatus } from '../configs/mysql-status';
import { reach, type RenderContext } from '../configs/context';
import type { Guest } from '../guest/guest';
import type { StepContext } from './engine';
import type { GuestPool } from './guest-pool';

type Result = 'changed' | 'unchanged';

/** Run SQL (fed on stdin) as the server's root over the socket; tab-separated output. */
export async function sql(g: Guest, statements: string, opts: { okCodes?: number[] } = {}): Promise<string> {
  const client = (await g.exec(['sh', '-c', 'command -v mariadb || command -v mysql'])).stdout.trim();
  const r = await g.exec([client, '--protocol=socket', '-uroot', '--default-character-set=utf8mb4', '--batch', '--raw'], { stdin: statements, okCodes: opts.okCodes });
  return r.stdout;
}

/** Wait until the server answers (after a restart), up to `ms`. */
export async function waitForServer(g: Guest, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await g.exec(['sh', '-c', 'mysqladmin --protocol=socket -uroot ping 2>/dev/null || mariadb-admin --protocol=socket -uroot ping'], { okCodes: [0, 1] });
    if (r.code === 0) return;
    if (Date.now() > until) throw new Error(`${g.name}: the database server did not answer within ${ms / 1000} s.`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

export async function replicaStatus(g: Guest): Promise<ReplicaStatus | undefined> {
  return parseReplicaStatus(await sql(g, `${REPLICA_STATUS_SQL}\\G\n`))[0];
}

const INIT_MARK = '/etc/halab/db-init.sha256';

/** Schema and accounts on the primary (CREATE USER replicates to the replicas). */
export async function primaryStep(pool: GuestPool, ctx: RenderContext, primary: string, s: StepContext): Promise<Result> {
  const g = await pool.get(primary, { signal: s.signal, log: s.log });
  await waitForServer(g);
  const statements = `${renderSchemaSql(ctx)}\n${renderAccountsSql(ctx)}`;
  const digest = createHash('sha256').update(statements).digest('hex');
  const schema = ctx.lab.lab.services.database!.schema;
  const present = await sql(g, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${schema.replace(/'/g, "''")}' AND table_name = 'reservations';\n`);
  if ((await g.readFile(INIT_MARK))?.trim() === digest && present.trim().endsWith('1')) return 'unchanged';
  await sql(g, statements);
  await g.writeFile(INIT_MARK, `${digest}\n`);
  s.log('schema and accounts in place');
  return 'changed';
}

/** Replication on one replica; left alone when it already runs from the right source. */
export async function replicaStep(pool: GuestPool, ctx: RenderContext, replica: string, s: StepContext): Promise<Result> {
  const g = await pool.get(replica, { signal: s.signal, log: s.log });
  await waitForServer(g);
  const source = reach(ctx, replica, ctx.lab.lab.services.database!.primary);
  const now = await replicaStatus(g);
  if (now && now.sourceHost === source && now.ioRunning === 'Yes' && now.sqlRunning === 'Yes') return 'unchanged';
  await sql(g, renderReplicaSetupSql(ctx, replica));
  const until = Date.now() + 60_000;
  for (;;) {
    const st = await replicaStatus(g);
    if (st?.ioRunning === 'Yes' && st.sqlRunning === 'Yes') break;
    if (Date.now() > until) {
      throw new Error(`${replica}: replication from ${source} did not start (IO ${st?.ioRunning ?? '?'}, SQL ${st?.sqlRunning ?? '?'}${st?.lastIoError ? `, ${st.lastIoError}` : ''}${st?.lastSqlError ? `, ${st.lastSqlError}` : ''}).`);
    }
    await new Promise((ok) => setTimeout(ok, 500));
  }
  s.log(`replicating from ${source}`);
  return 'changed';
}
