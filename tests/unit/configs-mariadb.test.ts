/**
 * The rendered MariaDB config, SQL, backup script and the sample app, run for
 * real: a primary and a replica (throw-away mariadbd on 127.0.0.1, started
 * with the rendered option files), the rendered accounts and replica setup,
 * the app against both, the backup with its restore check, then the
 * promotion/demotion SQL of the DB failover drill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, MysqlError } from '../../resources/guest/app/mysql-client.mjs';
import {
  demoteToReplicaSql,
  parseReplicaStatus,
  promoteReplicaSql,
  renderAccountsSql,
  renderBackupScript,
  renderReplicaSetupSql,
  renderSchemaSql,
  renderServerCnf,
  replicaHealthy,
} from '../../src-main/configs/index';
import { freePort, startMariaDb, type MariaInstance } from '../golden/configs/support/mariadb';
import { loadLab, makeCtx, REPO, requireTool, run } from '../golden/configs/support/render';

const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
const pw = ctx.secrets.db;
/** The lab's 10.0.0.x addresses become 127.0.0.1, and port 3306 the test server's port. */
const local = (sql: string, port?: number) => {
  let s = sql.replace(/'10\.0\.0\.\d+'/g, "'127.0.0.1'");
  if (port) s = s.replace('MASTER_PORT=3306', `MASTER_PORT=${port}`);
  return s;
};

let primary: MariaInstance;
let replica: MariaInstance;
let app: ChildProcess | undefined;
let appPort = 0;
const tmp = mkdtempSync(join(tmpdir(), 'halab-mariadb-test-'));

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = (inst: MariaInstance) => parseReplicaStatus(inst.sql('SHOW REPLICA STATUS\\G'));

beforeAll(async () => {
  requireTool('node', 'nodejs');
  [primary, replica] = await Promise.all([startMariaDb(renderServerCnf(ctx, 'db-master')), startMariaDb(renderServerCnf(ctx, 'db-slave'))]);
  primary.sql(renderSchemaSql(ctx) + local(renderAccountsSql(ctx)));
  replica.sql(local(renderReplicaSetupSql(ctx, 'db-slave'), primary.port));
  await waitFor('the replica to catch up', () => (replica.sql("SELECT COUNT(*) FROM mysql.user WHERE user = 'backup'").includes('1') ? true : undefined));
}, 120_000);

