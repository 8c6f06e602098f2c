/**
 * Seed 000's on-premises platform for real on the Linux lab provider (root,
 * no mocks): the shipped `lab-blueprints/onprem-zones.yaml` (11 VMs: a zone
 * router, an HAProxy pair with VIP 192.168.1.10 in the DMZ, two app servers,
 * PostgreSQL + Patroni over a 3-member etcd and Redis + Sentinel in the data
 * zone, monitoring and backup in management; seed 002's objectives). One
 * shared lab:
 * - `halab up` from nothing to verified, the zone matrix probed from inside
 *   the guests by its `zones:verify` step (every allowed cell connects, one
 *   denied port per zone pair is rejected by the router) — asserted on what
 *   that step reported;
 * - `lb-master-down` through HAProxy, `pg-primary-down` and
 *   `redis-master-down` through `halab drill`, 0 acknowledged rows/keys lost,
 *   RTO and RPO judged against the blueprint's objectives;
 * - a second `up` in which no step changes anything;
 * - `down` leaving no machine, bridge, namespace, mount or process (the
 *   unreachable guard routes stay by design).
 * Prints how long each phase took. Never skipped: where it cannot run, it
 * fails and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { renderContext } from '../../src-main/lab/render-context';
import type { RenderContext } from '../../src-main/configs/context';
import { patroniCluster } from '../../src-main/provision/pg-steps';
import { pollRedisStatus } from '../../src-main/monitor/redis-status';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { zoneCells, zonesOf } from '../../src-main/shared/blueprint/zones';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import { tcpProbe } from '../helpers/net';

const fx = linuxLabFixture('lab-blueprints/onprem-zones.yaml');
const { file: FILE, resolved, lab, hv, halab } = fx;
const VIP = 'http://192.168.1.10/';
const started = Date.now();
const phases: string[] = [];
const phase = (name: string, since: number) => phases.push(`${name} ${((Date.now() - since) / 1000).toFixed(1)} s`);
let pool: GuestPool;
let ctx: RenderContext;
/** The `log` lines each step printed during the first `up`, by step id. */
const upLogs = new Map<string, string[]>();

interface JsonLine { type: string; step?: string; line?: string; changed?: string[]; failed?: unknown[]; unchanged?: string[] }
const jsonLines = (stdout: string): JsonLine[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonLine);

