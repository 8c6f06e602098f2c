/**
 * SQL the provisioner runs (as root over the unix socket) on the database
 * nodes: the schema, one least-privilege account per purpose (never root),
 * and replica setup, in the dialect of the effective engine.
 */
import { dbNodes, reach, sourcesOf, type RenderContext } from './context';
import { sqlAccount, sqlGrantDb, sqlIdent, sqlString } from './quote';
import { semiSync, semiSyncNames } from './mysql-server';
import { dbReplicationOf } from '../shared/blueprint/model';

function database(ctx: RenderContext) {
  const db = ctx.lab.lab.services.database;
  if (!db) throw new Error('The lab has no database service.');
  return db;
}

/** The reservations schema and table (idempotent). */
export function renderSchemaSql(ctx: RenderContext): string {
  const db = database(ctx);
  const schema = sqlIdent(db.schema);
  const collation = ctx.engine === 'mysql8' ? 'utf8mb4_0900_ai_ci' : 'utf8mb4_unicode_ci';
  return `CREATE DATABASE IF NOT EXISTS ${schema} CHARACTER SET utf8mb4 COLLATE ${collation};
CREATE TABLE IF NOT EXISTS ${schema}.\`reservations\` (
  \`id\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  \`reservation_no\` VARCHAR(32) NOT NULL,
  \`name\` VARCHAR(100) NOT NULL,
  \`phone\` VARCHAR(32) NOT NULL,
  \`address\` VARCHAR(255) NULL,
  \`issue\` TEXT NOT NULL,
  \`status\` VARCHAR(16) NOT NULL DEFAULT 'requested',
  \`served_by\` VARCHAR(64) NOT NULL,
  \`created_at\` TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uk_reservation_no\` (\`reservation_no\`),
  KEY \`idx_phone\` (\`phone\`)
) ENGINE=InnoDB;
`;
}

/** One account: created if missing, password re-set (so a re-run converges), then granted. */
function account(user: string, host: string, password: string, grants: string[], extra = ''): string[] {
  const who = sqlAccount(user, host);
  return [`CREATE USER IF NOT EXISTS ${who} IDENTIFIED BY ${sqlString(password)}${extra};`, `ALTER USER ${who} IDENTIFIED BY ${sqlString(password)};`, ...grants.map((g) => `GRANT ${g} TO ${who};`)];
}

/** Take every privilege from an existing account (before granting the ones it should have). */
function revokeAll(user: string, host: string): string {
  return `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${sqlAccount(user, host)};`;
}

/** Every address a DB node may see `client` connect from. */
function clientHosts(ctx: RenderContext, client: string): string[] {
  const hosts = new Set<string>();
  for (const d of dbNodes(ctx)) if (d !== client) for (const a of sourcesOf(ctx, d, client)) hosts.add(a);
  return [...hosts];
}

/**
 * The accounts, run on the primary only: CREATE USER replicates, so the
 * replicas get them too (and a promoted replica already has them).
 *
 * - replication: REPLICATION SLAVE only, from every DB node (failback included);
 * - app: DML on the schema only, from each app server;
 * - monitoring (local, socket): what mysqld_exporter's default collectors
 *   read: `PROCESS` (processlist, InnoDB tables of information_schema),
 *   `REPLICATION CLIENT` for SHOW REPLICA STATUS (MariaDB: `BINLOG MONITOR,
 *   SLAVE MONITOR`, as REPLICATION CLIENT is only BINLOG MONITOR there) and
 *   `SELECT` on performance_schema only, not on every schema. Earlier grants
 *   (`SELECT ON *.*`) are revoked first, so a re-apply narrows an old lab;
 * - backup (local, socket): SELECT, SHOW VIEW, TRIGGER, EVENT on the schema;
 *   MySQL 8 dumps with --no-tablespaces (no PROCESS) and needs RELOAD for the
 *   GTID-consistent snapshot, plus SHOW_ROUTINE for --routines.
 */
export function renderAccountsSql(ctx: RenderContext): string {
  const db = database(ctx);
  const a = db.accounts;
  const s = ctx.secrets.db;
  const grantDb = sqlGrantDb(db.schema);
  const out: string[] = [];
  for (const d of dbNodes(ctx)) for (const host of clientHosts(ctx, d)) out.push(...account(a.replication.user, host, s.replication, ['REPLICATION SLAVE ON *.*']));
  for (const app of ctx.lab.lab.services.app?.members ?? []) {
    for (const host of clientHosts(ctx, app)) out.push(...account(a.app.user, host, s.app, [`SELECT, INSERT, UPDATE, DELETE ON ${grantDb}.*`]));
  }
  const monitorGrants = [ctx.engine === 'mariadb' ? 'PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.*' : 'PROCESS, REPLICATION CLIENT ON *.*', 'SELECT ON performance_schema.*'];
  const monitor = account(a.monitoring.user, 'localhost', s.monitoring, monitorGrants, ' WITH MAX_USER_CONNECTIONS 3');
  out.push(...monitor.slice(0, 2), revokeAll(a.monitoring.user, 'localhost'), ...monitor.slice(2));
  const backupGrants = [`SELECT, SHOW VIEW, TRIGGER, EVENT ON ${grantDb}.*`];
  if (ctx.engine === 'mysql8') backupGrants.push('RELOAD, SHOW_ROUTINE ON *.*');
  out.push(...account(a.backup.user, 'localhost', s.backup, backupGrants));
  return out.join('\n') + '\n';
}