afterAll(async () => {
  if (app && app.exitCode === null) {
    app.kill('SIGTERM');
    await new Promise((r) => app!.once('exit', r));
  }
  await Promise.all([primary?.stop(), replica?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('rendered server options, accounts and replica setup', () => {
  it('the replica replicates with GTID and is read-only; the parser reads both output formats', () => {
    const g = status(replica);
    expect(g.length).toBe(1);
    expect(g[0]!.ioRunning).toBe('Yes');
    expect(g[0]!.sqlRunning).toBe('Yes');
    expect(g[0]!.usingGtid).toBe(true);
    expect(g[0]!.sourcePort).toBe(primary.port);
    expect(replicaHealthy(g[0]!)).toBe(true);
    const batch = parseReplicaStatus(replica.sql('SHOW REPLICA STATUS'));
    expect(batch[0]!.ioRunning).toBe('Yes');
    expect(batch[0]!.sourceHost).toBe('127.0.0.1');
    expect(replica.sql('SELECT @@read_only, @@server_id, @@gtid_strict_mode')).toContain('1\t2\t1');
    expect(parseReplicaStatus(primary.sql('SHOW REPLICA STATUS\\G'))).toEqual([]);
  });

  it('re-running the accounts SQL changes nothing (idempotent)', () => {
    const before = primary.sql('SELECT user, host FROM mysql.user ORDER BY user, host');
    primary.sql(local(renderAccountsSql(ctx)));
    expect(primary.sql('SELECT user, host FROM mysql.user ORDER BY user, host')).toBe(before);
  });

  it('least privilege: the app cannot create tables, nor write on the replica; the exporter can read replica status', async () => {
    const conn = await Connection.connect({ host: '127.0.0.1', port: primary.port, user: 'app', password: pw.app, database: 'reservations' });
    await expect(conn.query('CREATE TABLE t (x INT)')).rejects.toMatchObject({ errno: 1142 });
    conn.close();
    const ro = await Connection.connect({ host: '127.0.0.1', port: replica.port, user: 'app', password: pw.app, database: 'reservations' });
    const err = await ro.query("INSERT INTO reservations (reservation_no, name, phone, issue, served_by) VALUES ('X', 'n', '1', 'i', 's')").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MysqlError);
    expect((err as MysqlError).errno).toBe(1290);
    ro.close();
    const r = run('mariadb', ['--no-defaults', '--user=exporter', `--password=${pw.monitoring}`, `--socket=${replica.socket}`, '-e', 'SHOW REPLICA STATUS\\G']);
    expect(r.status, r.stderr).toBe(0);
    expect(parseReplicaStatus(r.stdout)[0]!.sqlRunning).toBe('Yes');
    // What mysqld_exporter's collectors read works; the lab's data does not.
    const asExporter = (q: string) => run('mariadb', ['--no-defaults', '--user=exporter', `--password=${pw.monitoring}`, `--socket=${replica.socket}`, '--batch', '-e', q]);
    for (const q of ['SHOW GLOBAL STATUS', 'SHOW GLOBAL VARIABLES', 'SELECT COUNT(*) FROM information_schema.processlist', 'SELECT COUNT(*) FROM information_schema.innodb_metrics', 'SELECT COUNT(*) FROM performance_schema.setup_instruments']) {
      const ok = asExporter(q);
      expect(ok.status, `${q}: ${ok.stderr}`).toBe(0);
    }
    const denied = asExporter('SELECT COUNT(*) FROM reservations.reservations');
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/denied/i);
    const grants = asExporter('SHOW GRANTS').stdout;
    expect(grants).not.toMatch(/GRANT SELECT[^\n]* ON \*\.\*/);
    expect(grants).toMatch(/GRANT SELECT ON `performance_schema`\.\*/);
  });

  it('the client escapes hostile values: they round-trip through a real server unchanged', async () => {
    const conn = await Connection.connect({ host: '127.0.0.1', port: primary.port, user: 'app', password: pw.app, database: 'reservations' });
    const hostile = `'; DROP TABLE reservations; -- \\' " \\\\ \0 \n \x1a 한글 ?`;
    const { rows } = await conn.query('SELECT ? AS v, ? AS n, ? AS z', [hostile, 42, null]);
    expect(rows[0]).toEqual({ v: hostile, n: 42, z: null });
    expect((await conn.query('SELECT COUNT(*) AS c FROM reservations')).rows[0]!.c).toBeGreaterThanOrEqual(0);
    // With NO_BACKSLASH_ESCAPES the server flags it in OK packets and the client switches to quote doubling.
    await conn.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    expect(conn.noBackslashEscapes).toBe(true);
    expect((await conn.query('SELECT ? AS v', [hostile])).rows[0]).toEqual({ v: hostile });
    conn.close();
  });
});

describe('the sample app against the primary and the replica', () => {
  const maintenance = join(tmp, 'maintenance');
  const primaryFile = join(tmp, 'db-primary');
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${appPort}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, servedBy: res.headers.get('x-served-by'), json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    appPort = await freePort();
    app = spawn('node', [join(REPO, 'resources', 'guest', 'app', 'server.mjs')], {
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        PORT: String(appPort),
        APP_HOSTNAME: 'app-server-01',
        DB_PRIMARY_HOST: '127.0.0.1',
        DB_PRIMARY_PORT: String(primary.port),
        DB_REPLICA_HOST: '127.0.0.1',
        DB_REPLICA_PORT: String(replica.port),
        DB_USER: 'app',
        DB_PASSWORD: pw.app,
        DB_NAME: 'reservations',
        MAINTENANCE_FILE: maintenance,
        DB_PRIMARY_FILE: primaryFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitFor('the app to listen', async () => (await fetch(`http://127.0.0.1:${appPort}/health`).then((r) => r.status).catch(() => undefined)) ?? undefined);
  }, 30_000);

  it('health checks both databases and names the host', async () => {
    const h = await call('GET', '/health');
    expect(h.status).toBe(200);
    expect(h.servedBy).toBe('app-server-01');
    expect(h.json.servedBy).toBe('app-server-01');
    expect(h.json.db).toMatchObject({ primary: { ok: true, readOnly: false }, replica: { ok: true, readOnly: true } });
  });

  it('creates a reservation on the primary and reads it back from the replica', async () => {
    const c = await call('POST', '/api/reservations', { name: '김배관', phone: '010-1234-5678', address: '대전 유성구', issue: "싱크대 누수 '; DROP TABLE reservations; --" });
    expect(c.status).toBe(201);
    const no = c.json.reservationNo as string;
    expect(no).toMatch(/^R\d{6}-[A-Z2-9]{6}$/);
    const q = `/api/reservations/${no}?name=${encodeURIComponent('김배관')}&phone=01012345678`;
    const got = await waitFor('the look-up to be served by the replica', async () => {
      const r = await call('GET', q);
      return r.json.source === 'replica' ? r : undefined;
    });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ reservationNo: no, issue: "싱크대 누수 '; DROP TABLE reservations; --", address: '대전 유성구', createdBy: 'app-server-01' });
    expect((await call('GET', `/api/reservations/${no}?name=${encodeURIComponent('김배관')}&phone=0109999`)).status).toBe(404);
    expect((await call('GET', `/api/reservations/${no}`)).status).toBe(400);
    expect((await call('POST', '/api/reservations', { name: '', phone: 'x', issue: '' })).status).toBe(400);
  });

  it('maintenance refuses new reservations with a reason but still serves look-ups', async () => {
    const c = await call('POST', '/api/reservations', { name: 'Kim', phone: '01011112222', issue: 'boiler' });
    writeFileSync(maintenance, 'Planned DB failover drill\n');
    try {
      const refused = await call('POST', '/api/reservations', { name: 'Lee', phone: '01033334444', issue: 'pipe' });
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({ error: 'maintenance', reason: 'Planned DB failover drill', servedBy: 'app-server-01' });
      const look = await call('GET', `/api/reservations/${c.json.reservationNo as string}?name=Kim&phone=01011112222`);
      expect(look.status).toBe(200);
      expect((await call('GET', '/health')).json.maintenance).toBe(true);
    } finally {
      rmSync(maintenance, { force: true });
    }
    expect((await call('POST', '/api/reservations', { name: 'Lee', phone: '01033334444', issue: 'pipe' })).status).toBe(201);
  });

  it('answers 503 (not a crash) when writes hit a read-only server, and follows the primary override file', async () => {
    writeFileSync(primaryFile, `127.0.0.1:${replica.port}\n`);
    try {
      const r = await call('POST', '/api/reservations', { name: 'Park', phone: '01055556666', issue: 'drain' });
      expect(r.status).toBe(503);
      expect(r.json.error).toBe('primary-read-only');
    } finally {
      rmSync(primaryFile, { force: true });
    }
  });
});

