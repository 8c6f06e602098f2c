/**
 * Live monitor data for the dashboard and the drills: the last
 * `monitor:state` (unchanged parts keep their identity, so only the cards
 * whose data changed re-render), monitor events per lab (de-duplicated,
 * bounded), replication lag history, and VIP overrides from events so the
 * VIP card changes the moment a move is reported instead of at the next
 * once-a-second state.
 */
import { create } from 'zustand';
import type { EventPayloads } from '../../../src-main/shared/ipc/contract';
import type { DashboardState, MonitorEvent, ProbeSample } from '../../../src-main/shared/monitor/types';
import { api, call } from '../api/client';
import { effectiveHolders, eventReplaces, holdersFromEvent, mergeEvents, mergeSamples, overrideAlive, shareUnchanged, type VipOverride } from '../lib/dashboard-model';

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
  /** VIP name → holders from an event newer than the last state. */
  vipOverride: Record<string, VipOverride>;
  /** keepalived state per `vip/node` from events newer than the last state. */
  memberOverride: Record<string, { state: string; at: number }>;
  onState(s: DashboardState): void;
  onEvent(e: EventPayloads['monitor:event']): void;
}

const LAG_MAX = 300;

export const useMonitor = create<MonitorStore>()((set, get) => ({
  events: {},
  probes: {},
  lag: [],
  vipOverride: {},
  memberOverride: {},

  onState(next) {
    const s = get();
    if (s.watching !== next.lab) return;
    const state = shareUnchanged(s.state, next);
    const patch: Partial<MonitorStore> = { state };
    const probes = mergeSamples(s.probes[next.lab] ?? [], next.probe.recent);
    if (probes !== s.probes[next.lab]) patch.probes = { ...s.probes, [next.lab]: probes };
    if (!s.state) patch.events = { ...s.events, [next.lab]: mergeEvents(s.events[next.lab] ?? [], next.events) };
    if (next.replicas.length) {
      const point: LagPoint = { at: next.at };
      for (const r of next.replicas) point[r.node] = r.secondsBehind;
      patch.lag = s.lag.length >= LAG_MAX ? [...s.lag.slice(1), point] : [...s.lag, point];
    }
    // Drop overrides the monitor has caught up with (or that are too old to trust).
    const vipOverride = Object.fromEntries(
      Object.entries(s.vipOverride).filter(([name, o]) => {
        const v = next.vips.find((x) => x.name === name);
        return v && overrideAlive(v, o, next.at);
      }),
    );
    if (Object.keys(vipOverride).length !== Object.keys(s.vipOverride).length) patch.vipOverride = vipOverride;
    const memberOverride = Object.fromEntries(
      Object.entries(s.memberOverride).filter(([key, o]) => {
        const [vip, node] = key.split('/');
        const m = next.vips.find((x) => x.name === vip)?.members.find((x) => x.node === node);
        return m && (m.stateAt ?? 0) < o.at;
      }),
    );
    if (Object.keys(memberOverride).length !== Object.keys(s.memberOverride).length) patch.memberOverride = memberOverride;
    set(patch);
  },

  onEvent(e) {
    const s = get();
    const { lab, ...ev } = e;
    const list = s.events[lab] ?? [];
    const events = mergeEvents(list, [ev]);
    if (events === list) return;
    const patch: Partial<MonitorStore> = { events: { ...s.events, [lab]: events } };
    if (lab === s.watching) {
      const h = holdersFromEvent(ev);
      if (h && eventReplaces(s.vipOverride[h.vip], h.holders, ev.at)) patch.vipOverride = { ...s.vipOverride, [h.vip]: { holders: h.holders, at: ev.at } };
      const vip = ev.data?.vip;
      if (ev.kind === 'keepalived-state' && typeof vip === 'string' && typeof ev.data?.state === 'string') {
        const key = `${vip}/${ev.subject}`;
        if (ev.at >= (s.memberOverride[key]?.at ?? 0)) patch.memberOverride = { ...s.memberOverride, [key]: { state: ev.data.state, at: ev.at } };
        const cur = s.vipOverride[vip];
        if (ev.data.state === 'MASTER') {
          const taken = masterTakesOver(s, vip, ev.subject, ev.at);
          if (taken) patch.vipOverride = { ...s.vipOverride, [vip]: taken };
        } else if (cur?.sticky && cur.holders.includes(ev.subject) && ev.at >= cur.at) {
          // The member that took over left MASTER again: back to what the poll says.
          const { [vip]: _gone, ...rest } = s.vipOverride;
          patch.vipOverride = rest;
        }
      }
    }
    set(patch);
  },
}));

/**
 * keepalived adds the VIP when it enters MASTER and removes it when it leaves,
 * and it says so the moment it happens (the notify log is streamed), while the
 * holders are polled. So a member reporting MASTER holds the VIP now when
 * nobody else can: no holder is left, or every holder has itself reported
 * leaving MASTER. Anything else (a second MASTER) waits for the poll, which
 * tells split brain from a move.
 */
function masterTakesOver(s: MonitorStore, vip: string, node: string, at: number): VipOverride | undefined {
  const v = s.state?.vips.find((x) => x.name === vip);
  if (!v) return undefined;
  const holders = effectiveHolders(v, s.vipOverride[vip], at);
  if (holders.includes(node)) return undefined;
  const stateOf = (n: string) => s.memberOverride[`${vip}/${n}`]?.state ?? v.members.find((m) => m.node === n)?.state;
  const gone = holders.every((h) => ['BACKUP', 'FAULT', 'STOP'].includes(stateOf(h) ?? ''));
  return gone ? { holders: [node], at, sticky: true } : undefined;
}

/** Start and stop calls, one after the other, so a quick leave-and-return never leaks a monitor. */
let queue: Promise<unknown> = Promise.resolve();

/** Start watching the lab of `text`; returns a function that stops it. */
export function watchLab(text: string, lab: string): () => void {
  let stopped = false;
  useMonitor.setState({ watching: lab, error: undefined, state: undefined, lag: [], vipOverride: {}, memberOverride: {} });
  queue = queue.then(async () => {
    if (stopped) return;
    try {
      await call('monitor:start', { text });
    } catch (e) {
      if (!stopped) useMonitor.setState({ error: { code: (e as { code?: string }).code ?? 'error', message: (e as Error).message } });
    }
  });
  return () => {
    stopped = true;
    if (useMonitor.getState().watching === lab) useMonitor.setState({ watching: undefined });
    queue = queue.then(() => call('monitor:stop', { lab }).catch(() => undefined));
  };
}

/** Listen to the monitor events of the backend; returns the unsubscribe function. */
export function subscribeMonitorEvents(): () => void {
  const offs = [api().on('monitor:state', (s) => useMonitor.getState().onState(s)), api().on('monitor:event', (e) => useMonitor.getState().onEvent(e))];
  return () => offs.forEach((off) => off());
}
