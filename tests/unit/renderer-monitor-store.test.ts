import { beforeEach, describe, expect, it } from 'vitest';
import type { DashboardState, MonitorEvent } from '../../src-main/shared/monitor/types';
import { effectiveHolders } from '../../src-renderer/src/lib/dashboard-model';
import { useMonitor } from '../../src-renderer/src/stores/monitor-store';

const LAB = 'lb-pair-minimal';
const state = (at: number, holders: string[], since: number, lb1?: string): DashboardState => ({
  lab: LAB,
  at,
  vips: [{ name: 'web', address: '192.168.20.100', holders, since, members: [{ node: 'lb1', priority: 150, state: lb1 }, { node: 'lb2', priority: 100 }] }],
  probe: { recent: [], ratePerS: 0, errorPct: 0, p50: 0, p95: 0 },
  replicas: [],
  nodes: [],
  alerts: [],
  logs: [],
  errorLogCount: 0,
  events: [],
});
const ka = (at: number, node: string, st: string): MonitorEvent & { lab: string } => ({ lab: LAB, at, kind: 'keepalived-state', subject: node, message: `${node} is ${st}`, data: { vip: 'web', state: st } });
const lost = (at: number): MonitorEvent & { lab: string } => ({ lab: LAB, at, kind: 'vip-lost', subject: 'web 192.168.20.100', message: 'VIP held by no load balancer', data: { vip: 'web', from: ['lb1'] } });
const shown = (now: number) => {
  const s = useMonitor.getState();
  return effectiveHolders(s.state!.vips[0]!, s.vipOverride.web, now);
};

describe('the VIP card follows events before the next polled state', () => {
  beforeEach(() => {
    useMonitor.setState({ watching: LAB, state: undefined, events: {}, vipOverride: {}, memberOverride: {} });
    useMonitor.getState().onState(state(1000, ['lb1'], 500));
  });

  it('shows NO OWNER on vip-lost, then the backup the moment keepalived says MASTER', () => {
    useMonitor.getState().onEvent(lost(2000));
    expect(shown(2001)).toEqual([]);
    useMonitor.getState().onEvent(ka(3000, 'lb2', 'MASTER'));
    expect(shown(3001)).toEqual(['lb2']);
    // A poll that began before the move and reports after it does not undo it.
    useMonitor.getState().onEvent(lost(3200));
    useMonitor.getState().onState(state(3300, [], 3200));
    expect(shown(3301)).toEqual(['lb2']);
    // The poll that sees lb2 ends the override.
    useMonitor.getState().onState(state(4000, ['lb2'], 3900));
    expect(useMonitor.getState().vipOverride).toEqual({});
    expect(shown(4001)).toEqual(['lb2']);
  });

  it('waits for the poll when the old holder has not left MASTER (split brain or a move?)', () => {
    useMonitor.getState().onEvent(ka(2000, 'lb2', 'MASTER'));
    expect(shown(2001)).toEqual(['lb1']);
  });

  it('takes a resignation into account: old master BACKUP, new master MASTER', () => {
    useMonitor.getState().onEvent(ka(2000, 'lb1', 'BACKUP'));
    useMonitor.getState().onEvent(ka(2001, 'lb2', 'MASTER'));
    expect(shown(2002)).toEqual(['lb2']);
  });

  it('ignores events of a lab it does not watch for the card, but keeps them', () => {
    useMonitor.getState().onEvent({ ...lost(2000), lab: 'other' });
    expect(shown(2001)).toEqual(['lb1']);
    expect(useMonitor.getState().events.other).toHaveLength(1);
  });
});
