import { describe, expect, it } from 'vitest';
import type { DashboardState, MonitorEvent, VipState } from '../../src-main/shared/monitor/types';
import { effectiveHolders, holdersFromEvent, mergeEvents, mergeSamples, OVERRIDE_MS, requestSeries, shareUnchanged, vipHealth, vipTimeline } from '../../src-renderer/src/lib/dashboard-model';

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

  it('lets a newer event speak for the VIP until the polled state catches up or it gets old', () => {
    const o = { holders: ['lb2'], at: 2000 };
    expect(effectiveHolders(vip, o, 2100)).toEqual(['lb2']);
    expect(effectiveHolders({ ...vip, holders: ['lb2'], since: 2300 }, o, 2400)).toEqual(['lb2']);
    expect(effectiveHolders({ ...vip, since: 2300 }, o, 2400)).toEqual(['lb1']);
    expect(effectiveHolders(vip, o, 2000 + OVERRIDE_MS + 1)).toEqual(['lb1']);
    expect(effectiveHolders(vip, undefined, 2100)).toEqual(['lb1']);
  });
});

describe('events', () => {
  it('drops the same event reported by a second monitor and keeps time order', () => {
    const a = [moved(1000, 'lb1'), ka(3000, 'lb2', 'MASTER')];
    const merged = mergeEvents(a, [ka(3000, 'lb2', 'MASTER'), moved(1400, 'lb1'), lost(2000)]);
    expect(merged.map((e) => e.kind)).toEqual(['vip-moved', 'vip-lost', 'keepalived-state']);
    expect(mergeEvents(merged, [ka(3000, 'lb2', 'MASTER')])).toBe(merged);
  });

  it('keeps only the newest events', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...ka(i * 2000, 'lb1', 'BACKUP'), message: `m${i}` }));
    expect(mergeEvents([], many, 5).map((e) => e.message)).toEqual(['m15', 'm16', 'm17', 'm18', 'm19']);
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

describe('structural sharing of the dashboard state', () => {
  const state = (patch: Partial<DashboardState> = {}): DashboardState => ({
    lab: 'lb-pair-minimal',
    at: 1,
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

  it('keeps the identity of unchanged parts so their cards do not re-render', () => {
    const a = state();
    const b = shareUnchanged(a, state({ at: 2, nodes: [{ name: 'lb1', up: true, cpuPct: 9 }] }));
    expect(b.vips).toBe(a.vips);
    expect(b.probe).toBe(a.probe);
    expect(b.nodes).not.toBe(a.nodes);
    expect(b.at).toBe(2);
  });

  it('does not share across labs', () => {
    const a = state();
    const b = state({ lab: 'other' });
    expect(shareUnchanged(a, b)).toBe(b);
  });
});
