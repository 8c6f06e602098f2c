/**
 * MySQL 8 / MariaDB server option drop-ins and the client option files the
 * exporter and the backup use. The effective engine comes from the context.
 */
import { dbNodes, managedHeader, nodeOf, type RenderContext, type RenderedFile } from './context';
import { assertIpv4 } from './quote';
import { dbReplicationOf } from '../shared/blueprint/model';

/**
 * Semi-sync names per engine: MariaDB (10.3.3+) has it built in with the
 * master/slave names; MySQL 8.0.26+ loads the semisync_source /
 * semisync_replica plugins, whose variables say source/replica.
 */
export function semiSyncNames(engine: RenderContext['engine']) {
  const [src, rep] = engine === 'mariadb' ? ['master', 'slave'] : ['source', 'replica'];
  return {
    sourceEnabled: `rpl_semi_sync_${src}_enabled`,
    replicaEnabled: `rpl_semi_sync_${rep}_enabled`,
    waitPoint: `rpl_semi_sync_${src}_wait_point`,
    timeout: `rpl_semi_sync_${src}_timeout`,
    /** Status: ON while commits wait for a replica, OFF after a timeout fell back to async. */
    sourceStatus: `Rpl_semi_sync_${src}_status`,
    clients: `Rpl_semi_sync_${src}_clients`,
    yesTx: `Rpl_semi_sync_${src}_yes_tx`,
    noTx: `Rpl_semi_sync_${src}_no_tx`,
    replicaStatus: `Rpl_semi_sync_${rep}_status`,
    /** MySQL 8 only: the plugins to load. */
    plugins: engine === 'mysql8' ? ['semisync_source.so', 'semisync_replica.so'] : [],
  };
}

/** Whether the lab replicates semi-synchronously. */
export function semiSync(ctx: RenderContext): boolean {
  const db = ctx.lab.lab.services.database;
  return !!db && dbReplicationOf(db).mode === 'semi-sync';
}

/** The unix socket both Debian/Ubuntu packages use. */
export const MYSQL_SOCKET = '/run/mysqld/mysqld.sock';

/**
 * Where the server drop-in goes. MariaDB: after Debian's 50-server.cnf.
 * MySQL 8 on Ubuntu reads mysql.conf.d/ where mysqld.cnf (with
 * `bind-address = 127.0.0.1`) sorts after any digit, hence the `zz-` name.
 */
export function serverCnfPath(engine: RenderContext['engine']): string {
  return engine === 'mariadb' ? '/etc/mysql/mariadb.conf.d/60-halab.cnf' : '/etc/mysql/mysql.conf.d/zz-halab.cnf';
}

/** server-id: 1 for the primary, 2… for the replicas in blueprint order. */
export function serverId(ctx: RenderContext, hostname: string): number {
  const i = dbNodes(ctx).indexOf(hostname);
  if (i < 0) throw new Error(`${hostname} is not a database node.`);
  return i + 1;
}

/** Whether `hostname` is configured as a replica (read-only) in the blueprint. */
export function isReplica(ctx: RenderContext, hostname: string): boolean {
  return ctx.lab.replicas.some((r) => r.node === hostname);
}

