/**
 * Live monitor data for the dashboard and the drills. It only displays what
 * the backend's monitor decided: one `monitor:state` snapshot when watching
 * starts, then `monitor:delta`s folded in with `applyDelta` (a part the
 * delta does not mention keeps its identity, so its card does not
 * re-render). Who holds a VIP is the monitor's judgement, shown as sent:
 * no timers, no overrides, no deep comparison here.
 *
 * Also kept per lab: the monitor's events (from snapshots and deltas, for
 * the timeline and the event lists, also of a drill's lab not on the
 * dashboard), probe samples across visits, and replication lag history.
 */
import { create } from 'zustand';
import { applyDelta } from '../../../src-main/shared/monitor/delta';
import type { DashboardState, MonitorDelta, MonitorEvent, ProbeSample } from '../../../src-main/shared/monitor/types';
import { api, call } from '../api/client';
import { appendEvents, mergeSamples } from '../lib/dashboard-model';

export interface LagPoint {
  at: number;
  [replica: string]: number | null;
}

export interface MonitorStore {
  /** The lab being watched (monitor started by the dashboard). */
  watching?: string;
  /** Why watching failed: `not-up` when the lab is not provisioned here. */
  error?: { code: string; message: string };
  state?: DashboardState;
  /** Lab → events in time order. */
  events: Record<string, MonitorEvent[]>;
  /** Lab → probe samples through the VIP, kept across visits (the monitor restarts with an empty buffer). */
  probes: Record<string, ProbeSample[]>;
  /** Seconds behind per replica, newest last. */
  lag: LagPoint[];
  onSnapshot(s: DashboardState): void;
  onDelta(d: MonitorDelta): void;
}

const LAG_MAX = 300;

/** Asks the backend for a fresh snapshot of the watched lab (set by `watchLab`). */
let resync: (() => void) | undefined;

const lagPoint = (s: DashboardState): LagPoint => {
  const point: LagPoint = { at: s.at };
  for (const r of s.replicas) point[r.node] = r.secondsBehind;
  return point;
};

export const useMonitor = create<MonitorStore>()((set, get) => ({
  events: {},
  probes: {},
  lag: [],

  onSnapshot(next) {
    const s = get();
    if (s.watching !== next.lab) return;
    const patch: Partial<MonitorStore> = { state: next };
    const probes = mergeSamples(s.probes[next.lab] ?? [], next.probe.recent);
    if (probes !== s.probes[next.lab]) patch.probes = { ...s.probes, [next.lab]: probes };
    const events = appendEvents(s.events[next.lab] ?? [], next.events);
    if (events !== s.events[next.lab]) patch.events = { ...s.events, [next.lab]: events };
    if (next.replicas.length) patch.lag = [...s.lag, lagPoint(next)].slice(-LAG_MAX);
    set(patch);
  },

  onDelta(d) {
    const s = get();
    const patch: Partial<MonitorStore> = {};
    // Events are facts: kept for any lab (a drill's lab may not be on the dashboard).
    if (d.events?.length) patch.events = { ...s.events, [d.lab]: appendEvents(s.events[d.lab] ?? [], d.events) };
    if (s.watching === d.lab && s.state) {
      const next = applyDelta(s.state, d);
      if (!next) {
        // A delta was missed (or this one is from before the snapshot): ask for a fresh snapshot.
        if (d.seq > s.state.seq + 1) resync?.();
      } else {
        patch.state = next;
        if (d.probes?.length) patch.probes = { ...s.probes, [d.lab]: mergeSamples(s.probes[d.lab] ?? [], d.probes) };
        if (next.replicas.length) patch.lag = [...s.lag, lagPoint(next)].slice(-LAG_MAX);
      }
    }
    if (Object.keys(patch).length) set(patch);
  },
}));

/** Start and stop calls, one after the other, so a quick leave-and-return never leaks a monitor. */
let queue: Promise<unknown> = Promise.resolve();

/** Start watching the lab of `text`; returns a function that stops it. */
export function watchLab(text: string, lab: string): () => void {
  let stopped = false;
  useMonitor.setState({ watching: lab, error: undefined, state: undefined, lag: [] });
  const start = () => {
    queue = queue.then(async () => {
      if (stopped) return;
      try {
        await call('monitor:start', { text });
      } catch (e) {
        if (!stopped) useMonitor.setState({ error: { code: (e as { code?: string }).code ?? 'error', message: (e as Error).message } });
      }
    });
  };
  resync = start;
  start();
  return () => {
    stopped = true;
    if (resync === start) resync = undefined;
    if (useMonitor.getState().watching === lab) useMonitor.setState({ watching: undefined });
    queue = queue.then(() => call('monitor:stop', { lab }).catch(() => undefined));
  };
}

/** Listen to the monitor's snapshots and deltas from the backend; returns the unsubscribe function. */
export function subscribeMonitorEvents(): () => void {
  const offs = [api().on('monitor:state', (s) => useMonitor.getState().onSnapshot(s)), api().on('monitor:delta', (d) => useMonitor.getState().onDelta(d))];
  return () => offs.forEach((off) => off());
}
