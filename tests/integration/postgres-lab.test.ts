/**
 * PostgreSQL with automatic failover, for real on the Linux lab provider
 * (root, no mocks): the smallest lab that works (two PostgreSQL nodes under
 * Patroni, a 3-member etcd on them and an app node, two app servers behind
 * the VIP) from nothing to verified; the rendered configs checked by the
 * real tools inside the guests (patroni --validate-config, etcdctl, psql);
 * `pg-primary-down` passing with 0 rows lost and the old primary back
 * through pg_rewind; a second `up` that changes nothing; `down` leaving
 * nothing. One shared lab. Never skipped: on a machine that cannot run it,
 * it fails and says why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PATRONI_CONFIG_PATH } from '../../src-main/configs/patroni';
import { pollPgStatus } from '../../src-main/monitor/pg-status';
import { patroniCluster, psql, streamingStandbys } from '../../src-main/provision/pg-steps';
import { renderContext } from '../../src-main/lab/render-context';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import { tcpProbe } from '../helpers/net';

const fx = linuxLabFixture('tests/integration/fixtures/pg-patroni-lab.yaml');
const { file: FILE, resolved, lab, hv, halab } = fx;
const VIP = 'http://192.168.61.100';

/** What the DB nodes' Patroni and etcd said, printed when something failed (the lab is torn down after). */
async function journals(): Promise<void> {
  const { GuestPool } = await import('../../src-main/lab/guest-pool');
  const { ensureLabKey } = await import('../../src-main/guest/lab-keys');
  const pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
  try {
    for (const n of ['pg-1', 'pg-2', 'app-1']) {
      const g = await pool.get(n, { waitMs: 3000 }).catch(() => undefined);
      const out = g && (await g.exec(['sh', '-c', 'journalctl -u patroni -u etcd -u halab-app -n 40 --no-pager -o short-precise 2>&1 | tail -60'], { okCodes: [0, 1] }).catch(() => undefined));
      console.error(`--- ${n}\n${out?.stdout ?? '(unreachable)'}`);
    }
  } finally {
    await pool.closeAll();
  }
}
let failed = false;
beforeAll(async () => {
  try {
    await fx.up();
  } catch (e) {
    failed = true;
    throw e;
  }
}, 600_000);
afterEach((c) => {
  if (c.task.result?.state === 'fail') failed = true;
});
afterAll(async () => {
  if (failed) await journals().catch((e: Error) => console.error(`no journals: ${e.message}`));
  await fx.down();
}, 300_000);

