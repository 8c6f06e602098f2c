/**
 * PostgreSQL, Patroni and etcd: the blueprint rules (rules-postgres.ts),
 * the plan lines, and the renderers' decisions (pg_hba, roles, Patroni,
 * etcd, UFW, the app's environment, the backup script). The rendered
 * files are run by the real tools in tests/integration/postgres-lab.test.ts
 * (patroni --validate-config, etcd, psql inside the lab's guests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAppEnv, renderNodeFiles, renderPrometheusConfig, renderUfw, type RenderContext } from '../../src-main/configs/index';
import { etcdClientHosts, etcdInitialCluster, etcdMembers, renderEtcdEnv } from '../../src-main/configs/etcd';
import { patroniConfig, renderPatroniConfig } from '../../src-main/configs/patroni';
import { renderPgBackupFiles, renderPgBackupScript } from '../../src-main/configs/pg-backup';
import { isPgLab, pgNodes, renderPgFiles, renderPgHba, renderPgRolesSql, renderPgSchemaSql, renderPgSystemSql, usesPatroni } from '../../src-main/configs/postgres';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { render } from '../../src-main/shared/i18n';
import { fixedRandom, REPO } from '../golden/configs/support/render';
import { generateSecrets } from '../../src-main/configs/context';

const FIXTURE = readFileSync(join(REPO, 'tests/integration/fixtures/pg-patroni-lab.yaml'), 'utf8');
const SINGLE = readFileSync(join(REPO, 'lab-blueprints/single-entry.yaml'), 'utf8');

function ctxOf(text: string): RenderContext {
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(JSON.stringify(r.issues.filter((i) => i.severity === 'error')));
  return { lab: r.resolved, secrets: generateSecrets(fixedRandom()), engine: 'mariadb', nicMatch: 'name' };
}
const codes = (text: string) => validateBlueprintText(text).issues.filter((i) => i.severity === 'error').map((i) => i.code);
const edit = (from: string, to: string, text = FIXTURE) => {
  if (!text.includes(from)) throw new Error(`fixture lacks ${from}`);
  return text.replace(from, to);
};

describe('blueprint rules for PostgreSQL', () => {
  it('the fixture and the shipped single-entry lab validate', () => {
    expect(codes(FIXTURE)).toEqual([]);
    expect(codes(SINGLE)).toEqual([]);
  });
  it('replicas without Patroni are refused, a single PostgreSQL needs none', () => {
    const noPatroni = FIXTURE.replace(/ {4}patroni:\n( {6}.*\n)+/, '');
    expect(noPatroni).not.toContain('etcd:');
    expect(codes(noPatroni)).toContain('pg-needs-patroni');
    const r = validateBlueprintText(noPatroni).issues.find((i) => i.code === 'pg-needs-patroni')!;
    expect(r.line).toBeGreaterThan(0);
    expect(render('ko', r.msg!)).toMatch(/Patroni/);
    expect(codes(SINGLE)).not.toContain('pg-needs-patroni');
  });
  it('etcd needs 3 or another odd number of members, each a real node, none twice', () => {
    expect(codes(edit('etcd: [pg-1, pg-2, app-1]', 'etcd: [pg-1, pg-2]'))).toContain('pg-etcd-count');
    expect(codes(edit('etcd: [pg-1, pg-2, app-1]', 'etcd: [pg-1, pg-2, app-1, app-2]'))).toContain('pg-etcd-count');
    expect(codes(edit('etcd: [pg-1, pg-2, app-1]', 'etcd: [pg-1, pg-2, app-9]'))).toContain('unknown-node');
    expect(codes(edit('etcd: [pg-1, pg-2, app-1]', 'etcd: [pg-1, pg-1, app-1]'))).toContain('duplicate-member');
  });
  it('Patroni timeouts: loopWait + 2 × retryTimeout must fit in ttl', () => {
    const bad = validateBlueprintText(edit('retryTimeout: 4', 'retryTimeout: 5')).issues.find((i) => i.code === 'pg-patroni-timeouts');
    expect(bad?.message).toContain('12 s, more than ttl (10 s)');
    expect(bad?.fix).toContain('at least 12');
  });
  it('PostgreSQL role names: lowercase, not reserved, one per purpose', () => {
    const upper = edit('  database:\n    engine: postgresql\n', '  database:\n    engine: postgresql\n    accounts: {app: {user: App}, backup: {user: postgres}, monitoring: {user: repl}}\n');
    const c = codes(upper);
    expect(c.filter((x) => x === 'pg-account-name')).toHaveLength(2);
    expect(c).toContain('pg-account-twice');
  });
  it('MySQL-only options and drills are refused; pg-primary-down needs Patroni and a replica', () => {
    expect(codes(edit('    engine: postgresql\n', '    engine: postgresql\n    replication: semi-sync\n'))).toContain('pg-replication-mode');
    expect(codes(edit('drills: [pg-primary-down]', 'drills: [db-primary-down]'))).toContain('drill-not-applicable');
    expect(codes(edit('drills: [pg-primary-down]', 'drills: [pg-primary-down]', SINGLE.replace(/^drills:.*$/m, 'drills: [pg-primary-down]')))).toContain('drill-not-applicable');
    expect(codes(edit('    engine: postgresql\n', '    engine: mariadb\n'))).toContain('patroni-not-postgres');
  });
  it('plan lines say what runs, in English and Korean', () => {
    const plan = computePlan(ctxOf(FIXTURE).lab);
    expect(plan.services.join('\n')).toContain('Patroni on pg-1, pg-2 over etcd pg-1, pg-2, app-1: ttl 10 s, loop_wait 2 s, retry_timeout 4 s');
    expect(plan.serviceMsgs.map((m) => render('ko', m)).join('\n')).toContain('복제 슬롯을 쓰는 스트리밍 복제');
  });
});

describe('PostgreSQL renderers', () => {
  const ctx = ctxOf(FIXTURE);
  it('knows the lab: PostgreSQL under Patroni on pg-1 and pg-2', () => {
    expect(isPgLab(ctx) && usesPatroni(ctx)).toBe(true);
    expect(pgNodes(ctx)).toEqual(['pg-1', 'pg-2']);
  });
  it('pg_hba: scram-sha-256 for every network line, replication only from the other DB node, the app only into its database, the rest rejected', () => {
    const hba = renderPgHba(ctx, 'pg-1');
    for (const l of hba.filter((x) => x.startsWith('host '))) expect(l).toMatch(/ (scram-sha-256|reject)$/);
    expect(hba).toContain('host replication repl 192.168.61.32/32 scram-sha-256');
    expect(hba.some((l) => l.startsWith('host replication') && l.includes('192.168.61.11'))).toBe(false);
    expect(hba).toContain('host reservations app 192.168.61.11/32 scram-sha-256');
    expect(hba.at(-1)).toBe('host all all 0.0.0.0/0 reject');
    expect(hba.some((l) => /\b(md5|trust|password)\b/.test(l))).toBe(false);
  });
  it('one role per purpose: app owns the database, monitoring gets pg_monitor, backup pg_read_all_data, replication REPLICATION', () => {
    const sql = renderPgRolesSql(ctx);
    expect(sql).toContain(`ALTER ROLE "app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${ctx.secrets.db.app}';`);
    expect(sql).toContain('ALTER ROLE "repl" WITH LOGIN REPLICATION NOSUPERUSER');
    expect(sql).toContain('GRANT pg_monitor TO "exporter";');
    expect(sql).toContain('GRANT pg_read_all_data TO "backup";');
    expect(sql).toContain("SET password_encryption = 'scram-sha-256';");
    expect(sql).toMatch(/CREATE DATABASE %I OWNER %I/);
    expect(renderPgSchemaSql(ctx)).toMatch(/SET ROLE "app";\nCREATE TABLE IF NOT EXISTS reservations/);
  });
  it('Patroni: the lab as scope, etcd3 hosts, pg_rewind, slots, the blueprint timeouts, scram, its own data directory', () => {
    const text = renderPatroniConfig(ctx, 'pg-2');
    type Cfg = { scope: string; name: string; etcd3: { hosts: string[] }; restapi: { connect_address: string }; bootstrap: { dcs: Record<string, unknown> & { postgresql: { parameters: Record<string, string | number> } } }; postgresql: { use_pg_rewind: boolean; data_dir: string; connect_address: string; authentication: Record<string, unknown>; pg_hba: string[] } };
    const c = parse(text, { version: '1.1' }) as Cfg;
    expect(Object.keys(patroniConfig(ctx, 'pg-2'))).toContain('etcd3');
    expect(c.scope).toBe('pg-patroni-it');
    expect(c.name).toBe('pg-2');
    expect(c.etcd3.hosts).toEqual(['192.168.61.31:2379', '192.168.61.32:2379', '192.168.61.11:2379']);
    expect(c.bootstrap.dcs).toMatchObject({ ttl: 10, loop_wait: 2, retry_timeout: 4, maximum_lag_on_failover: 1048576, synchronous_mode: true, postgresql: { use_pg_rewind: true, use_slots: true } });
    expect(c.bootstrap.dcs.postgresql.parameters.password_encryption).toBe('scram-sha-256');
    // YAML 1.1 (PyYAML) would read a bare on as a boolean: quoted.
    expect(text).toContain('hot_standby: "on"');
    expect(c.postgresql.use_pg_rewind).toBe(true);
    expect(c.postgresql.data_dir).toBe('/var/lib/postgresql/15/halab');
    expect(c.postgresql.connect_address).toBe('192.168.61.32:5432');
    expect(c.restapi.connect_address).toBe('192.168.61.32:8008');
    expect(c.postgresql.authentication.replication).toEqual({ username: 'repl', password: ctx.secrets.db.replication });
    expect(c.postgresql.pg_hba).toEqual(renderPgHba(ctx, 'pg-2'));
    expect(text).not.toMatch(/[&*]a\d/);
  });
  it('etcd: three members with one initial cluster and their own peer and client URLs', () => {
    expect(etcdMembers(ctx)).toEqual(['pg-1', 'pg-2', 'app-1']);
    expect(etcdInitialCluster(ctx)).toBe('pg-1=http://192.168.61.31:2380,pg-2=http://192.168.61.32:2380,app-1=http://192.168.61.11:2380');
    const env = renderEtcdEnv(ctx, 'app-1');
    expect(env).toContain("ETCD_NAME='app-1'");
    expect(env).toContain("ETCD_LISTEN_CLIENT_URLS='http://192.168.61.11:2379,http://127.0.0.1:2379'");
    expect(env).toContain("ETCD_INITIAL_CLUSTER_STATE='new'");
    expect(etcdClientHosts(ctx, 'pg-1')).toHaveLength(3);
    expect(() => renderEtcdEnv(ctx, 'app-2')).toThrow(/not an etcd member/);
  });
  it('UFW: 5432/8008 on the DB nodes and 2379/2380 on the etcd members, each from the right nodes only', () => {
    const rules = (h: string) => renderUfw(ctx, h).commands.map((c) => c.join(' '));
    const pg1 = rules('pg-1');
    expect(pg1).toContain('ufw allow from 192.168.61.32 to any port 5432 proto tcp comment halab postgresql from pg-2');
    expect(pg1).toContain('ufw allow from 192.168.61.12 to any port 5432 proto tcp comment halab postgresql from app-2');
    expect(pg1).toContain('ufw allow from 192.168.61.32 to any port 8008 proto tcp comment halab patroni api from pg-2');
    expect(pg1.some((r) => r.includes('port 8008') && r.includes('192.168.61.1'))).toBe(false);
    expect(pg1).toContain('ufw allow from 192.168.61.11 to any port 2380 proto tcp comment halab etcd peer app-1');
    expect(pg1.some((r) => r.includes('3306'))).toBe(false);
    const app2 = rules('app-2');
    expect(app2.some((r) => /port (2379|2380|5432|8008)/.test(r))).toBe(false);
    expect(rules('app-1')).toContain('ufw allow from 192.168.61.31 to any port 2379 proto tcp comment halab etcd client pg-1');
  });
  it('no MySQL files or units on a PostgreSQL lab; Prometheus scrapes postgres_exporter', () => {
    for (const n of ctx.lab.nodes) expect(renderNodeFiles(ctx, n.hostname).map((f) => f.path).join(' '), n.hostname).not.toMatch(/mysql|mariadb/);
    const prom = parse(renderPrometheusConfig(ctx)) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    expect(prom.scrape_configs.map((s) => s.job_name)).toContain('postgres');
    expect(prom.scrape_configs.map((s) => s.job_name)).not.toContain('mysqld');
    expect(renderPgFiles(ctx, 'pg-1').map((f) => f.path)).toEqual(['/etc/default/prometheus-postgres-exporter']);
  });
  it('the app gets every DB node and finds the leader itself', () => {
    const env = renderAppEnv(ctx, 'app-2');
    expect(env).toContain("DB_ENGINE='postgresql'");
    expect(env).toContain("DB_HOSTS='192.168.61.31:5432,192.168.61.32:5432'");
    expect(env).not.toContain('DB_PRIMARY_HOST');
  });
  it('backups: pg_dump of the schema with a row-count check, under the same units as MySQL', () => {
    const files = renderPgBackupFiles(ctx, 'pg-2').map((f) => f.path);
    expect(files).toEqual(['/usr/local/sbin/halab-backup.sh', '/etc/halab/backup.pgpass', '/etc/systemd/system/halab-backup.service', '/etc/systemd/system/halab-backup.timer']);
    const script = renderPgBackupScript(ctx, 'pg-2');
    expect(script).toContain('pg_dump --no-owner --no-privileges "$DB"');
    expect(script).toContain('integrity check');
    expect(renderNodeFiles(ctx, 'pg-2').map((f) => f.path)).toContain('/etc/halab/backup.pgpass');
  });
  it('a single PostgreSQL runs the package cluster with our drop-in and pg_hba, no Patroni', () => {
    const single = ctxOf(SINGLE);
    expect(usesPatroni(single)).toBe(false);
    const db = pgNodes(single)[0]!;
    const files = renderPgFiles(single, db);
    expect(files.find((f) => f.path === '/etc/halab/pg_hba.conf')).toMatchObject({ owner: 'root:postgres', mode: '0640' });
    const sql = renderPgSystemSql(single);
    expect(sql).toContain("ALTER SYSTEM SET hba_file = '/etc/halab/pg_hba.conf';");
    expect(sql).toContain("ALTER SYSTEM SET listen_addresses = '*';");
    expect(sql).toContain("ALTER SYSTEM SET password_encryption = 'scram-sha-256';");
  });
});
