import { describe, expect, it } from 'vitest';
import { applyDelta } from '../../src-main/shared/monitor/delta';
import type { DashboardState, MonitorEvent, VipState } from '../../src-main/shared/monitor/types';
import { appendEvents, holdersFromEvent, mergeSamples, requestSeries, vipHealth, vipTimeline } from '../../src-renderer/src/lib/dashboard-model';

const vip: VipState = { name: 'web', address: '192.168.20.100', holders: ['lb1'], members: [{ node: 'lb1', priority: 150 }, { node: 'lb2', priority: 100 }], since: 1000 };
const moved = (at: number, to: string, from: string[] = []): MonitorEvent => ({ at, kind: 'vip-moved', subject: 'web 192.168.20.100', message: `VIP now on ${to}`, data: { vip: 'web', from, to } });
const lost = (at: number): MonitorEvent => ({ at, kind: 'vip-lost', subject: 'web 192.168.20.100', message: 'held by no load balancer', data: { vip: 'web', from: ['lb1'] } });
const ka = (at: number, node: string, state: string): MonitorEvent => ({ at, kind: 'keepalived-state', subject: node, message: `${node} is ${state}`, data: { vip: 'web', state } });

describe('VIP health', () => {
  it('names one owner, split brain, no owner, and not yet known', () => {
    expect(vipHealth(['lb1'], true)).toBe('ok');
    expect(vipHealth(['lb1', 'lb2'], true)).toBe('split');
    expect(vipHealth([], true)).toBe('none');
    expect(vipHealth([], false)).toBe('unknown');
  });

  it('reads the holders an event reports', () => {
    expect(holdersFromEvent(moved(5, 'lb2'))).toEqual({ vip: 'web', holders: ['lb2'] });
    expect(holdersFromEvent(lost(5))).toEqual({ vip: 'web', holders: [] });
    expect(holdersFromEvent({ at: 5, kind: 'vip-split', subject: 'web', message: '', data: { vip: 'web', holders: ['lb1', 'lb2'] } })).toEqual({ vip: 'web', holders: ['lb1', 'lb2'] });
    expect(holdersFromEvent(ka(5, 'lb2', 'MASTER'))).toBeUndefined();
  });
});

describe('events', () => {
  it('appends the monitor\'s events once: a snapshot repeating the newest ones adds nothing', () => {
    const a = [moved(1000, 'lb1'), ka(3000, 'lb2', 'MASTER')];
    const merged = appendEvents(a, [ka(3000, 'lb2', 'MASTER'), lost(3500)]);
    expect(merged.map((e) => e.kind)).toEqual(['vip-moved', 'keepalived-state', 'vip-lost']);
    expect(appendEvents(merged, [ka(3000, 'lb2', 'MASTER'), lost(3500)])).toBe(merged);
  });

  it('keeps two different events at nearly the same time (no time-window guessing)', () => {
    const a = [moved(1000, 'lb2', ['lb1'])];
    expect(appendEvents(a, [moved(1400, 'lb2', ['lb1'])])).toHaveLength(2);
  });

  it('keeps time order when an event comes with an older time (keepalived\'s own stamp)', () => {
    const merged = appendEvents([moved(1000, 'lb1'), lost(5000)], [ka(4000, 'lb1', 'BACKUP')]);
    expect(merged.map((e) => e.at)).toEqual([1000, 4000, 5000]);
  });

  it('keeps only the newest events', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...ka(i * 2000, 'lb1', 'BACKUP'), message: `m${i}` }));
    expect(appendEvents([], many, 5).map((e) => e.message)).toEqual(['m15', 'm16', 'm17', 'm18', 'm19']);
  });
});

describe('the VIP ownership timeline', () => {
  it('has a segment per owner, NO OWNER between, and keepalived lanes per member', () => {
    const events = [moved(1000, 'lb1'), lost(5000), moved(8000, 'lb2', []), ka(7900, 'lb2', 'MASTER'), moved(9000, 'lb2', [])];
    const tl = vipTimeline(vip, events, 0, 10_000);
    expect(tl.owner.map((s) => [s.from, s.to, s.kind, s.label])).toEqual([
      [0, 1000, 'unknown', ''],
      [1000, 5000, 'ok', 'lb1'],
      [5000, 8000, 'none', ''],
      [8000, 10_000, 'ok', 'lb2'],
    ]);
    expect(tl.members.find((m) => m.node === 'lb2')?.segments.map((s) => s.kind)).toEqual(['unknown', 'MASTER']);
    expect(tl.members.find((m) => m.node === 'lb1')?.segments.map((s) => s.kind)).toEqual(['unknown']);
  });

  it('starts with the polled holder when no event is in view', () => {
    expect(vipTimeline(vip, [], 0, 100).owner).toEqual([{ from: 0, to: 100, label: 'lb1', kind: 'ok' }]);
  });

  it('shows split brain with both holders', () => {
    const split: MonitorEvent = { at: 50, kind: 'vip-split', subject: 'web', message: '', data: { vip: 'web', holders: ['lb1', 'lb2'] } };
    expect(vipTimeline(vip, [split], 0, 100).owner.at(-1)).toEqual({ from: 50, to: 100, label: 'lb1 + lb2', kind: 'split' });
  });
});