describe('PostgreSQL + Patroni lab on the Linux lab provider', { timeout: 300_000 }, () => {
  it('Patroni names pg-1 leader and pg-2 streams from it through its replication slot', async () => {
    const g1 = await fx.pool().get('pg-1');
    // Patroni names the synchronous standby a loop after the standby streams.
    let members = await patroniCluster(g1);
    for (let i = 0; i < 15 && !members?.some((m) => m.role === 'sync_standby'); i++) {
      await new Promise((ok) => setTimeout(ok, 1000));
      members = await patroniCluster(g1);
    }
    // synchronous: true in the blueprint: the standby is Patroni's synchronous standby.
    expect(members?.map((m) => `${m.name}:${m.role}`).sort()).toEqual(['pg-1:leader', 'pg-2:sync_standby']);
    expect(await psql(g1, 'SELECT sync_state FROM pg_stat_replication;')).toBe('sync');
    const standbys = await streamingStandbys(g1);
    expect(standbys).toEqual([expect.objectContaining({ node: 'pg-2', state: 'streaming', slotActive: true })]);
    expect(await psql(g1, "SELECT slot_name || ':' || slot_type FROM pg_replication_slots;")).toBe('pg_2:physical');
    expect(await psql(g1, 'SHOW password_encryption;')).toBe('scram-sha-256');
    // Every role has a SCRAM verifier, none MD5; one role per purpose.
    expect(await psql(g1, "SELECT string_agg(rolname || ':' || left(rolpassword, 13), ',' ORDER BY rolname) FROM pg_authid WHERE rolname IN ('app', 'repl', 'exporter', 'backup');")).toBe('app:SCRAM-SHA-256,backup:SCRAM-SHA-256,exporter:SCRAM-SHA-256,repl:SCRAM-SHA-256');
    // The package's default cluster is gone; Patroni runs its own data directory.
    expect((await g1.exec(['pg_lsclusters', '-h'])).stdout.trim()).toBe('');
  });

  it('the rendered configs pass the real tools: patroni --validate-config, a healthy 3-member etcd', async () => {
    const g2 = await fx.pool().get('pg-2');
    // --validate-config checks the listen ports are free: validate a copy with other ports.
    const v = await g2.exec(['sh', '-c', `sed -e 's/0.0.0.0:8008/127.0.0.1:18008/; s/0.0.0.0:5432/127.0.0.1:15432/' ${PATRONI_CONFIG_PATH} > /tmp/p.yml && chown postgres /tmp/p.yml && runuser -u postgres -- patroni --validate-config /tmp/p.yml; echo rc=$?`], { okCodes: [0, 1] });
    expect(v.stdout.trim().split('\n').at(-1), v.stdout + v.stderr).toBe('rc=0');
    const e = await g2.exec(['env', 'ETCDCTL_API=3', 'etcdctl', '--endpoints=http://192.168.61.31:2379,http://192.168.61.32:2379,http://192.168.61.11:2379', 'member', 'list']);
    expect(e.stdout.trim().split('\n').map((l) => l.split(', ')[2]).sort()).toEqual(['app-1', 'pg-1', 'pg-2']);
  });

  it('a reservation through the VIP lands on the leader and streams to the standby; look-ups work', async () => {
    const res = await fetch(`${VIP}/api/reservations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '이영희', phone: '010-2222-3333', issue: '보일러 누수' }), signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(201);
    const { reservationNo } = (await res.json()) as { reservationNo: string };
    const g2 = await fx.pool().get('pg-2');
    let found = '';
    for (let i = 0; i < 20 && !found; i++) {
      found = await psql(g2, `SELECT name FROM reservations WHERE reservation_no = '${reservationNo.replace(/[^A-Za-z0-9-]/g, '')}';`, 'reservations');
      if (!found) await new Promise((ok) => setTimeout(ok, 100));
    }
    expect(found).toBe('이영희');
    const lookup = await fetch(`${VIP}/api/reservations/${reservationNo}?name=${encodeURIComponent('이영희')}&phone=010-2222-3333`);
    expect(lookup.status).toBe(200);
    expect(((await lookup.json()) as { issue: string }).issue).toBe('보일러 누수');
    const health = await fetch(`${VIP}/health`);
    expect(health.status).toBe(200);
  });

  it('the firewall: 5432 only from the apps and the other DB node, 8008 and etcd not from an app-only VM', async () => {
    const app2 = await fx.pool().get('app-2');
    const port = async (host: string, p: number) => (await app2.exec(['sh', '-c', `timeout 3 bash -c "</dev/tcp/${host}/${p}" && echo open || echo closed`])).stdout.trim();
    expect(await port('192.168.61.31', 5432)).toBe('open');
    expect(await port('192.168.61.31', 8008)).toBe('closed');
    expect(await port('192.168.61.31', 2379)).toBe('closed');
    expect((await tcpProbe('192.168.61.31', 5432, 2000)).result).not.toBe('open');
  });

  it('the monitor reads the leader and the standby lag in bytes and time; Prometheus scrapes postgres_exporter', async () => {
    const ctx = await renderContext(hv, lab, resolved);
    const st = await pollPgStatus(ctx, (n) => fx.pool().get(n));
    expect(st.leader).toBe('pg-1');
    expect(st.standbys).toEqual([expect.objectContaining({ node: 'pg-2', source: 'pg-1', healthy: true, patroniLeader: 'pg-1' })]);
    expect(typeof st.standbys[0]!.lagBytes).toBe('number');
    const until = Date.now() + 60_000;
    let health: string[] = [];
    while (Date.now() < until) {
      const r = await fetch('http://192.168.61.11:9090/api/v1/targets', { signal: AbortSignal.timeout(5000) }).then((x) => x.json() as Promise<{ data: { activeTargets: { health: string; labels: { job: string } }[] } }>).catch(() => undefined);
      health = r?.data.activeTargets.filter((t) => t.labels.job === 'postgres').map((t) => t.health) ?? [];
      if (health.length === 2 && health.every((h) => h === 'up')) break;
      await new Promise((ok) => setTimeout(ok, 2000));
    }
    expect(health).toEqual(['up', 'up']);
  }, 90_000);

  it('the backup dumps the database and its integrity check passes', async () => {
    const g = await fx.pool().get('pg-2');
    await g.exec(['systemctl', 'start', 'halab-backup.service'], { timeoutMs: 120_000 });
    expect((await g.exec(['systemctl', 'show', '-p', 'Result', '--value', 'halab-backup.service'])).stdout.trim()).toBe('success');
    expect((await g.exec(['sh', '-c', 'ls /var/backups/halab'])).stdout).toMatch(/reservations_.*\.sql\.gz\.sha256/);
  });

  it('pg-primary-down: Patroni promotes pg-2 within ttl + loop_wait, writes come back, 0 rows lost, pg-1 rejoins through pg_rewind', async () => {
    const r = await halab('drill', FILE, 'pg-primary-down', '--json');
    expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
    const rep = JSON.parse(r.stdout) as DrillReport;
    const m = rep.measurements!;
    expect(rep.verdict, `${rep.verdictText}\n${JSON.stringify(m)}`).toBe('passed');
    expect(m.patroniBudgetMs).toBe(12_000);
    expect(m.promotedMs).toBeGreaterThan(0);
    expect(m.promotedMs!).toBeLessThan(m.patroniBudgetMs! + 10_000);
    expect(m.writesAcceptedMs!).toBeGreaterThanOrEqual(m.promotedMs!);
    expect(m.rowsAcknowledged).toBeGreaterThan(0);
    expect(m.rowsLost).toBe(0);
    expect(m.rejoinMs).toBeGreaterThan(0);
    // Back as the blueprint says: pg-1 leads again, pg-2 streams from it (named synchronous standby a Patroni loop later).
    const g1 = await fx.pool().get('pg-1');
    let members = await patroniCluster(g1);
    for (let i = 0; i < 15 && !members?.some((x) => x.role === 'sync_standby'); i++) {
      await new Promise((ok) => setTimeout(ok, 1000));
      members = await patroniCluster(g1);
    }
    expect(members?.map((x) => `${x.name}:${x.role}`).sort()).toEqual(['pg-1:leader', 'pg-2:sync_standby']);
  }, 300_000);

  it('a second halab up changes nothing', async () => {
    const r = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
  }, 300_000);

  it('halab down leaves no namespace, bridge, mount or process behind', async () => {
    await fx.pool().closeAll();
    const r = await halab('down', FILE);
    expect(r.exitCode).toBe(0);
    const left = await hv.leftovers(lab);
    expect({ ...left, guards: [] }).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
  }, 300_000);
});