describe('the rendered backup script', () => {
  const dirs = () => {
    const base = mkdtempSync(join(tmp, 'backup-'));
    // The scratch server runs as "mysql": it must be able to reach its datadir.
    chmodSync(tmp, 0o755);
    chmodSync(base, 0o755);
    return { base, out: join(base, 'out'), tf: join(base, 'textfile'), log: join(base, 'backup.log') };
  };
  const runBackup = (d: ReturnType<typeof dirs>, password: string) => {
    const script = join(d.base, 'halab-backup.sh');
    writeFileSync(script, renderBackupScript(ctx, 'db-slave'), { mode: 0o750 });
    const cnf = join(d.base, 'backup.cnf');
    writeFileSync(cnf, `[client]\nuser = backup\npassword = "${password}"\nsocket = ${replica.socket}\n`, { mode: 0o600 });
    run('mkdir', ['-p', d.tf]);
    return run('bash', [script], {
      env: { ...process.env, HALAB_BACKUP_DIR: d.out, HALAB_DEFAULTS_FILE: cnf, HALAB_LOG_FILE: d.log, HALAB_TEXTFILE_DIR: d.tf, HALAB_SCRATCH_BASE: d.base },
      timeoutMs: 120_000,
    });
  };

  it('dumps the replica, verifies it by a scratch restore with matching row counts, writes sha256 and the success gauge', () => {
    const d = dirs();
    const r = runBackup(d, pw.backup);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(d.out).filter((f) => !f.startsWith('.')).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^reservations_\d{8}T\d{6}Z\.sql\.gz$/);
    expect(run('sha256sum', ['-c', files[1]!], { cwd: d.out }).status).toBe(0);
    const log = readFileSync(d.log, 'utf8');
    expect(log).toMatch(/integrity check passed: 1 tables restored with matching row counts/);
    expect(readFileSync(join(d.tf, 'halab_backup.prom'), 'utf8')).toMatch(/^halab_backup_last_status 0$/m);
    expect(readdirSync(d.base).filter((f) => f.startsWith('halab-restorecheck'))).toEqual([]);
    const dump = run('sh', ['-c', `gunzip -c "${d.out}/${files[0]}"`]).stdout;
    expect(dump).toContain('INSERT INTO `reservations`');
  });

  it('fails with a non-zero exit, a log line and the failure gauge when the dump fails', () => {
    const d = dirs();
    const r = runBackup(d, 'wrong-password');
    expect(r.status).not.toBe(0);
    expect(readFileSync(d.log, 'utf8')).toMatch(/FAILED \(exit \d+\)/);
    expect(readFileSync(join(d.tf, 'halab_backup.prom'), 'utf8')).toMatch(/^halab_backup_last_status 1$/m);
    expect(readdirSync(d.out).filter((f) => f.endsWith('.gz') || f.endsWith('.partial'))).toEqual([]);
  });
});

