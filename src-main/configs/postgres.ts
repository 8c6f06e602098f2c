/**
 * PostgreSQL 15 (`database.engine: postgresql`): who may connect (pg_hba,
 * `scram-sha-256` for every network connection), the server parameters for
 * streaming replication with slots, one role per purpose (app, replication,
 * monitoring, backup) and the schema, postgres_exporter's environment, and
 * the package cluster's files for a single PostgreSQL without Patroni.
 * With replicas, Patroni runs the server (see `patroni.ts`). Pure.
 */
import { createHash } from 'node:crypto';
import { managedHeader, nodeOf, sourcesOf, type RenderContext, type RenderedFile } from './context';
import { assertIpv4, envValue } from './quote';

export const PG_VERSION = 15;
export const PG_PORT = 5432;
export const PG_BIN_DIR = `/usr/lib/postgresql/${PG_VERSION}/bin`;
/** Patroni's own data directory (the package's 15/main cluster is dropped on Patroni nodes). */
export const PG_PATRONI_DATA_DIR = `/var/lib/postgresql/${PG_VERSION}/halab`;
/** The package's cluster, used by a single PostgreSQL without replicas (its folder belongs to postgres: our files live in /etc/halab). */
export const PG_MAIN_CONF_DIR = `/etc/postgresql/${PG_VERSION}/main`;
/** pg_hba of a single PostgreSQL, named by `hba_file` (root-owned folder, readable by the postgres group). */
export const PG_SINGLE_HBA_PATH = '/etc/halab/pg_hba.conf';
export const PG_MAIN_UNIT = `postgresql@${PG_VERSION}-main.service`;
export const PG_EXPORTER_ENV_PATH = '/etc/default/prometheus-postgres-exporter';
export const PG_EXPORTER_PORT = 9187;
export const PATRONI_PORT = 8008;

/** Is the lab's database PostgreSQL? */
export function isPgLab(ctx: RenderContext): boolean {
  return ctx.lab.lab.services.database?.engine === 'postgresql';
}

/** Is the lab's PostgreSQL run by Patroni (it has replicas)? */
export function usesPatroni(ctx: RenderContext): boolean {
  const db = ctx.lab.lab.services.database;
  return db?.engine === 'postgresql' && !!db.patroni && ctx.lab.replicas.length > 0;
}

/** The PostgreSQL nodes: the blueprint's primary first, then the standbys. */
export function pgNodes(ctx: RenderContext): string[] {
  const db = ctx.lab.lab.services.database;
  if (db?.engine !== 'postgresql') return [];
  return [db.primary, ...ctx.lab.replicas.map((r) => r.node)];
}

/**
 * The superuser's password (Patroni and pg_rewind log in as postgres over
 * the network). Derived from the lab's replication secret, so no new secret
 * is stored: letters and digits, 24 of them.
 */
