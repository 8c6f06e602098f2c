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
  gtidMissing,
  parseReplicaStatus,
  parseSemiSync,
  promoteReplicaSql,
  renderAccountsSql,
  renderBackupScript,
  renderPrimarySemiSyncSql,
  renderReplicaSetupSql,
  renderSchemaSql,
  renderServerCnf,
  replicaHealthy,
  SEMI_SYNC_STATUS_SQL,
} from '../../src-main/configs/index';
import { promotionDecision } from '../../src-main/drills/promotion';
import { render } from '../../src-main/shared/i18n';
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

/**
 * The fast lab (database.replication: semi-sync, semiSyncTimeoutMs 1000) on
 * its own pair: the rendered option files alone switch semi-sync on with
 * AFTER_SYNC; a commit is acknowledged by the replica; with the replica's IO
 * thread stopped the primary falls back to async after the timeout, and the
 * promotion decision then refuses (unless forced) from the real status
 * values and GTID positions; promotion/demotion switch the sides over.
 */
describe('semi-sync from the fast lab’s rendered configs (own primary/replica pair)', () => {
  const fast = makeCtx(loadLab('vmware-3tier-ha-fast'), 'mariadb');
  let p: MariaInstance;
  let r: MariaInstance;
  const semi = (inst: MariaInstance) => parseSemiSync(inst.sql(SEMI_SYNC_STATUS_SQL))!;
  const write = (no: string) => p.sql(`INSERT INTO reservations.reservations (reservation_no, name, phone, issue, served_by) VALUES ('${no}', 'n', '1', 'i', 'test')`);

  beforeAll(async () => {
    [p, r] = await Promise.all([startMariaDb(renderServerCnf(fast, 'db-master')), startMariaDb(renderServerCnf(fast, 'db-slave'))]);
    p.sql(renderSchemaSql(fast) + local(renderAccountsSql(fast)) + renderPrimarySemiSyncSql(fast));
    r.sql(local(renderReplicaSetupSql(fast, 'db-slave'), p.port));
    await waitFor('the primary to count a semi-sync replica', () => (semi(p).clients === 1 && semi(p).active ? true : undefined), 20_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([p?.stop(), r?.stop()]);
  }, 60_000);

  it('is on from the option files alone, waiting AFTER_SYNC with the blueprint’s timeout; the replica acknowledges', () => {
    // The option file, not the runtime SQL, already set these at start.
    expect(p.sql('SELECT @@global.rpl_semi_sync_master_enabled, @@global.rpl_semi_sync_master_wait_point, @@global.rpl_semi_sync_master_timeout')).toContain('1\tAFTER_SYNC\t1000');
    expect(r.sql('SELECT @@global.rpl_semi_sync_slave_enabled, @@global.rpl_semi_sync_master_enabled')).toContain('1\t0');
    expect(semi(p)).toMatchObject({ enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000 });
    expect(semi(r).replicaActive).toBe(true);
  });

  it('a commit returns acknowledged by the replica (yes_tx counts it, no wait for the timeout)', async () => {
    const before = semi(p).yesTx!;
    const t = Date.now();
    write('R-SEMI-1');
    expect(Date.now() - t).toBeLessThan(900);
    expect(semi(p).yesTx).toBe(before + 1);
    await waitFor('the replica to apply it', () => (r.sql("SELECT COUNT(*) FROM reservations.reservations WHERE reservation_no = 'R-SEMI-1'").includes('1') ? true : undefined));
  });

  it('without the replica a commit waits the timeout, then the primary falls back to async; promotion is refused unless forced', () => {
    r.sql('STOP REPLICA IO_THREAD');
    const noBefore = semi(p).noTx!;
    const t = Date.now();
    write('R-ASYNC-1');
    const waited = Date.now() - t;
    expect(waited).toBeGreaterThanOrEqual(900);
    const atFault = semi(p);
    expect(atFault).toMatchObject({ enabled: true, active: false });
    expect(atFault.noTx).toBe(noBefore + 1);
    // The facts the drill reads, from the real servers.
    const primaryLast = p.sql('SELECT @@global.gtid_binlog_pos').trim().split('\n').at(-1)!;
    const st = parseReplicaStatus(r.sql('SHOW REPLICA STATUS\\G'))[0]!;
    const applied = r.sql('SELECT @@global.gtid_current_pos').trim().split('\n').at(-1)!;
    const facts = { status: st, applied, received: st.receivedGtids, primaryLast, semiSyncAtFault: atFault };
    expect(gtidMissing(`${st.receivedGtids},${applied}`, primaryLast)).toBe(1);
    const refused = promotionDecision(facts);
    expect(refused.ok).toBe(false);
    expect(refused.missingTransactions).toBe(1);
    expect(refused.reasons.map((m) => render('en', m)).join(' ')).toMatch(/semi-sync had fallen back to async.*--force-promotion/);
    expect(refused.reasons.map((m) => render('ko', m)).join(' ')).toMatch(/[\uac00-\ud7a3]/);
    const forced = promotionDecision(facts, { force: true });
    expect(forced).toMatchObject({ ok: true, forced: true, missingTransactions: 1 });
    // With semi-sync still on, the same gap is only unacknowledged transactions in flight: promoted, with a note.
    const onAtFault = promotionDecision({ ...facts, semiSyncAtFault: { ...atFault, active: true } });
    expect(onAtFault.ok).toBe(true);
    expect((onAtFault.notes ?? []).map((m) => render('en', m)).join(' ')).toMatch(/never acknowledged/);
  });

  it('semi-sync comes back once the replica has caught up', async () => {
    r.sql('START REPLICA IO_THREAD');
    await waitFor('semi-sync to be on again', () => (semi(p).active && semi(p).clients === 1 ? true : undefined), 20_000);
    const before = semi(p).yesTx!;
    write('R-SEMI-2');
    expect(semi(p).yesTx).toBe(before + 1);
  });

  it('promotion turns semi-sync off on the new primary (no replica left), demotion makes the old primary acknowledge, failback turns the source side on', async () => {
    for (const q of promoteReplicaSql(fast)) r.sql(q);
    expect(r.sql('SELECT @@global.rpl_semi_sync_master_enabled, @@global.rpl_semi_sync_slave_enabled, @@global.read_only')).toContain('0\t0\t0');
    for (const q of demoteToReplicaSql(fast, 'db-master', 'db-slave')) p.sql(local(q, r.port));
    expect(p.sql('SELECT @@global.rpl_semi_sync_master_enabled, @@global.rpl_semi_sync_slave_enabled, @@global.read_only')).toContain('0\t1\t1');
    // Failback's promotion of a node with a replica: the source side on.
    for (const q of promoteReplicaSql(fast, { semiSyncSource: true })) r.sql(q);
    await waitFor('the demoted primary to acknowledge as a semi-sync replica', () => (semi(r).clients === 1 && semi(r).active ? true : undefined), 20_000);
    expect(semi(r).waitPoint).toBe('AFTER_SYNC');
    expect(semi(p).replicaActive).toBe(true);
  });
});
