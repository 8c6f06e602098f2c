/**
 * The monitor's state crosses to its readers (the dashboard, `halab watch`)
 * as one snapshot, then deltas. `applyDelta` folds a delta into the state
 * the reader holds: new samples, lines and events are appended (the newest
 * `SNAPSHOT_LIMITS` kept), changed cards replaced; every part the delta
 * does not mention keeps its identity, so a view of it does not re-render.
 * Browser-safe and pure.
 */
import type { DashboardState, MonitorDelta } from './types';

/** How many probe samples, log lines and events a snapshot (and a reader's state) keeps. */
export const SNAPSHOT_LIMITS = { probes: 240, logs: 200, events: 200 } as const;

const append = <T>(list: T[], add: T[] | undefined, max: number): T[] => {
  if (!add?.length) return list;
  const out = list.concat(add);
  return out.length > max ? out.slice(out.length - max) : out;
};

/**
 * The state after `d`, or undefined when `d` does not follow `s` (another
 * lab, or a delta was missed: `d.seq` is not `s.seq + 1`), in which case the
 * reader needs a fresh snapshot.
 */
export function applyDelta(s: DashboardState, d: MonitorDelta): DashboardState | undefined {
  if (d.lab !== s.lab || d.seq !== s.seq + 1) return undefined;
  const out: DashboardState = { ...s, at: d.at, seq: d.seq };
  if (d.probes?.length || d.probe) out.probe = { ...(d.probe ?? s.probe), recent: append(s.probe.recent, d.probes, SNAPSHOT_LIMITS.probes) };
  if (d.logs?.length) out.logs = append(s.logs, d.logs, SNAPSHOT_LIMITS.logs);
  if (d.events?.length) out.events = append(s.events, d.events, SNAPSHOT_LIMITS.events);
  if (d.vips) out.vips = d.vips;
  if (d.replicas) out.replicas = d.replicas;
  if (d.nodes) out.nodes = d.nodes;
  if (d.alerts) out.alerts = d.alerts;
  if (d.cache) out.cache = d.cache;
  if (d.semiSync) out.semiSync = d.semiSync;
  if (d.errorLogCount !== undefined) out.errorLogCount = d.errorLogCount;
  return out;
}
