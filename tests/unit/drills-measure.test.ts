import { describe, expect, it } from 'vitest';
import { promotionDecision } from '../../src-main/drills/promotion';
import { gtidCovers } from '../../src-main/configs/mysql-status';
import { renderHtmlReport, renderMarkdownReport } from '../../src-main/drills/report-render';
import { derive, parseNodeStats } from '../../src-main/monitor/node-stats';
import { RingBuffer } from '../../src-main/monitor/ring-buffer';
import type { ReplicaStatus } from '../../src-main/configs/mysql-status';
import { bucketize, masterDownIntervalMs, measureRequests, type DrillReport, type DrillRequest } from '../../src-main/shared/drills/report';
import { render, type Message } from '../../src-main/shared/i18n';

/** A decision's message in English (what these tests read). */
const en = (m: Message | undefined) => (m ? render('en', m) : '');


const req = (t: number, ok: boolean, ms = 10, kind: 'read' | 'write' = 'read'): DrillRequest => ({ t, kind, status: ok ? 200 : 0, ms, ok });

describe('VRRP master-down interval', () => {
  it('is 3 × advert + (256 − priority)/256 s (VRRPv2 skew does not scale with advert_int)', () => {
    expect(masterDownIntervalMs(1, 100)).toBe(3609);
    expect(masterDownIntervalMs(2, 100)).toBe(6609);
    expect(masterDownIntervalMs(1, 254)).toBe(3008);
  });
});

describe('request measurements', () => {
  // 20 req/s; fault at 1000 ms; requests fail from 1000 to 3500 ms.
  const reqs = Array.from({ length: 100 }, (_, i) => req(i * 50, i * 50 < 1000 || i * 50 >= 3500, i * 50 === 950 ? 2000 : 10));

  it('counts failures, the outage and the first success after the fault', () => {
    const m = measureRequests(reqs, 1000);
    expect(m.requests).toBe(100);
    expect(m.failed).toBe(50);
    expect(m.failedPct).toBe(50);
    expect(m.outageMs).toBe(2500);
    expect(m.firstSuccessAfterFaultMs).toBe(2510);
    expect(m.failedAfterFault).toBe(50);
    expect(m.inFlightAtFault).toBe(1);
  });

  it('counts requests sent while the fault was being injected as in flight', () => {
    // The service died somewhere between 1000 and 1120 ms: the request sent at 1050 was in flight.
    expect(measureRequests(reqs, 1000, 1120).inFlightAtFault).toBe(4);
  });

  it('latency percentiles come from successful requests only', () => {
    const m = measureRequests(reqs, 1000);
    expect(m.latency.p50).toBe(10);
    expect(m.latency.max).toBe(2000);
  });

  it('no failure: first success is the first answer after the fault, no outage', () => {
    const m = measureRequests([req(0, true), req(100, true, 5), req(200, true)], 50);
    expect(m.outageMs).toBe(0);
    expect(m.firstSuccessAfterFaultMs).toBe(55);
  });

  it('buckets requests for charts', () => {
    const b = bucketize(reqs, 500);
    expect(b[0]).toMatchObject({ t: 0, ok: 10, failed: 0 });
    expect(b[3]).toMatchObject({ t: 1500, ok: 0, failed: 10 });
  });
});

describe('promotion decision', () => {
  const st = (over: Partial<ReplicaStatus>): ReplicaStatus => ({ ioRunning: 'Connecting', sqlRunning: 'Yes', secondsBehind: null, sourceHost: '10.0.0.31', sourcePort: 3306, lastIoError: 'error reconnecting', lastSqlError: '', sqlState: 'Slave has read all relay log; waiting for more updates', receivedGtids: '0-1-42', executedGtids: '', usingGtid: true, raw: {}, ...over });

  it('promotes a replica that applied everything it received, even with the primary gone', () => {
    expect(promotionDecision({ status: st({}), applied: '0-1-42', received: '0-1-42' })).toEqual({ ok: true, reasons: [] });
  });

  it('refuses, saying why, when received transactions are not applied', () => {
    const d = promotionDecision({ status: st({}), applied: '0-1-40', received: '0-1-42' });
    expect(d.ok).toBe(false);
    expect(en(d.reasons[0])).toMatch(/received 0-1-42 but applied only 0-1-40/);
  });

  it('refuses when the primary had written more than the replica ever received (stalled replication)', () => {
    const d = promotionDecision({ status: st({}), applied: '0-1-42', received: '0-1-42', primaryLast: '0-1-57' });
    expect(d.ok).toBe(false);
    expect(en(d.reasons[0])).toMatch(/primary had written 0-1-57 but this replica only ever received 0-1-42/);
    expect(promotionDecision({ status: st({}), applied: '0-1-58', received: '0-1-58', primaryLast: '0-1-57' }).ok).toBe(true);
  });

  it('refuses when the SQL thread is stopped, without GTIDs, or when it is no replica', () => {
    expect(en(promotionDecision({ status: st({ sqlRunning: 'No', lastSqlError: 'Duplicate entry' }), applied: '0-1-42', received: '0-1-42' }).reasons[0])).toMatch(/SQL thread is stopped \(Duplicate entry\)/);
    expect(en(promotionDecision({ status: st({ usingGtid: false }), applied: '0-1-42', received: '0-1-42' }).reasons[0])).toMatch(/GTID/);
    expect(en(promotionDecision({}).reasons[0])).toMatch(/not configured as a replica/);
  });

  it('compares GTID positions in both dialects', () => {
    expect(gtidCovers('0-1-42,1-2-7', '0-1-40')).toBe(true);
    expect(gtidCovers('0-1-42', '0-1-40,1-2-1')).toBe(false);
    expect(gtidCovers('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-77', '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-60')).toBe(true);
    expect(gtidCovers('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-50', '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-60')).toBe(false);
    expect(gtidCovers('', '')).toBe(true);
  });
});