export function pgSuperuserPassword(ctx: RenderContext): string {
  return createHash('sha256').update(`halab-postgres-superuser\0${ctx.secrets.db.replication}`).digest('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 24);
}

/** A replication slot name for a node (slots take [a-z0-9_]). */
export function slotName(hostname: string): string {
  return hostname.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The server parameters every PostgreSQL node runs with (Patroni's DCS copy or the package cluster's drop-in). */
export function pgParameters(ctx: RenderContext): [string, string | number][] {
  const standbys = Math.max(ctx.lab.replicas.length, 1);
  return [
    ['password_encryption', 'scram-sha-256'],
    ['wal_level', 'replica'],
    ['hot_standby', 'on'],
    ['max_connections', 100],
    ['max_wal_senders', standbys + 5],
    ['max_replication_slots', standbys + 5],
    ['wal_keep_size', '128MB'],
    // pg_rewind needs hint bits in the WAL (or data checksums; Patroni's initdb turns both on).
    ['wal_log_hints', 'on'],
    ['hot_standby_feedback', 'on'],
    ['log_connections', 'off'],
  ];
}

/**
 * pg_hba lines, first match wins: local superuser by peer; replication and
 * superuser (Patroni, pg_rewind) only from the other DB nodes; the app from
 * the app servers into the schema's database; the exporter and backup
 * locally and from the backup node; scram-sha-256 for every network line;
 * everything else rejected.
 */
export function renderPgHba(ctx: RenderContext, hostname: string): string[] {
  nodeOf(ctx, hostname);
  const db = ctx.lab.lab.services.database!;
  const a = db.accounts;
  const nodes = pgNodes(ctx);
  const out = ['local all postgres peer', 'local all all scram-sha-256', `host all ${a.monitoring.user} 127.0.0.1/32 scram-sha-256`, `host all ${a.backup.user} 127.0.0.1/32 scram-sha-256`, `host all postgres 127.0.0.1/32 scram-sha-256`, `host replication ${a.replication.user} 127.0.0.1/32 scram-sha-256`];
  const from = (peer: string) => (peer === hostname ? [] : sourcesOf(ctx, hostname, peer).map((s) => `${assertIpv4(s)}/32`));
  for (const peer of nodes) for (const src of from(peer)) out.push(`host replication ${a.replication.user} ${src} scram-sha-256`, `host all postgres ${src} scram-sha-256`);
  for (const app of ctx.lab.lab.services.app?.members ?? []) for (const src of from(app)) out.push(`host ${db.schema} ${a.app.user} ${src} scram-sha-256`);
  const backup = ctx.lab.lab.services.backup?.runOn;
  if (backup) for (const src of from(backup)) out.push(`host all ${a.backup.user} ${src} scram-sha-256`);
  out.push('host all all 0.0.0.0/0 reject');
  return [...new Set(out)];
}

const sqlLit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** CREATE or ALTER a login role with a password (scram-sha-256, the server's password_encryption). */
function role(user: string, password: string, extra: string): string {
  return `SELECT format('CREATE ROLE %I', ${sqlLit(user)}) WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${sqlLit(user)})\\gexec\nALTER ROLE ${ident(user)} WITH LOGIN ${extra} PASSWORD ${sqlLit(password)};`;
}

/**
 * Roles and schema, run by psql as postgres on the leader (the standbys get
 * them by replication). One role per purpose: the app owns the schema's
 * database, monitoring gets pg_monitor, backup pg_read_all_data; the
 * replication role exists for Patroni too (it creates it at bootstrap).
 * Idempotent (psql's \gexec creates what is missing).
 */
export function renderPgRolesSql(ctx: RenderContext): string {
  const db = ctx.lab.lab.services.database!;
  const a = db.accounts;
  const s = ctx.secrets.db;
  return [
    'SET password_encryption = \'scram-sha-256\';',
    role(a.app.user, s.app, 'NOSUPERUSER NOCREATEDB NOCREATEROLE'),
    role(a.replication.user, s.replication, 'REPLICATION NOSUPERUSER'),
    role(a.monitoring.user, s.monitoring, 'NOSUPERUSER'),
    `GRANT pg_monitor TO ${ident(a.monitoring.user)};`,
    role(a.backup.user, s.backup, 'NOSUPERUSER'),
    `GRANT pg_read_all_data TO ${ident(a.backup.user)};`,
    `SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', ${sqlLit(db.schema)}, ${sqlLit(a.app.user)}, 'UTF8') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${sqlLit(db.schema)})\\gexec`,
    `REVOKE ALL ON DATABASE ${ident(db.schema)} FROM PUBLIC;`,
    `GRANT CONNECT ON DATABASE ${ident(db.schema)} TO ${ident(a.app.user)}, ${ident(a.backup.user)}, ${ident(a.monitoring.user)};`,
    '',
  ].join('\n');
}

/** The reservations table, created in the schema's database as the app role (so it owns it). */
export function renderPgSchemaSql(ctx: RenderContext): string {
  const app = ctx.lab.lab.services.database!.accounts.app.user;
  return `SET ROLE ${ident(app)};
CREATE TABLE IF NOT EXISTS reservations (
  id BIGSERIAL PRIMARY KEY,
  reservation_no VARCHAR(32) NOT NULL UNIQUE,
  name VARCHAR(100) NOT NULL,
  phone VARCHAR(20) NOT NULL,
  address VARCHAR(255),
  issue TEXT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'requested',
  served_by VARCHAR(64) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS reservations_lookup ON reservations (reservation_no, name, phone);
CREATE TABLE IF NOT EXISTS drill_writes (
  seq BIGINT PRIMARY KEY,
  run VARCHAR(64) NOT NULL,
  written_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
RESET ROLE;
`;
}

/** postgres_exporter: the monitoring role over loopback. */
export function renderPgExporterEnv(ctx: RenderContext): string {
  const a = ctx.lab.lab.services.database!.accounts.monitoring.user;
  const dsn = `postgresql://${a}:${ctx.secrets.db.monitoring}@127.0.0.1:${PG_PORT}/postgres?sslmode=disable`;
  return `${managedHeader(ctx)}DATA_SOURCE_NAME=${envValue(dsn, 'DATA_SOURCE_NAME')}\nARGS=${envValue(`--web.listen-address=:${PG_EXPORTER_PORT}`, 'ARGS')}\n`;
}

/**
 * The settings of a single PostgreSQL (no Patroni), as ALTER SYSTEM
 * statements run by postgres (they land in the data directory's
 * postgresql.auto.conf: the package's config folder belongs to postgres, and
 * the provisioner writes only into root-owned folders). A restart applies them.
 */
export function renderPgSystemSql(ctx: RenderContext): string {
  const set = (k: string, v: string | number) => `ALTER SYSTEM SET ${k} = ${typeof v === 'number' ? v : `'${v.replace(/'/g, "''")}'`};`;
  return [set('listen_addresses', '*'), set('port', PG_PORT), set('hba_file', PG_SINGLE_HBA_PATH), ...pgParameters(ctx).map(([k, v]) => set(k, v)), ''].join('\n');
}

/** Files of one PostgreSQL node that Patroni does not write (Patroni's are in `patroni.ts`). */
export function renderPgFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!pgNodes(ctx).includes(hostname)) return [];
  const files: RenderedFile[] = [];
  if (ctx.lab.lab.services.monitoring) files.push({ path: PG_EXPORTER_ENV_PATH, mode: '0600', content: renderPgExporterEnv(ctx) });
  if (!usesPatroni(ctx)) {
    files.push({ path: PG_SINGLE_HBA_PATH, mode: '0640', owner: 'root:postgres', content: `${managedHeader(ctx)}${renderPgHba(ctx, hostname).join('\n')}\n` });
  }
  return files;
}

