/**
 * The whole flow for real on the Linux lab provider (root, no mocks):
 * `halab up lab-blueprints/vmware-3tier-ha.yaml --provider linux` from
 * nothing, then the lab is checked the way a student would: through the VIP,
 * on the replica, against the firewall, the backup, Prometheus. Then every
 * failover drill runs through `halab drill` and its report must show the
 * expected outcome. A second `up` after the drills changes nothing (the
 * drills restored the lab exactly); `halab down` leaves nothing behind.
 * Never skipped: on a machine that cannot run it, it fails and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import { sql } from '../../src-main/lab/sql';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { tcpProbe } from '../helpers/net';
import { missingVrrpRules, vrrpRules } from '../../src-main/configs/ufw';
import { renderContext } from '../../src-main/lab/render-context';

const fx = linuxLabFixture('lab-blueprints/vmware-3tier-ha.yaml');
const { file: FILE, resolved, lab, hv, halab } = fx;

beforeAll(() => fx.up(), 1_200_000);
afterAll(() => fx.down(), 300_000);

describe('the seed lab, provisioned on the Linux lab provider', { timeout: 300_000 }, () => {
  it('answers through the VIP with HTTP 200 from both app servers in turn', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await fetch('http://192.168.10.100/', { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      seen.push(r.headers.get('x-served-by') ?? '?');
    }
    // Round robin per nginx worker: both answer, not necessarily strictly alternating.
    expect(new Set(seen)).toEqual(new Set(['app-server-01', 'app-server-02']));
  });

  it('a reservation created through the VIP is on the replica within a second', async () => {
    const res = await fetch('http://192.168.10.100/api/reservations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '김철수', phone: '010-1234-5678', issue: 'leaking pipe under the sink' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(201);
    const { reservationNo } = (await res.json()) as { reservationNo: string };
    const replica = await fx.pool().get('db-slave');
    const started = Date.now();
    let found = '';
    while (Date.now() - started < 1000 && !found) {
      found = await sql(replica, `SELECT name FROM reservations.reservations WHERE reservation_no = '${reservationNo.replace(/[^A-Za-z0-9-]/g, '')}';\n`);
    }
    expect(found).toContain('김철수');
    const lookup = await fetch(`http://192.168.10.100/api/reservations/${reservationNo}?name=${encodeURIComponent('김철수')}&phone=010-1234-5678`);
    expect(lookup.status).toBe(200);
  });

  it('UFW is active on every VM, and the policy refuses what it forbids', async () => {
    const ctx = await renderContext(hv, lab, resolved);
    for (const n of resolved.nodes) {
      const g = await fx.pool().get(n.hostname);
      expect((await g.exec(['ufw', 'status'])).stdout, n.hostname).toMatch(/Status: active/);
      // The multicast VRRP rule of each load balancer is in the running filter; no unit failed anywhere.
      expect(missingVrrpRules(ctx, n.hostname, (await g.exec(['iptables-save', '-t', 'filter'])).stdout), n.hostname).toEqual([]);
      expect((await g.exec(['systemctl', '--failed', '--no-legend', '--plain'])).stdout.trim(), `failed units on ${n.hostname}`).toBe('');
    }
    expect(vrrpRules(ctx, 'lb-master').length).toBeGreaterThan(0);
    // The app port is open to the load balancers only, not to the host.
    expect((await tcpProbe('10.0.0.21', 3000, 2000)).result).not.toBe('open');
    const lb = await fx.pool().get('lb-master');
    expect((await lb.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', 'http://10.0.0.21:3000/health'])).stdout).toBe('200');
    // MySQL only from the apps and the other DB node.
    expect((await lb.exec(['sh', '-c', 'timeout 3 bash -c "</dev/tcp/10.0.0.31/3306" && echo open || echo closed'])).stdout.trim()).toBe('closed');
  });

  it('the backup runs and its integrity check passes', async () => {
    const g = await fx.pool().get('db-slave');
    await g.exec(['systemctl', 'start', 'halab-backup.service'], { timeoutMs: 300_000 });
    const st = await g.exec(['systemctl', 'show', '-p', 'Result', '--value', 'halab-backup.service']);
    expect(st.stdout.trim()).toBe('success');
    const files = (await g.exec(['sh', '-c', 'ls /var/backups/halab'])).stdout;
    expect(files).toMatch(/\.sql\.gz/);
    expect(files).toMatch(/\.sha256/);
  });

  it('Prometheus reports every target up', async () => {
    const until = Date.now() + 90_000;
    let down: string[] = ['(not asked yet)'];
    while (Date.now() < until && down.length) {
      const r = await fetch('http://192.168.10.12:9090/api/v1/targets', { signal: AbortSignal.timeout(5000) }).then((x) => x.json() as Promise<{ data: { activeTargets: { health: string; scrapeUrl: string }[] } }>).catch(() => undefined);
      down = r ? r.data.activeTargets.filter((t) => t.health !== 'up').map((t) => t.scrapeUrl) : ['(Prometheus did not answer)'];
      if (r && r.data.activeTargets.length < resolved.nodes.length) down.push('(too few targets)');
      if (down.length) await new Promise((ok) => setTimeout(ok, 3000));
    }
    expect(down).toEqual([]);
  }, 120_000);

  describe('failover drills (halab drill), each restoring the lab', () => {
    const drill = async (name: string): Promise<DrillReport> => {
      const r = await halab('drill', FILE, name, '--json');
      expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
      return JSON.parse(r.stdout) as DrillReport;
    };
    const explain = (rep: DrillReport) => `${rep.verdictText}\n${JSON.stringify(rep.measurements)}`;

    it('lb-master-down: the VIP moves to the backup within the master-down interval and back', async () => {
      const rep = await drill('lb-master-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      const m = rep.measurements!;
      expect(m.vipMoveMs).toBeGreaterThan(0);
      expect(m.vipMoveMs!).toBeLessThan(m.masterDownIntervalMs! + 2000);
      expect(m.vipBackMs).toBeDefined();
      expect(m.rowsLost).toBe(0);
    });

    it('lb-nginx-stop: the track script moves the VIP', async () => {
      const rep = await drill('lb-nginx-stop');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.vipMoveMs).toBeDefined();
    });

    it('lb-keepalived-stop: keepalived resigns and the backup takes over at once', async () => {
      const rep = await drill('lb-keepalived-stop');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.vipMoveMs!).toBeLessThan(rep.measurements!.masterDownIntervalMs!);
    });

    it('app-down: nginx routes around the stopped app server; nothing lost beyond in-flight requests', async () => {
      const rep = await drill('app-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.failedAfterFault).toBeLessThanOrEqual(rep.measurements!.inFlightAtFault);
      expect(rep.measurements!.vipMoveMs).toBeUndefined();
    });

    it('db-primary-down: the replica is promoted, writes are accepted, no acknowledged row is lost', async () => {
      const rep = await drill('db-primary-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.promotedMs).toBeGreaterThan(0);
      expect(rep.measurements!.rowsAcknowledged).toBeGreaterThan(0);
      expect(rep.measurements!.rowsLost).toBe(0);
    });

    it('split-brain: both load balancers hold the VIP and the monitor says so', async () => {
      const rep = await drill('split-brain');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.events.some((e) => e.kind === 'vip-split')).toBe(true);
    });

    it('maintenance: new reservations refused, look-ups still served', async () => {
      const rep = await drill('maintenance');
      expect(rep.verdict, explain(rep)).toBe('passed');
    });
  });

  it('a second halab up changes nothing', async () => {
    const r = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
  }, 300_000);

  it('halab status lists every VM running with its address', async () => {
    const r = await halab('status', FILE, '--json');
    const st = JSON.parse(r.stdout);
    expect(st.vms.map((v: { name: string; state: string }) => `${v.name}:${v.state}`)).toEqual(resolved.nodes.map((n) => `${n.hostname}:running`));
    expect(st.vms.find((v: { name: string }) => v.name === 'lb-master').addresses).toContain('192.168.10.11');
  });

  it('halab down leaves no namespace, bridge, mount or process behind', async () => {
    const r = await halab('down', FILE);
    expect(r.exitCode).toBe(0);
    const left = await hv.leftovers(lab);
    expect({ ...left, guards: [] }).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
    // With the bridge gone, the guard keeps lab traffic on this machine: it fails at once.
    const probe = await tcpProbe('192.168.10.100', 80, 3000);
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(probe.result);
    expect(probe.ms).toBeLessThan(1000);
  }, 300_000);
});