beforeAll(async () => {
  await fx.prepare();
  const t = Date.now();
  const r = await halab('up', FILE, '--provider', 'linux', '--json');
  phase('up from nothing', t);
  if (r.exitCode !== 0) throw new Error(`halab up failed (exit ${r.exitCode}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-6000)}`);
  for (const l of jsonLines(r.stdout)) if (l.type === 'log' && l.step) upLogs.set(l.step, [...(upLogs.get(l.step) ?? []), l.line ?? '']);
  pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
  ctx = await renderContext(hv, lab, resolved);
}, 720_000);
afterAll(async () => {
  await pool?.closeAll();
  await halab('down', FILE);
  await hv.cleanupLab(lab, { keepGuards: true });
  console.log(`onprem-zones: ${phases.join(', ')}; whole file ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 300_000);

describe('seed 000 on-premises platform (onprem-zones) on the Linux lab provider', { timeout: 300_000 }, () => {
  it('halab up probed the whole zone matrix from inside the guests: every allowed cell connected, a denied port per zone pair rejected', () => {
    const lines = upLogs.get('zones:verify') ?? [];
    const zones = zonesOf(resolved.lab).map((z) => z.name);
    const cells = zoneCells(resolved.lab).filter((c) => c.protocol === 'tcp');
    // Every zone has VMs here, so every allowed cell is probed and every ordered zone pair gets a denied sample.
    const pairs = zones.length * (zones.length - 1);
    // Seed 000's matrix is in it (DMZ → app 80/443, app → data 5432/6379/2049, management → all 22, management → app 6443), adapted cells beside.
    expect(cells.map((c) => `${c.from}>${c.to}:${c.port}`)).toEqual(expect.arrayContaining(['dmz>app:80', 'dmz>app:443', 'app>data:5432', 'app>data:6379', 'app>data:2049', 'management>dmz:22', 'management>app:22', 'management>data:22', 'management>app:6443']));
    expect(lines.join('\n')).toContain(`zone matrix: ${cells.length}/${cells.length} allowed connected, ${pairs}/${pairs} denied refused`);
    for (const c of cells) {
      expect(lines.some((l) => l.startsWith(`ok   ${c.from} → ${c.to} ${c.port}/tcp allowed: `) && l.includes(' connected')), `${c.from} → ${c.to} ${c.port}`).toBe(true);
    }
    const denied = lines.filter((l) => / denied: /.test(l));
    expect(denied).toHaveLength(pairs);
    // Rejected by the router at once (ICMP admin-prohibited), none left to time out.
    for (const l of denied) expect(l).toMatch(/^ok {3}.* rejected by the router \(admin prohibited\)$/);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(lines.join('\n')).toMatch(/hardening: \d+ sysctl settings in effect on 11 VMs/);
    // The seed's examples, by name: DMZ → app reaches the app port; the DMZ never reaches the database.
    expect(lines.find((l) => l.includes('dmz → app 3000/tcp allowed'))).toMatch(/lb1 → app1 \(192\.168\.10\.21\) connected$/);
    expect(lines.find((l) => l.includes('dmz → data ') && l.includes(' denied: '))).toMatch(/lb1 → \w+ \(192\.168\.20\.\d+\) rejected by the router/);
  });

  it('the router forwards from the host-set kernel settings; the VIP answers through HAProxy on lb1 across dmz → app → data', async () => {
    const fw = await pool.get('fw');
    const sysctl = (await fw.exec(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.ens33.rp_filter', 'net.ipv4.conf.all.send_redirects', 'net.ipv4.conf.ens33.send_redirects'])).stdout.trim().split('\n');
    expect(sysctl).toEqual(['1', '1', '0', '0']);
    const res = await fetch(`${VIP}api/reservations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '박지민', phone: '010-4444-5555', issue: 'server room door' }),
      signal: AbortSignal.timeout(8000),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-load-balancer')).toBe('lb1');
    const lb1 = await pool.get('lb1');
    expect((await lb1.exec(['systemctl', 'is-active', 'haproxy'])).stdout.trim()).toBe('active');
  });

  describe('drills (halab drill) on the same lab, each restoring it', () => {
    const drill = async (name: string): Promise<DrillReport> => {
      const t = Date.now();
      const r = await halab('drill', FILE, name, '--json');
      phase(name, t);
      expect(r.stdout, r.stderr.slice(-3000)).toMatch(/"verdict"/);
      return JSON.parse(r.stdout) as DrillReport;
    };
    const explain = (rep: DrillReport) => `${rep.verdictText}\n${JSON.stringify(rep.measurements)}\n${JSON.stringify(rep.objectives)}`;
    /** RTO measured and met against the blueprint's 30 min. */
    const rtoMet = (rep: DrillReport) => {
      expect(rep.objectives?.objectives, explain(rep)).toMatchObject({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 });
      expect(rep.objectives!.rto.measuredMs, explain(rep)).toBeGreaterThan(0);
      expect(rep.objectives!.rto.objectiveSeconds).toBe(1800);
      expect(rep.objectives!.rto.met, explain(rep)).toBe(true);
    };
    /** And nothing acknowledged lost: RPO 0 s, met against the blueprint's 1 h. */
    const objectivesMet = (rep: DrillReport) => {
      rtoMet(rep);
      expect(rep.objectives!.rpo.lost, explain(rep)).toBe(0);
      expect(rep.objectives!.rpo.measuredMs, explain(rep)).toBe(0);
      expect(rep.objectives!.rpo.objectiveSeconds).toBe(3600);
      expect(rep.objectives!.rpo.met, explain(rep)).toBe(true);
    };

    it('lb-master-down through HAProxy: the VIP moves to lb2 within the master-down interval and back', async () => {
      const rep = await drill('lb-master-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      const m = rep.measurements!;
      expect(m.vipMoveMs!).toBeGreaterThan(0);
      expect(m.vipMoveMs!).toBeLessThan(m.masterDownIntervalMs! + 2000);
      expect(m.vipBackMs).toBeDefined();
      expect(m.rowsAcknowledged!).toBeGreaterThan(0);
      // The generic drills count lost rows on PostgreSQL too (psql on Patroni's leader), never "no database".
      expect(m.rowsLost, explain(rep)).toBe(0);
      expect(rep.noteMsgs?.map((n) => n.code) ?? []).not.toContain('drill.note.noDatabase');
      objectivesMet(rep);
      // Back on lb1. The first request may meet a kept-alive socket that the VIP's moves reset: retry, bounded.
      let servedBy: string | null = null;
      for (let i = 0; i < 10 && !servedBy; i++) {
        servedBy = await fetch(VIP, { signal: AbortSignal.timeout(3000) }).then((r) => r.headers.get('x-load-balancer'), () => null);
        if (!servedBy) await new Promise((ok) => setTimeout(ok, 500));
      }
      expect(servedBy).toBe('lb1');
    });

    it('pg-primary-down: Patroni promotes db2 within ttl + loop_wait, writes come back, 0 rows lost, db1 leads again', async () => {
      const rep = await drill('pg-primary-down');
      const m = rep.measurements!;
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(m.promotedMs!).toBeGreaterThan(0);
      expect(m.promotedMs!).toBeLessThan(m.patroniBudgetMs! + 10_000);
      expect(m.writesAcceptedMs!).toBeGreaterThanOrEqual(m.promotedMs!);
      expect(m.rowsAcknowledged!).toBeGreaterThan(0);
      expect(m.rowsLost).toBe(0);
      expect(m.rejoinMs!).toBeGreaterThan(0);
      objectivesMet(rep);
      const members = await patroniCluster(await pool.get('db1'));
      expect(members?.find((x) => x.role === 'leader')?.name).toBe('db1');
      console.log(`pg-primary-down: promoted after ${m.promotedMs} ms (budget ${m.patroniBudgetMs} ms), writes after ${m.writesAcceptedMs} ms, ${m.rowsAcknowledged} rows acknowledged, ${m.rowsLost} lost; RTO ${rep.objectives!.rto.measuredMs} ms of 1800 s`);
    });

    it('redis-master-down: Sentinel promotes redis2 after down-after 5000 ms, 0 acknowledged keys lost, every Sentinel agrees', async () => {
      const rep = await drill('redis-master-down');
      const m = rep.measurements!;
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(m.cacheDownAfterMs).toBe(5000);
      expect(m.keysAcknowledged!).toBeGreaterThan(0);
      expect(m.keysLost).toBe(0);
      expect(m.cacheFailoverMs!).toBeGreaterThanOrEqual(m.cacheDownAfterMs!);
      expect(m.cacheFailoverMs!).toBeLessThan(m.cacheDownAfterMs! + 10_000);
      objectivesMet(rep);
      expect(await pollRedisStatus(ctx, (n) => pool.get(n))).toMatchObject({ primary: 'redis2', agreed: true });
      console.log(`redis-master-down: failover ${m.cacheFailoverMs} ms (down-after ${m.cacheDownAfterMs} ms), ${m.keysAcknowledged} keys acknowledged, ${m.keysLost} lost; RTO ${rep.objectives!.rto.measuredMs} ms of 1800 s`);
    });
  });

  it('a second halab up runs every step and none changes anything', async () => {
    const t = Date.now();
    const r = await halab('up', FILE, '--provider', 'linux', '--json');
    phase('second up', t);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const result = jsonLines(r.stdout).find((l) => l.type === 'result')!;
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.unchanged!.length).toBeGreaterThan(100);
  });

  it('halab down leaves no machine, bridge, namespace, mount or process; the guard routes stay', async () => {
    await pool.closeAll();
    const t = Date.now();
    const r = await halab('down', FILE);
    phase('down', t);
    expect(r.exitCode).toBe(0);
    const left = await hv.leftovers(lab);
    expect({ ...left, guards: [] }).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
    // The guard keeps the lab's subnets on this machine: with the bridges gone, the VIP fails at once.
    const probe = await tcpProbe('192.168.1.10', 80, 3000);
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(probe.result);
    expect(probe.ms).toBeLessThan(1000);
  });
});
