/**
 * Pure helpers behind the dashboard: VIP health (one owner, split brain, no
 * owner) of the holders the monitor judged, the ownership timeline from its
 * events, per-second request series from probe samples (the project's one
 * nearest-rank percentile), and appending events. Nothing here decides who
 * holds a VIP: the backend's monitor does (`holder-judge.ts`).
 */
import { percentile } from '../../../src-main/shared/monitor/percentile';
import type { MonitorEvent, ProbeSample, VipState } from '../../../src-main/shared/monitor/types';

export type VipHealth = 'ok' | 'split' | 'none' | 'unknown';

/** One owner is healthy; two is split brain; none after a first poll is an outage. */
export function vipHealth(holders: string[], polled: boolean): VipHealth {
  if (holders.length === 1) return 'ok';
  if (holders.length > 1) return 'split';
  return polled ? 'none' : 'unknown';
}

/** Holders a VIP event says the VIP has now, or undefined for other events. */
export function holdersFromEvent(e: MonitorEvent): { vip: string; holders: string[] } | undefined {
  const vip = e.data?.vip;
  if (typeof vip !== 'string') return undefined;
  if (e.kind === 'vip-moved' && typeof e.data?.to === 'string') return { vip, holders: [e.data.to] };
  if (e.kind === 'vip-split' && Array.isArray(e.data?.holders)) return { vip, holders: (e.data.holders as unknown[]).map(String) };
  if (e.kind === 'vip-lost') return { vip, holders: [] };
  return undefined;
}

const eventKey = (e: MonitorEvent) => `${e.at}|${e.kind}|${e.subject}|${e.message}`;

/**
 * Append events (the monitor sends each once; a snapshot repeats the newest
 * ones, which are dropped here by their exact time, kind, subject and
 * message), in time order, keeping the newest `max`.
 */
export function appendEvents(list: MonitorEvent[], add: MonitorEvent[], max = 500): MonitorEvent[] {
  if (!add.length) return list;
  const known = new Set(list.slice(-add.length - 200).map(eventKey));
  const fresh = add.filter((e) => !known.has(eventKey(e)));
  if (!fresh.length) return list;
  const last = list[list.length - 1]?.at ?? -Infinity;
  const out = fresh.every((e, i) => e.at >= (i ? fresh[i - 1]!.at : last)) ? list.concat(fresh) : [...list, ...fresh].sort((a, b) => a.at - b.at);
  return out.length > max ? out.slice(out.length - max) : out;
}

export interface Segment {
  from: number;
  to: number;
  /** The holders (VIP lane) or the keepalived state (member lanes). */
  label: string;
  kind: 'ok' | 'split' | 'none' | 'unknown' | 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'other';
}

/** Segments of a lane between `from` and `to`, given the changes in time order. */
function lane(changes: { at: number; label: string; kind: Segment['kind'] }[], from: number, to: number, initial?: { label: string; kind: Segment['kind'] }): Segment[] {
  const out: Segment[] = [];
  let cur = initial ? { at: from, ...initial } : undefined;
  for (const c of changes) {
    if (c.at > to) break;
    if (c.at <= from) {
      cur = { ...c, at: from };
      continue;
    }
    out.push(cur ? { from: cur.at, to: c.at, label: cur.label, kind: cur.kind } : { from, to: c.at, label: '', kind: 'unknown' });
    cur = c;
  }
  if (cur) out.push({ from: cur.at, to, label: cur.label, kind: cur.kind });
  else out.push({ from, to, label: '', kind: 'unknown' });
  // Changes that repeat the current label (a member re-reporting its state) extend the segment.
  const merged: Segment[] = [];
  for (const seg of out) {
    if (seg.to <= seg.from) continue;
    const prev = merged[merged.length - 1];
    if (prev && prev.label === seg.label && prev.kind === seg.kind) prev.to = seg.to;
    else merged.push({ ...seg });
  }
  return merged;
}

/** The VIP ownership lane and one keepalived lane per member over [from, to]. */
export function vipTimeline(vip: Pick<VipState, 'name' | 'holders' | 'members'>, events: MonitorEvent[], from: number, to: number): { owner: Segment[]; members: { node: string; segments: Segment[] }[] } {
  const ownerChanges = events.flatMap((e) => {
    const h = holdersFromEvent(e);
    if (!h || h.vip !== vip.name) return [];
    const health = vipHealth(h.holders, true);
    return [{ at: e.at, label: h.holders.join(' + '), kind: health as Segment['kind'] }];
  });
  const initial = ownerChanges.length === 0 && vip.holders.length ? { label: vip.holders.join(' + '), kind: vipHealth(vip.holders, true) as Segment['kind'] } : undefined;
  const members = vip.members.map((m) => {
    const changes = events
      .filter((e) => e.kind === 'keepalived-state' && e.subject === m.node && e.data?.vip === vip.name)
      .map((e) => {
        const st = String(e.data?.state ?? '');
        return { at: e.at, label: st, kind: (['MASTER', 'BACKUP', 'FAULT', 'STOP'].includes(st) ? st : 'other') as Segment['kind'] };
      });
    const init = changes.length === 0 && m.state ? { label: m.state, kind: (['MASTER', 'BACKUP', 'FAULT', 'STOP'].includes(m.state) ? m.state : 'other') as Segment['kind'] } : undefined;
    return { node: m.node, segments: lane(changes, from, to, init) };
  });
  return { owner: lane(ownerChanges, from, to, initial), members };
}

export interface RequestPoint {
  /** Start of the second (epoch ms). */
  t: number;
  ok: number;
  errors: number;
  p50?: number;
  p95?: number;
}

/** Probe samples per second: answered, failed, latency percentiles of the answered ones. */
export function requestSeries(samples: ProbeSample[], bucketMs = 1000): RequestPoint[] {
  if (!samples.length) return [];
  const first = Math.floor(samples[0]!.at / bucketMs) * bucketMs;
  const last = Math.floor(samples[samples.length - 1]!.at / bucketMs) * bucketMs;
  const out: RequestPoint[] = [];
  const byBucket = new Map<number, ProbeSample[]>();
  for (const s of samples) {
    const k = Math.floor(s.at / bucketMs) * bucketMs;
    const list = byBucket.get(k);
    if (list) list.push(s);
    else byBucket.set(k, [s]);
  }
  for (let t = first; t <= last; t += bucketMs) {
    const b = byBucket.get(t) ?? [];
    const lat = b.filter((s) => s.status === 200).map((s) => s.ms).sort((a, c) => a - c);
    out.push({ t, ok: lat.length, errors: b.length - lat.length, p50: lat.length ? percentile(lat, 0.5) : undefined, p95: lat.length ? percentile(lat, 0.95) : undefined });
  }
  return out;
}

/** Add probe samples not seen yet (by time), keep those newer than `keepMs` before the newest. */
export function mergeSamples(list: ProbeSample[], add: ProbeSample[], keepMs = 5 * 60_000): ProbeSample[] {
  const last = list[list.length - 1]?.at ?? 0;
  const fresh = add.filter((x) => x.at > last);
  if (!fresh.length) return list;
  const out = [...list, ...fresh];
  const cut = out[out.length - 1]!.at - keepMs;
  const i = out.findIndex((x) => x.at >= cut);
  return i > 0 ? out.slice(i) : out;
}

/** The app server that answered last, if any probe said. */
export function lastServedBy(samples: ProbeSample[]): string | undefined {
  for (let i = samples.length - 1; i >= 0; i--) if (samples[i]!.servedBy && samples[i]!.status === 200) return samples[i]!.servedBy;
  return undefined;
}
