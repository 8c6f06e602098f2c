/**
 * Issue 14 items 3 and 4 for real on the Linux lab provider (root, no
 * mocks), one shared lab (tests/fixtures/blueprints/cache-lb-haproxy.yaml):
 * an HAProxy pair with a VIP in front of an app server, Redis primary +
 * replica and three Sentinels. From nothing to verified; HAProxy's active
 * checks and its stats page limited to the admin source; Redis with
 * passwords; `lb-master-down` and `lb-nginx-stop` (which stops HAProxy here)
 * passing; `redis-master-down` passing with 0 acknowledged keys lost and the
 * old primary back as a replica; the sample app caching look-ups in Redis
 * (primary found through the Sentinels) and, after the failover, serving
 * them from the new primary through the VIP; redis_exporter answering on
 * each Redis node; a second `up` changing nothing; `down` leaving nothing. Never skipped: where it cannot run, it fails and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { tcpProbe } from '../helpers/net';
import { renderContext } from '../../src-main/lab/render-context';
import { redisCli } from '../../src-main/configs/redis';
import { sentinelView } from '../../src-main/provision/cache-steps';
import { pollRedisStatus } from '../../src-main/monitor/redis-status';
import type { RenderContext } from '../../src-main/configs/context';

const fx = linuxLabFixture('tests/fixtures/blueprints/cache-lb-haproxy.yaml');
const { file: FILE, resolved, lab, hv, halab } = fx;
let ctx: RenderContext;

beforeAll(async () => {
  await fx.up();
  ctx = await renderContext(hv, lab, resolved);
}, 900_000);
afterAll(() => fx.down(), 300_000);

const VIP = 'http://192.168.77.100/';

/** A request through the VIP: status, the app's X-Cache header and its JSON. */
async function viaVip(path: string, init?: RequestInit): Promise<{ status: number; cache: string | null; json: Record<string, unknown> }> {
  const r = await fetch(new URL(path, VIP), { ...init, signal: AbortSignal.timeout(5000) });
  return { status: r.status, cache: r.headers.get('x-cache'), json: (await r.json()) as Record<string, unknown> };
}
/** A reservation made before the drills, cached in Redis on cache1. */
let booked = { no: '', name: 'Kim Cache', phone: '010-7777-0001' };
const lookupBooked = () => viaVip(`/api/reservations/${booked.no}?name=${encodeURIComponent(booked.name)}&phone=${encodeURIComponent(booked.phone)}`);
async function until<T>(what: string, ok: () => Promise<T | false | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await ok();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}.`);
}
/** redis_exporter's metrics on `vm`, over loopback. */
async function exporterMetrics(vm: string): Promise<string> {
  const g = await fx.pool().get(vm);
  return (await g.exec(['curl', '-s', '--max-time', '3', 'http://127.0.0.1:9121/metrics'])).stdout;
}

describe('HAProxy pair and Redis with Sentinel on the Linux lab provider', { timeout: 300_000 }, () => {
  it('answers through the VIP from HAProxy on lb1, which names the app server it used', async () => {
    const r = await fetch(VIP, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-load-balancer')).toBe('lb1');
    expect(r.headers.get('x-upstream')).toBe('192.168.77.21:3000');
    expect(r.headers.get('x-served-by')).toBe('app1');
    const lb1 = await fx.pool().get('lb1');
    expect((await lb1.exec(['systemctl', 'is-active', 'haproxy'])).stdout.trim()).toBe('active');
    expect((await lb1.exec(['systemctl', 'is-active', 'nginx'], { okCodes: [0, 3] })).stdout.trim()).not.toBe('active');
  });

  it('the stats page answers the admin source (this host) and nobody else; HAProxy checks the app server actively', async () => {
    const stats = await fetch('http://192.168.77.11:8404/;csv', { signal: AbortSignal.timeout(5000) });
    expect(stats.status).toBe(200);
    const csv = await stats.text();
    // The backend's server line: its check status is L7OK (an HTTP check passed).
    expect(csv).toMatch(/halab_app,app1,.*L7OK/);
    const lb2 = await fx.pool().get('lb2');
    const from = await lb2.exec(['sh', '-c', 'curl -s -o /dev/null -w "%{http_code}" --max-time 3 http://192.168.77.11:8404/ || echo blocked'], { okCodes: [0, 1] });
    expect(from.stdout.trim()).toMatch(/blocked|000/);
  });

  it('Redis: a password is required, the replica is linked, every Sentinel names cache1', async () => {
    const cache2 = await fx.pool().get('cache2');
    const noAuth = await cache2.exec(['redis-cli', '-h', '192.168.77.31', 'PING'], { okCodes: [0, 1] });
    expect(`${noAuth.stdout}${noAuth.stderr}`).toMatch(/NOAUTH/);
    const info = await cache2.exec([...redisCli(ctx, '127.0.0.1'), 'INFO', 'replication']);
    expect(info.stdout).toMatch(/role:slave/);
    expect(info.stdout).toMatch(/master_link_status:up/);
    for (const s of ['cache1', 'cache2', 'app1']) {
      const v = await sentinelView(fx.pool(), ctx, s);
      expect(v, s).toMatchObject({ master: '192.168.77.31:6379', replicas: 1, otherSentinels: 2 });
    }
    // What the Dashboard's Redis card shows (the monitor's poll).
    const card = await pollRedisStatus(ctx, (n) => fx.pool().get(n));
    expect(card).toMatchObject({ masterName: 'halab', primary: 'cache1', agreed: true });
    expect(card.sentinels.map((x) => `${x.node}:${x.master}`)).toEqual(['cache1:cache1', 'cache2:cache1', 'app1:cache1']);
    // The load balancers cannot reach Redis (UFW: Redis peers, Sentinels and apps only).
    const lb1 = await fx.pool().get('lb1');
    expect((await lb1.exec(['sh', '-c', 'timeout 3 bash -c "</dev/tcp/192.168.77.31/6379" && echo open || echo closed'])).stdout.trim()).toBe('closed');
  });

  it('the app caches look-ups in Redis: the Sentinels name cache1, a second look-up through the VIP is a hit; redis_exporter reports Redis up', async () => {
    const h = await until('the app to use the cache', async () => { const r = await viaVip('/health'); return (r.json.cache as { inUse?: boolean }).inUse && r; }, 15_000);
    expect(h.json.cache).toMatchObject({ enabled: true, inUse: true, master: '192.168.77.31:6379', masterName: 'halab' });
    expect((h.json.cache as { sentinels: string[] }).sentinels).toEqual(['192.168.77.31:26379', '192.168.77.32:26379', '192.168.77.21:26379']);
    const made = await viaVip('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: booked.name, phone: booked.phone, issue: 'cached before the failover' }) });
    expect(made.status).toBe(201);
    booked = { ...booked, no: made.json.reservationNo as string };
    expect(await lookupBooked()).toMatchObject({ status: 200, cache: 'miss' });
    const hit = await until('a cache hit', async () => { const r = await lookupBooked(); return r.cache === 'hit' && r; }, 5000);
    expect(hit.json).toMatchObject({ source: 'cache', reservationNo: booked.no, issue: 'cached before the failover' });
    // redis_exporter (Prometheus's scrape target) on both Redis nodes, with the password; closed to the load balancers.
    expect(await exporterMetrics('cache1')).toMatch(/^redis_up 1$/m);
    expect(await exporterMetrics('cache2')).toMatch(/^redis_up 1$/m);
    const lb1 = await fx.pool().get('lb1');
    expect((await lb1.exec(['sh', '-c', 'timeout 3 bash -c "</dev/tcp/192.168.77.31/9121" && echo open || echo closed'])).stdout.trim()).toBe('closed');
  });

  describe('drills (halab drill), each restoring the lab', () => {
    const drill = async (name: string): Promise<DrillReport> => {
      const r = await halab('drill', FILE, name, '--json');
      expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
      return JSON.parse(r.stdout) as DrillReport;
    };
    const explain = (rep: DrillReport) => `${rep.verdictText}\n${JSON.stringify(rep.measurements)}\n${JSON.stringify(rep.expectations)}`;

    it('lb-master-down with HAProxy: the VIP moves within the master-down interval and back', async () => {
      const rep = await drill('lb-master-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.vipMoveMs!).toBeLessThan(rep.measurements!.masterDownIntervalMs! + 2000);
      expect(rep.measurements!.vipBackMs).toBeDefined();
    });

    it('lb-nginx-stop stops HAProxy (the engine) and keepalived moves the VIP', async () => {
      const rep = await drill('lb-nginx-stop');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.fault).toMatch(/haproxy/);
      expect(rep.hypothesis).toMatch(/^When HAProxy stops on the VIP owner lb1/);
    });

    it('redis-master-down: Sentinel promotes cache2, no acknowledged key lost, cache1 rejoins as a replica', async () => {
      const rep = await drill('redis-master-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      const m = rep.measurements!;
      expect(m.keysAcknowledged!).toBeGreaterThan(0);
      expect(m.keysLost).toBe(0);
      // Sentinel cannot judge the primary down before down-after has passed.
      expect(m.cacheFailoverMs!).toBeGreaterThanOrEqual(m.cacheDownAfterMs!);
      expect(m.cacheFailoverMs!).toBeLessThan(m.cacheDownAfterMs! + 10_000);
      for (const s of ['cache1', 'cache2', 'app1']) expect((await sentinelView(fx.pool(), ctx, s)).master, s).toBe('192.168.77.32:6379');
      expect(await pollRedisStatus(ctx, (n) => fx.pool().get(n))).toMatchObject({ primary: 'cache2', agreed: true });
      // The app followed the Sentinels: the reservation cached before the fault is served from cache2 through the VIP.
      const t0 = Date.now();
      const hit = await until('a cache hit through the new primary', async () => {
        const [r, h] = await Promise.all([lookupBooked(), viaVip('/health')]);
        expect(r.status).toBe(200);
        return r.cache === 'hit' && (h.json.cache as { master?: string }).master === '192.168.77.32:6379' && { r, h };
      }, 10_000);
      expect(hit.r.json).toMatchObject({ source: 'cache', reservationNo: booked.no, issue: 'cached before the failover' });
      expect(hit.h.json.cache).toMatchObject({ inUse: true, master: '192.168.77.32:6379' });
      expect(await exporterMetrics('cache2')).toMatch(/^redis_instance_info\{.*role="master".*\} 1$/m);
      console.log(`app cache after the failover: hit through cache2 ${Date.now() - t0} ms after the drill ended; the app switched primaries ${(hit.h.json.cache as { switches: number }).switches} time(s)`);
      console.log(`redis-master-down: failover ${m.cacheFailoverMs} ms (down-after ${m.cacheDownAfterMs} ms), ${m.keysAcknowledged} keys acknowledged, ${m.keysLost} lost; ${m.keysAccepted} accepted, ${m.keysAcceptedLost} of them lost`);
    });
  });

  it('a second halab up changes nothing (the new Redis primary stays where Sentinel put it)', async () => {
    const r = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
  }, 300_000);

  it('halab down leaves no namespace, bridge, mount or process behind', async () => {
    const r = await halab('down', FILE);
    expect(r.exitCode).toBe(0);
    const left = await hv.leftovers(lab);
    expect({ ...left, guards: [] }).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
    const probe = await tcpProbe('192.168.77.100', 80, 3000);
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(probe.result);
  }, 300_000);
});
