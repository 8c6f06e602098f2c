/**
 * The words of a drill report that every reader shares (the Markdown/HTML
 * renderers, the hand-in report and the app's Drills screen): durations,
 * the timeline's events, the RTO/RPO rows against the objectives, and the
 * lab's availability estimated from its drills. All as catalog messages,
 * rendered by the reader in its language. Browser-safe.
 */
import { msg, render, isMessageCode, type Lang, type Message } from '../i18n';
import type { MonitorEvent } from '../monitor/types';
import type { DrillObjectives, DrillReport, ObjectiveResult, Objectives } from './report';

/** A measured time: ms below 10 s, seconds below 2 min, then minutes. */
export function durationMsg(ms: number): Message {
  if (ms < 10_000) return msg('drill.unit.ms', { n: Math.round(ms) });
  if (ms < 120_000) return msg('drill.unit.s', { n: Math.round(ms / 100) / 10 });
  if (ms < 7_200_000) return msg('drill.unit.min', { n: Math.round(ms / 6000) / 10 });
  return msg('drill.unit.h', { n: Math.round(ms / 360_000) / 10 });
}

/** An objective in seconds, in the unit it was most likely stated in (1800 → 30 min, 3600 → 1 h). */
export function secondsMsg(s: number): Message {
  if (s >= 3600 && s % 3600 === 0) return msg('drill.unit.h', { n: s / 3600 });
  if (s >= 60 && s % 60 === 0) return msg('drill.unit.min', { n: s / 60 });
  return msg('drill.unit.s', { n: s });
}

const isMessage = (v: unknown): v is Message => typeof v === 'object' && v !== null && isMessageCode((v as { code?: unknown }).code);

/**
 * A timeline event as a message: the runner's own events carry theirs
 * (`data.msg`); the monitor's are rebuilt from their kind, subject and data.
 * An event this does not know stays as recorded (undefined here).
 */
export function eventMsg(e: MonitorEvent): Message | undefined {
  const data = e.data ?? {};
  if (isMessage(data.msg)) return data.msg;
  // VIP events name the group and its address ("web 192.168.20.100"); without them (an older monitor) the text stays as recorded.
  const address = e.subject.split(' ')[1];
  const nodes = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
  switch (e.kind) {
    case 'vip-moved':
      return address && typeof data.to === 'string' ? msg('drill.ev.vipMoved', { address, node: data.to, was: nodes(data.from) ? msg('drill.ev.was', { nodes: nodes(data.from) }) : '' }) : undefined;
    case 'vip-lost':
      return address ? msg('drill.ev.vipLost', { address }) : undefined;
    case 'vip-split':
      return address && nodes(data.holders) ? msg('drill.ev.vipSplit', { address, nodes: nodes(data.holders) }) : undefined;
    case 'keepalived-state': {
      const vip = /for VIP (\S+)$/.exec(e.message)?.[1];
      return vip ? msg('drill.ev.keepalived', { node: e.subject, state: String(data.state ?? '?'), address: vip }) : undefined;
    }
    case 'replica-started':
      return msg('drill.ev.replicaStarted', { node: e.subject });
    case 'replica-stopped': {
      const detail = /\((.*)\)$/.exec(e.message)?.[1];
      return msg('drill.ev.replicaStopped', { node: e.subject, detail: detail ? msg('drill.promo.paren', { text: detail }) : '' });
    }
    case 'vm-down':
      return msg('drill.ev.vmDown', { node: e.subject });
    case 'vm-up':
      return msg('drill.ev.vmUp', { node: e.subject });
    case 'probe-failing': {
      const status = /HTTP (\d+)/.exec(e.message)?.[1];
      return msg('drill.ev.probeFailing', { status: status ?? msg('drill.ev.noAnswer') });
    }
    case 'probe-ok':
      return msg('drill.ev.probeOk');
    case 'alert-fired':
    case 'alert-resolved': {
      const rest = e.message.startsWith(`Alert ${e.subject}`) ? e.message.slice(`Alert ${e.subject}`.length).replace(/^ (fired|resolved)/, '') : '';
      return msg(e.kind === 'alert-fired' ? 'drill.ev.alertFired' : 'drill.ev.alertResolved', { name: e.subject, rest: rest.replace(/^ on /, ' @ ') });
    }
    default:
      return undefined;
  }
}

/** A timeline event's text in `lang`. */
export function eventText(lang: Lang, e: MonitorEvent): string {
  const m = eventMsg(e);
  return m ? render(lang, m) : e.message;
}

/** The objectives the blueprint states, as one line ("availability 99.9 %, RTO 30 min, RPO 1 h"), or the "none stated" line. */
export function objectivesStatedMsg(o: Objectives): Message {
  const parts: Message[] = [];
  if (o.availability !== undefined) parts.push(msg('drill.obj.availability', { pct: o.availability }));
  if (o.rtoSeconds !== undefined) parts.push(msg('drill.obj.rtoIs', { time: secondsMsg(o.rtoSeconds) }));
  if (o.rpoSeconds !== undefined) parts.push(msg('drill.obj.rpoIs', { time: secondsMsg(o.rpoSeconds) }));
  if (!parts.length) return msg('drill.obj.none');
  return msg('drill.obj.stated', { list: parts.slice(1).reduce<Message>((a, b) => msg('drill.obj.comma', { a, b }), parts[0]!) });
}

export function verdictOf(r: ObjectiveResult): Message {
  if (r.objectiveSeconds === undefined) return msg('drill.obj.noObjective');
  if (r.met === undefined) return msg('drill.obj.notJudged');
  return r.met ? msg('drill.obj.met') : msg('drill.obj.missed');
}