/** The `[mysqld]` drop-in of one database node. */
export function renderServerCnf(ctx: RenderContext, hostname: string): string {
  const node = nodeOf(ctx, hostname);
  const replica = isReplica(ctx, hostname);
  // One NIC: bind to it. Several: listen on all and let UFW decide who reaches 3306.
  const bind = node.nics.length === 1 ? assertIpv4(node.nics[0]!.address) : '0.0.0.0';
  const lines = [
    managedHeader(ctx).trimEnd(),
    `# ${hostname}: ${replica ? 'replica (read-only)' : 'primary'}, ${ctx.engine === 'mariadb' ? 'MariaDB' : 'MySQL 8'}`,
    '[mysqld]',
    `server-id                = ${serverId(ctx, hostname)}`,
    `bind-address             = ${bind}`,
    'log_bin                  = /var/log/mysql/mysql-bin',
    'binlog_format            = ROW',
    'relay_log                = /var/log/mysql/relay-bin',
    'max_binlog_size          = 100M',
    'sync_binlog              = 1',
    'innodb_flush_log_at_trx_commit = 1',
  ];
  if (ctx.engine === 'mysql8') {
    lines.push('binlog_expire_logs_seconds = 604800', 'gtid_mode                = ON', 'enforce_gtid_consistency = ON', 'log_replica_updates      = ON');
    lines.push(`read_only                = ${replica ? 'ON' : 'OFF'}`, `super_read_only          = ${replica ? 'ON' : 'OFF'}`);
    if (replica) lines.push('skip_replica_start       = OFF');
  } else {
    // MariaDB has GTIDs always on (no gtid_mode) and no super_read_only.
    lines.push('expire_logs_days         = 7', 'log_slave_updates        = ON', 'gtid_strict_mode         = ON', 'gtid_domain_id           = 0');
    lines.push(`read_only                = ${replica ? 'ON' : 'OFF'}`);
  }
  if (semiSync(ctx)) {
    const n = semiSyncNames(ctx.engine);
    const { semiSyncTimeoutMs } = dbReplicationOf(ctx.lab.lab.services.database!);
    lines.push(
      '# Semi-sync (RPO 0): a commit returns only after a replica has the',
      '# transaction; AFTER_SYNC: nobody sees it before then either. After',
      `# ${semiSyncTimeoutMs} ms without a replica the primary falls back to async.`,
      '# The source side is on where the node is the primary; failover and',
      '# failback switch both sides at runtime.',
      ...n.plugins.map((p) => `plugin-load-add          = ${p}`),
      `${n.sourceEnabled.padEnd(24)} = ${replica ? 'OFF' : 'ON'}`,
      `${n.replicaEnabled.padEnd(24)} = ${replica ? 'ON' : 'OFF'}`,
      `${n.waitPoint.padEnd(24)} = AFTER_SYNC`,
      `${n.timeout.padEnd(24)} = ${semiSyncTimeoutMs}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A `[client]` option file for a local account over the unix socket. */
export function renderClientCnf(ctx: RenderContext, user: string, password: string): string {
  if (/[\n\r]/.test(user + password)) throw new Error('Client credentials cannot contain line breaks.');
  return `${managedHeader(ctx)}[client]\nuser = ${user}\npassword = "${password.replace(/["\\]/g, (c) => `\\${c}`)}"\nsocket = ${MYSQL_SOCKET}\n`;
}

/** Where the exporter's credentials live. */
export const EXPORTER_CNF_PATH = '/etc/prometheus/mysqld-exporter.cnf';

/**
 * mysqld_exporter files. Debian 12 ships 0.14, which still reads
 * `--config.my-cnf`; passing the file (not DATA_SOURCE_NAME) also works with
 * 0.15+, which removed DATA_SOURCE_NAME.
 */
export function renderMysqldExporterFiles(ctx: RenderContext): RenderedFile[] {
  const user = ctx.lab.lab.services.database?.accounts.monitoring.user ?? 'exporter';
  return [
    { path: EXPORTER_CNF_PATH, mode: '0640', owner: 'root:prometheus', content: renderClientCnf(ctx, user, ctx.secrets.db.monitoring) },
    {
      path: '/etc/default/prometheus-mysqld-exporter',
      mode: '0644',
      content: `${managedHeader(ctx)}ARGS="--config.my-cnf=${EXPORTER_CNF_PATH}"\n`,
    },
  ];
}

/** node_exporter defaults: the textfile collector directory where the VIP gauge and backup status land. */
export function renderNodeExporterDefaults(ctx: RenderContext): RenderedFile {
  return {
    path: '/etc/default/prometheus-node-exporter',
    mode: '0644',
    content: `${managedHeader(ctx)}ARGS="--collector.textfile.directory=/var/lib/prometheus/node-exporter"\n`,
  };
}

/** The server drop-in plus exporter files for a database node. */
export function renderDatabaseFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  return [{ path: serverCnfPath(ctx.engine), mode: '0644', content: renderServerCnf(ctx, hostname) }, ...renderMysqldExporterFiles(ctx)];
}