/** Prometheus alert rules of a PostgreSQL lab (postgres_exporter's metrics). */
export function pgAlertRules(ctx: RenderContext): { alert: string; expr: string; for: string; labels: { severity: 'critical' | 'warning' }; annotations: { summary: string } }[] {
  const rules: ReturnType<typeof pgAlertRules> = [{ alert: 'PostgresDown', expr: 'pg_up == 0', for: '30s', labels: { severity: 'critical' }, annotations: { summary: 'PostgreSQL on {{ $labels.node }} is down' } }];
  if (ctx.lab.replicas.length) {
    rules.push({ alert: 'PostgresReplicationLag', expr: 'pg_replication_lag > 30', for: '2m', labels: { severity: 'warning' }, annotations: { summary: '{{ $labels.node }} replays WAL {{ $value }} s behind its leader' } });
  }
  return rules;
}

/**
 * UFW rules of a PostgreSQL lab for `hostname`, in ufw.ts's argv form:
 * 5432 from the other DB nodes, the app servers and the backup node; 8008
 * (Patroni's REST API: members ask each other in the leader race) from the
 * other DB nodes; etcd clients 2379 from the DB nodes and peers, 2380 from
 * the peers; 9187 (postgres_exporter) from Prometheus.
 */
export function pgUfwRules(ctx: RenderContext, hostname: string): string[][] {
  if (!isPgLab(ctx)) return [];
  const s = ctx.lab.lab.services;
  const out: string[][] = [];
  const allow = (from: string, port: number, comment: string) => {
    if (from === hostname) return;
    for (const src of sourcesOf(ctx, hostname, from)) out.push(['ufw', 'allow', 'from', assertIpv4(src, 'source'), 'to', 'any', 'port', String(port), 'proto', 'tcp', 'comment', comment]);
  };
  const nodes = pgNodes(ctx);
  if (nodes.includes(hostname)) {
    for (const c of new Set([...nodes, ...(s.app?.members ?? []), ...(s.backup ? [s.backup.runOn] : [])])) allow(c, PG_PORT, `halab postgresql from ${c}`);
    if (usesPatroni(ctx)) for (const p of nodes) allow(p, PATRONI_PORT, `halab patroni api from ${p}`);
    const prom = s.monitoring?.prometheus;
    if (prom) allow(prom, PG_EXPORTER_PORT, 'halab postgres_exporter');
  }
  const etcd = s.database?.patroni?.etcd ?? [];
  if (usesPatroni(ctx) && etcd.includes(hostname)) {
    for (const c of new Set([...nodes, ...etcd])) allow(c, 2379, `halab etcd client ${c}`);
    for (const p of new Set(etcd)) allow(p, 2380, `halab etcd peer ${p}`);
  }
  return out;
}
