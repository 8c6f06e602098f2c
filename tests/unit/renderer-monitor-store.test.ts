/**
 * The dashboard's monitor store only displays: a snapshot, then deltas.
 * The VIP card shows the holders the backend's monitor judged, the moment a
 * delta carries them; nothing is derived or overridden here.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DashboardState, MonitorDelta, MonitorEvent, VipState } from '../../src-main/shared/monitor/types';
import { useMonitor } from '../../src-renderer/src/stores/monitor-store';

const LAB = 'lb-pair-minimal';
const vip = (holders: string[], lb2?: string): VipState => ({ name: 'web', address: '192.168.20.100', holders, known: true, members: [{ node: 'lb1', priority: 150 }, { node: 'lb2', priority: 100, state: lb2 }] });
const snapshot = (seq: number, patch: Partial<DashboardState> = {}): DashboardState => ({
  lab: LAB,
  at: 1000,
  seq,
  vips: [vip(['lb1'])],
  probe: { recent: [{ at: 900, status: 200, ms: 3 }], ratePerS: 4, errorPct: 0, p50: 3, p95: 3 },
  replicas: [],
  nodes: [{ name: 'lb1', up: true }],
  alerts: [],
  logs: [],
  errorLogCount: 0,
  events: [{ at: 500, kind: 'vip-moved', subject: 'web 192.168.20.100', message: 'VIP 192.168.20.100 is now on lb1', data: { vip: 'web', from: [], to: 'lb1' } }],
  ...patch,
});
const moved = (at: number, to: string): MonitorEvent => ({ at, kind: 'vip-moved', subject: 'web 192.168.20.100', message: `VIP 192.168.20.100 is now on ${to}`, data: { vip: 'web', from: ['lb1'], to } });
const delta = (seq: number, patch: Partial<MonitorDelta> = {}): MonitorDelta => ({ lab: LAB, at: 1000 + seq * 100, seq, ...patch });
const shown = () => useMonitor.getState().state?.vips[0]?.holders;

describe('the monitor store', () => {
  beforeEach(() => {
    useMonitor.setState({ watching: LAB, state: undefined, events: {}, probes: {}, lag: [] });
    useMonitor.getState().onSnapshot(snapshot(7));
  });

  it('shows the snapshot, then a VIP move as soon as a delta carries it', () => {
    expect(shown()).toEqual(['lb1']);
    useMonitor.getState().onDelta(delta(8, { vips: [vip(['lb2'], 'MASTER')], events: [moved(1750, 'lb2')] }));
    expect(shown()).toEqual(['lb2']);
    expect(useMonitor.getState().state?.vips[0]?.members[1]?.state).toBe('MASTER');
    expect(useMonitor.getState().events[LAB]?.map((e) => e.data?.to)).toEqual(['lb1', 'lb2']);
  });

  it('keeps the identity of every part a delta does not carry', () => {
    const before = useMonitor.getState().state!;
    useMonitor.getState().onDelta(delta(8, { probes: [{ at: 1100, status: 200, ms: 4 }] }));
    const after = useMonitor.getState().state!;
    expect(after.vips).toBe(before.vips);
    expect(after.nodes).toBe(before.nodes);
    expect(after.events).toBe(before.events);
    expect(after.probe.recent.map((p) => p.at)).toEqual([900, 1100]);
    expect(useMonitor.getState().probes[LAB]?.map((p) => p.at)).toEqual([900, 1100]);
  });

  it('ignores a delta that does not follow on, and a fresh snapshot puts it right', () => {
    useMonitor.getState().onDelta(delta(9, { vips: [vip(['lb2'])] }));
    expect(shown()).toEqual(['lb1']);
    useMonitor.getState().onSnapshot(snapshot(9, { vips: [vip(['lb2'])] }));
    expect(shown()).toEqual(['lb2']);
    useMonitor.getState().onDelta(delta(10, { vips: [vip([])] }));
    expect(shown()).toEqual([]);
  });

  it('keeps the events of a lab it does not watch (a drill\'s lab), once each', () => {
    const e = { ...moved(2000, 'lb2') };
    useMonitor.getState().onDelta({ ...delta(1, { events: [e] }), lab: 'other' });
    expect(useMonitor.getState().events.other).toEqual([e]);
    expect(shown()).toEqual(['lb1']);
    // The snapshot's events are not added twice when the dashboard starts watching again.
    useMonitor.getState().onSnapshot(snapshot(7));
    expect(useMonitor.getState().events[LAB]).toHaveLength(1);
  });

  it('drops snapshots of a lab it does not watch', () => {
    useMonitor.getState().onSnapshot(snapshot(1, { lab: 'other' }));
    expect(useMonitor.getState().state?.lab).toBe(LAB);
  });
});
