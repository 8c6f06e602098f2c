/**
 * SQL on a lab's database servers over SSH, as the server's root through its
 * unix socket. Used by provisioning (schema, replication), the monitor and
 * the drills.
 */
import { REPLICA_STATUS_SQL } from '../configs/mysql-sql';
import { parseReplicaStatus, type ReplicaStatus } from '../configs/mysql-status';
import type { Guest } from '../guest/guest';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

/** Run SQL (fed on stdin) as the server's root over the socket; tab-separated output. */
export async function sql(g: Pick<Guest, 'exec'>, statements: string, opts: { okCodes?: number[] } = {}): Promise<string> {
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
    if (Date.now() > until) throw new MessageError(msg('lab.err.dbSilent', { vm: g.name, seconds: ms / 1000 }));
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

export async function replicaStatus(g: Pick<Guest, 'exec'>): Promise<ReplicaStatus | undefined> {
  return parseReplicaStatus(await sql(g, `${REPLICA_STATUS_SQL}\\G\n`))[0];
}