/** Statements that point a node at `sourceHost` as its replication source. */
function changeSource(ctx: RenderContext, sourceAddress: string, gtidPos: 'slave_pos' | 'current_pos'): string {
  const db = database(ctx);
  const user = sqlString(db.accounts.replication.user);
  const pass = sqlString(ctx.secrets.db.replication);
  const host = sqlString(sourceAddress);
  if (ctx.engine === 'mysql8') {
    // caching_sha2_password without TLS needs the source's RSA key (error 2061 otherwise).
    return `CHANGE REPLICATION SOURCE TO SOURCE_HOST=${host}, SOURCE_PORT=3306, SOURCE_USER=${user}, SOURCE_PASSWORD=${pass}, SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=5;`;
  }
  return `CHANGE MASTER TO MASTER_HOST=${host}, MASTER_PORT=3306, MASTER_USER=${user}, MASTER_PASSWORD=${pass}, MASTER_USE_GTID=${gtidPos}, MASTER_CONNECT_RETRY=5;`;
}

function readOnlyOn(ctx: RenderContext): string[] {
  return ctx.engine === 'mysql8' ? ['SET GLOBAL super_read_only = ON;'] : ['SET GLOBAL read_only = ON;'];
}

/**
 * Semi-sync at runtime (the option file says the same for the next start):
 * `source` for the node that takes writes (it waits AFTER_SYNC for one
 * replica's acknowledgement, falling back to async after the timeout),
 * `replica` for a node that acknowledges, `none` turns both sides off (a
 * promoted node with no replica left: it would only stall each write for the
 * timeout). Empty for an async lab. The replica side takes effect when its
 * IO thread (re)starts.
 */
export function semiSyncSql(ctx: RenderContext, side: 'source' | 'replica' | 'none'): string[] {
  if (!semiSync(ctx)) return [];
  const n = semiSyncNames(ctx.engine);
  const { semiSyncTimeoutMs } = dbReplicationOf(database(ctx));
  return [
    `SET GLOBAL ${n.waitPoint} = AFTER_SYNC;`,
    `SET GLOBAL ${n.timeout} = ${semiSyncTimeoutMs};`,
    `SET GLOBAL ${n.sourceEnabled} = ${side === 'source' ? 'ON' : 'OFF'};`,
    `SET GLOBAL ${n.replicaEnabled} = ${side === 'replica' ? 'ON' : 'OFF'};`,
  ];
}

/** Replica setup on `hostname`: read-only, pointed at the primary with GTID auto-positioning, started. */
export function renderReplicaSetupSql(ctx: RenderContext, hostname: string): string {
  const db = database(ctx);
  if (!ctx.lab.replicas.some((r) => r.node === hostname)) throw new Error(`${hostname} is not a replica.`);
  return [...readOnlyOn(ctx), 'STOP REPLICA;', ...semiSyncSql(ctx, 'replica'), changeSource(ctx, reach(ctx, hostname, db.primary), 'slave_pos'), 'START REPLICA;'].join('\n') + '\n';
}

/** Semi-sync on the primary (run with the accounts; empty for an async lab). */
export function renderPrimarySemiSyncSql(ctx: RenderContext): string {
  const l = semiSyncSql(ctx, 'source');
  return l.length ? l.join('\n') + '\n' : '';
}

/** Status and variables whose output {@link parseSemiSync} reads. */
export const SEMI_SYNC_STATUS_SQL = "SHOW GLOBAL STATUS LIKE 'rpl_semi_sync_%';\nSHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_%';\n";

/** The query whose output {@link parseReplicaStatus} reads (same keyword on both engines). */
export const REPLICA_STATUS_SQL = 'SHOW REPLICA STATUS';

/**
 * Promote a replica to primary: stop replicating, forget the source, accept
 * writes. The caller should first wait until the relay log is applied
 * (`replicaCaughtUp`) so no received transaction is lost.
 */
export function promoteReplicaSql(ctx: RenderContext, opts: { semiSyncSource?: boolean } = {}): string[] {
  const rw = ctx.engine === 'mysql8' ? ['SET GLOBAL super_read_only = OFF;', 'SET GLOBAL read_only = OFF;'] : ['SET GLOBAL read_only = OFF;'];
  // Semi-sync: the source side only when a replica is there to acknowledge
  // (failback); a node promoted because the primary died has none yet.
  return ['STOP REPLICA;', 'RESET REPLICA ALL;', ...semiSyncSql(ctx, opts.semiSyncSource ? 'source' : 'none'), ...rw];
}

/**
 * Demote a former primary into a replica of `newPrimary`: read-only first,
 * then replicate. MariaDB uses `current_pos`, because the node was a primary
 * and its own binlog position is the one to continue from.
 */
export function demoteToReplicaSql(ctx: RenderContext, hostname: string, newPrimary: string): string[] {
  return [...readOnlyOn(ctx), 'STOP REPLICA;', ...semiSyncSql(ctx, 'replica'), changeSource(ctx, reach(ctx, hostname, newPrimary), 'current_pos'), 'START REPLICA;'];
}