describe('monitor helpers', () => {
  it('parses VM stats and derives CPU, memory and network rates', () => {
    const a = 'cpu  100 0 100 800 0 0 0 0 0 0\nMemTotal:        2000000 kB\nMemAvailable:    1500000 kB\n/dev/root 100 40 60 40% /\n0.50 0.40 0.30 1/100 123\n  lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n ens33: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n';
    const b = a.replace('cpu  100 0 100 800', 'cpu  150 0 150 900').replace('ens33: 1000', 'ens33: 3000').replace(' 2000 20', ' 6000 20');
    const s1 = parseNodeStats(a, 0)!;
    const s2 = parseNodeStats(b, 1000)!;
    expect(s1).toMatchObject({ memTotalKb: 2000000, memAvailKb: 1500000, diskPct: 40, load1: 0.5, rxBytes: 1000, txBytes: 2000 });
    expect(derive(s1, s2)).toEqual({ memPct: 25, diskPct: 40, load1: 0.5, cpuPct: 50, rxBps: 2000, txBps: 4000 });
    expect(parseNodeStats('garbage', 0)).toBeUndefined();
  });

  it('ring buffer keeps the newest items', () => {
    const r = new RingBuffer<number>(3);
    [1, 2, 3, 4, 5].forEach((n) => r.push(n));
    expect(r.all()).toEqual([3, 4, 5]);
    expect(r.since((n) => n >= 4)).toEqual([4, 5]);
  });
});

describe('report rendering', () => {
  const report: DrillReport = {
    id: 'x', lab: 'lab', drill: 'lb-master-down', title: 'Load balancer master loses power', provider: 'linux', hypothesis: 'the backup takes the VIP', startedAt: '2026-11-22T00:00:00Z',
    faultAt: 3000, restoreAt: 9000, endAt: 15000,
    steadyState: [{ name: 'every VM is running', ok: true, detail: '3 VMs running' }],
    fault: 'hard power-off of lb1',
    measurements: { ...measureRequests([req(0, true), req(3100, false), req(7000, true)], 3000), rowsAcknowledged: 3, rowsLost: 0, vipMoveMs: 3600, masterDownIntervalMs: 3609 },
    expectations: [{ name: 'VIP moved to the backup', ok: true, detail: 'after 3600 ms' }],
    verdict: 'passed', verdictText: 'The hypothesis held.', notes: ['a <b>note</b>'],
    events: [{ at: 1, t: 3600, kind: 'vip-moved', subject: 'web', message: 'VIP is now on lb2' }],
    requests: [req(0, true), req(3100, false), req(7000, true)],
  };

  it('Markdown has the verdict, measurements and timeline', () => {
    const md = renderMarkdownReport(report);
    expect(md).toContain('**PASSED**');
    expect(md).toContain('| VIP move time | 3600 ms |');
    expect(md).toContain('| VRRP master-down interval | 3609 ms |');
    expect(md).toContain('| 3600 ms | VIP is now on lb2 |');
  });

  it('HTML is self-contained (no scripts, no external resources) and escapes text', () => {
    const html = renderHtmlReport(report);
    expect(html).not.toMatch(/<script|src=|href="http/);
    expect(html).toContain('<svg');
    expect(html).toContain('a &lt;b&gt;note&lt;/b&gt;');
  });
});