export interface ObjectiveRow {
  what: Message;
  measured: Message;
  objective: Message;
  verdict: Message;
  met?: boolean;
  /** How it was measured, and (RPO) what was lost at which write rate. */
  how: Message[];
}

/** The RTO and RPO rows of one drill report. */
export function objectiveRows(d: DrillObjectives): ObjectiveRow[] {
  const row = (what: Message, r: ObjectiveResult, extra: Message[] = []): ObjectiveRow => ({
    what,
    measured: r.measuredMs === undefined ? msg('drill.obj.notMeasured') : durationMsg(r.measuredMs),
    objective: r.objectiveSeconds === undefined ? msg('drill.obj.noObjective') : secondsMsg(r.objectiveSeconds),
    verdict: verdictOf(r),
    met: r.met,
    how: [msg('drill.obj.how', { basis: r.basis }), ...extra],
  });
  const lost = d.rpo.lost !== undefined && d.rpo.writesPerSecond !== undefined ? [msg('drill.obj.lost', { lost: d.rpo.lost, rate: d.rpo.writesPerSecond })] : [];
  return [row(msg('drill.obj.rto'), d.rto, d.planned ? [msg('drill.obj.planned')] : []), row(msg('drill.obj.rpo'), d.rpo, lost)];
}

/** One line per row: "RTO (…): measured 3.7 s, objective 30 min: met". */
export function objectiveLine(r: ObjectiveRow): Message {
  return msg('drill.obj.line', { what: r.what, measured: r.measured, objective: r.objective, verdict: r.verdict });
}

/** The lab's availability estimated from its drill reports (see `availabilityEstimate`). */
export interface AvailabilityEstimate {
  /** Drills with a measured, unplanned recovery. */
  counted: number;
  /** Longest measured RTO and its drill. */
  worstMs?: number;
  worstDrill?: string;
  /** Within the drill windows: failing time (longest outage per drill) and load time. */
  windowDownMs: number;
  windowTotalMs: number;
  windowPct?: number;
  /** With the student's failure rate: estimated yearly downtime and availability. */
  estimatedDownMs?: number;
  estimatedPct?: number;
  met?: boolean;
  /** With an availability objective: the yearly downtime budget and how many worst-case failures fit in it. */
  budgetMs?: number;
  failuresWithinBudget?: number;
  /** The sentences of the estimate, in order. */
  lines: Message[];
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
const pct = (v: number) => Math.floor(v * 1000) / 1000;

/**
 * Availability from the drills, honestly: (1) what was measured, the share
 * of the drill windows the service answered (not the lab's availability:
 * every window holds a failure); (2) downtime per failure = the worst
 * measured RTO; (3) with an availability objective, the yearly downtime it
 * allows and how many such failures fit; (4) only with a failure rate the
 * student states (`objectives.failuresPerYear`), a yearly availability
 * figure = 1 − rate × worst downtime / year. Planned drills are left out.
 */
export function availabilityEstimate(reports: readonly DrillReport[], objectives: Objectives = {}): AvailabilityEstimate {
  const counted = reports.filter((r) => r.objectives && !r.objectives.planned && r.objectives.rto.measuredMs !== undefined);
  let windowDownMs = 0;
  let windowTotalMs = 0;
  for (const r of reports) {
    if (r.objectives?.planned || !r.measurements || !r.requests.length) continue;
    const first = Math.min(...r.requests.map((q) => q.t));
    const last = Math.max(...r.requests.map((q) => q.t + q.ms));
    windowTotalMs += last - first;
    windowDownMs += r.measurements.outageMs;
  }
  const out: AvailabilityEstimate = { counted: counted.length, windowDownMs, windowTotalMs, lines: [] };
  if (windowTotalMs > 0) {
    out.windowPct = pct(100 * (1 - windowDownMs / windowTotalMs));
    out.lines.push(msg('drill.avail.window', { down: durationMsg(windowDownMs), total: durationMsg(windowTotalMs), pct: out.windowPct }));
  }
  if (!counted.length) {
    out.lines.push(msg('drill.avail.noDrills'));
    return out;
  }
  const worst = counted.reduce((a, b) => (b.objectives!.rto.measuredMs! > a.objectives!.rto.measuredMs! ? b : a));
  out.worstMs = worst.objectives!.rto.measuredMs!;
  out.worstDrill = worst.drill;
  out.lines.push(msg('drill.avail.worst', { worst: durationMsg(out.worstMs), drill: worst.drill }));
  if (objectives.availability !== undefined) {
    out.budgetMs = Math.round(YEAR_MS * (1 - objectives.availability / 100));
    out.failuresWithinBudget = out.worstMs > 0 ? Math.floor(out.budgetMs / out.worstMs) : undefined;
    out.lines.push(msg('drill.avail.budget', { objective: objectives.availability, budget: durationMsg(out.budgetMs), worst: durationMsg(out.worstMs), count: out.failuresWithinBudget ?? '∞' }));
  }
  if (objectives.failuresPerYear !== undefined) {
    out.estimatedDownMs = Math.round(objectives.failuresPerYear * out.worstMs);
    out.estimatedPct = pct(100 * (1 - out.estimatedDownMs / YEAR_MS));
    out.lines.push(msg('drill.avail.estimate', { failures: objectives.failuresPerYear, worst: durationMsg(out.worstMs), down: durationMsg(out.estimatedDownMs), pct: out.estimatedPct }));
    if (objectives.availability !== undefined) {
      out.met = out.estimatedPct >= objectives.availability;
      out.lines.push(msg('drill.avail.verdict', { objective: objectives.availability, verdict: out.met ? msg('drill.obj.met') : msg('drill.obj.missed') }));
    }
  } else out.lines.push(msg('drill.avail.noRate'));
  out.lines.push(msg('drill.avail.assumptions'));
  return out;
}