describe('requests through the VIP', () => {
  it('counts answered and failed probes per second with latency percentiles', () => {
    const s = [
      { at: 10_000, status: 200, ms: 5 },
      { at: 10_250, status: 200, ms: 7 },
      { at: 10_500, status: 0, ms: 1000 },
      { at: 12_100, status: 200, ms: 3 },
    ];
    expect(requestSeries(s)).toEqual([
      { t: 10_000, ok: 2, errors: 1, p50: 5, p95: 7 },
      { t: 11_000, ok: 0, errors: 0, p50: undefined, p95: undefined },
      { t: 12_000, ok: 1, errors: 0, p50: 3, p95: 3 },
    ]);
  });

  it('keeps samples across monitor restarts without duplicates', () => {
    const a = [{ at: 1, status: 200, ms: 1 }, { at: 2, status: 200, ms: 1 }];
    const b = mergeSamples(a, [{ at: 2, status: 200, ms: 1 }, { at: 3, status: 200, ms: 1 }]);
    expect(b.map((x) => x.at)).toEqual([1, 2, 3]);
    expect(mergeSamples(b, [{ at: 3, status: 200, ms: 1 }])).toBe(b);
    expect(mergeSamples([], [{ at: 0, status: 200, ms: 1 }, { at: 10_000, status: 200, ms: 1 }], 5000).map((x) => x.at)).toEqual([10_000]);
  });
});

describe('deltas folded into the dashboard state', () => {
  const state = (patch: Partial<DashboardState> = {}): DashboardState => ({
    lab: 'lb-pair-minimal',
    at: 1,
    seq: 4,
    vips: [{ ...vip, members: vip.members.map((m) => ({ ...m })) }],
    probe: { recent: [], ratePerS: 0, errorPct: 0, p50: 0, p95: 0 },
    replicas: [],
    nodes: [{ name: 'lb1', up: true, cpuPct: 3 }],
    alerts: [],
    logs: [],
    errorLogCount: 0,
    events: [],
    ...patch,
  });

  it('replaces only the cards a delta carries; the others keep their identity', () => {
    const a = state();
    const b = applyDelta(a, { lab: a.lab, at: 2, seq: 5, nodes: [{ name: 'lb1', up: true, cpuPct: 9 }] })!;
    expect(b.vips).toBe(a.vips);
    expect(b.probe).toBe(a.probe);
    expect(b.events).toBe(a.events);
    expect(b.nodes).toEqual([{ name: 'lb1', up: true, cpuPct: 9 }]);
    expect([b.at, b.seq]).toEqual([2, 5]);
  });

  it('appends new probes, lines and events, keeping the newest of each', () => {
    const a = state({ probe: { recent: Array.from({ length: 240 }, (_, i) => ({ at: i, status: 200, ms: 1 })), ratePerS: 4, errorPct: 0, p50: 1, p95: 1 } });
    const b = applyDelta(a, { lab: a.lab, at: 2, seq: 5, probes: [{ at: 1000, status: 0, ms: 1000 }], events: [lost(900)], logs: [{ at: 950, node: 'lb1', source: 'nginx', line: 'x', error: true }] })!;
    expect(b.probe.recent).toHaveLength(240);
    expect(b.probe.recent.at(-1)?.at).toBe(1000);
    expect(b.probe.recent[0]?.at).toBe(1);
    expect(b.probe.ratePerS).toBe(4);
    expect(b.events.map((e) => e.kind)).toEqual(['vip-lost']);
    expect(b.logs).toHaveLength(1);
  });

  it('refuses a delta that does not follow on (missed, or of another lab)', () => {
    const a = state();
    expect(applyDelta(a, { lab: a.lab, at: 2, seq: 6 })).toBeUndefined();
    expect(applyDelta(a, { lab: a.lab, at: 2, seq: 4 })).toBeUndefined();
    expect(applyDelta(a, { lab: 'other', at: 2, seq: 5 })).toBeUndefined();
  });
});