describe('DB failover drill SQL (runs last: it swaps the roles)', () => {
  it('promotes the replica, then demotes the old primary into its replica', async () => {
    for (const s of promoteReplicaSql(ctx)) replica.sql(s);
    expect(parseReplicaStatus(replica.sql('SHOW REPLICA STATUS\\G'))).toEqual([]);
    expect(replica.sql('SELECT @@read_only')).toContain('0');
    for (const s of demoteToReplicaSql(ctx, 'db-master', 'db-slave')) primary.sql(local(s, replica.port));
    expect(primary.sql('SELECT @@read_only')).toContain('1');
    const conn = await Connection.connect({ host: '127.0.0.1', port: replica.port, user: 'app', password: pw.app, database: 'reservations' });
    await conn.query("INSERT INTO reservations (reservation_no, name, phone, issue, served_by) VALUES ('R-FAILBACK', 'n', '1', 'i', 'test')");
    conn.close();
    await waitFor('the old primary to receive the new write', () => (primary.sql("SELECT COUNT(*) FROM reservations.reservations WHERE reservation_no = 'R-FAILBACK'").includes('1') ? true : undefined));
    const s = status(primary);
    expect(s[0]).toMatchObject({ ioRunning: 'Yes', sqlRunning: 'Yes', sourcePort: replica.port });
    expect(s[0]!.raw.Using_Gtid).toBe('Current_Pos');
  });
});
