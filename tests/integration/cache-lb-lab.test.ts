/**
 * Issue 14 items 3 and 4 for real on the Linux lab provider (root, no
 * mocks), one shared lab (tests/fixtures/blueprints/cache-lb-haproxy.yaml):
 * an HAProxy pair with a VIP in front of an app server, Redis primary +
 * replica and three Sentinels. From nothing to verified; HAProxy's active
 * checks and its stats page limited to the admin source; Redis with
 * passwords; `lb-master-down` and `lb-nginx-stop` (which stops HAProxy here)
 * passing; `redis-master-down` passing with 0 acknowledged keys lost and the
 * old primary back as a replica; a second `up` changing nothing; `down`
 * leaving nothing. Never skipped: where it cannot run, it fails and says why.
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
