/**
 * A failover drill's report and the pure measurements behind it. The
 * runner fills it; the CLI, the UI and the Markdown/HTML renderers read it.
 * Browser-safe.
 */
import type { DrillName } from '../blueprint/schema';
import type { MonitorEvent } from '../monitor/types';
import { percentile } from '../monitor/percentile';
import { render, type Lang, type Message } from '../i18n';

/** One request of the drill's load, relative to the drill start. */
/** Semi-sync on a primary, as its status variables report it (MariaDB master or MySQL 8 source names). */
export interface SemiSyncState {
  /** The source side is switched on (rpl_semi_sync_master_enabled / _source_enabled). */
  enabled: boolean;
  /** Commits really wait for a replica now (Rpl_semi_sync_master_status ON); OFF after a timeout fell back to async. */
  active: boolean;
  /** Replicas connected with semi-sync on. */
  clients: number;
  /** AFTER_SYNC or AFTER_COMMIT; '' when unknown. */
  waitPoint: string;
  timeoutMs?: number;
  /** Commits acknowledged by a replica, and commits that were not (async), since the server started. */
  yesTx?: number;
  noTx?: number;
}

export interface DrillRequest {
  /** ms from drill start when it was sent. */
  t: number;
  kind: 'read' | 'write';
  /** HTTP status, 0 when there was no answer. */
  status: number;
  ms: number;
  servedBy?: string;
  /** Reservation number of an acknowledged write. */
  no?: string;
  /** Whether the status is what the drill expects at that moment. */
  ok: boolean;
}

/**
 * One check of a drill (steady state, expectation, restore). `nameMsg` and
 * `detailMsg` are the catalog messages every reader renders in its own
 * language; `name`/`detail` are the same in English, kept for JSON readers
 * and for reports written before the catalog. Make one with `check()`.
 */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  nameMsg?: Message;
  detailMsg?: Message;
}

/** A check from catalog messages (its English text filled in for JSON readers). */
export function check(name: Message, ok: boolean, detail: Message): Check {
  return { name: render('en', name), ok, detail: render('en', detail), nameMsg: name, detailMsg: detail };
}

/** A message's text in `lang`, or the recorded English text when the report predates the catalog. */
export function textOf(lang: Lang, m: Message | undefined, english: string): string {
  return m ? render(lang, m) : english;
}

/** Objectives as the blueprint states them (`objectives:`; seed 002: 99.9 %, RTO 30 min, RPO 1 h). */
export interface Objectives {
  /** Percent of the time the service answers, e.g. 99.9. */
  availability?: number;
  /** Recovery time objective: longest tolerated time until the service is back after a failure. */
  rtoSeconds?: number;
  /** Recovery point objective: most data (in seconds of writes) a failure may lose. */
  rpoSeconds?: number;
  /** Failures a year the student assumes, for the availability estimate of the lab report (optional). */
  failuresPerYear?: number;
}

/** One measured figure against its objective. */
export interface ObjectiveResult {
  /** The measured value in ms; undefined when the drill could not measure it. */
  measuredMs?: number;
  /** How it was measured (what "back" or "lost" means for this drill). */
  basis: Message;
  /** The objective in seconds, when the blueprint states one. */
  objectiveSeconds?: number;
  /** Met or missed; undefined without an objective or without a measurement. */
  met?: boolean;
}

/** RTO and RPO of one drill against the lab's objectives. */
export interface DrillObjectives {
  objectives: Objectives;
  rto: ObjectiveResult;
  rpo: ObjectiveResult & {
    /** Acknowledged writes lost (rows, transactions or keys, as `basis` says). */
    lost?: number;
    /** Acknowledged writes per second during the load (to turn `lost` into seconds). */
    writesPerSecond?: number;
  };
  /** The failure is planned (maintenance): not counted in the availability estimate. */
  planned?: boolean;
}

/** A drill's recovery time as it measures it: ms from the fault, and how. */
export interface RecoveryTime {
  ms?: number;
  basis: Message;
}

/** A drill's data loss: acknowledged writes lost and how they were counted. */
export interface DataLoss {
  lost?: number;
  basis: Message;
}

/** Met when measured and within the objective; undefined when either is missing. */
export function judgeObjective(measuredMs: number | undefined, objectiveSeconds: number | undefined): boolean | undefined {
  if (measuredMs === undefined || objectiveSeconds === undefined) return undefined;
  return measuredMs <= objectiveSeconds * 1000;
}

/**
 * Writes lost expressed as time: `lost` writes at the drill's write rate
 * (acknowledged writes per second of load). 0 lost is 0 s whatever the rate;
 * without a rate a loss cannot be converted (undefined).
 */
export function lossToMs(lost: number | undefined, writesPerSecond: number | undefined): number | undefined {
  if (lost === undefined) return undefined;
  if (lost === 0) return 0;
  if (!writesPerSecond || writesPerSecond <= 0) return undefined;
  return Math.round((lost / writesPerSecond) * 1000);
}

/** The drill's RTO and RPO against the objectives. */
export function judgeObjectives(objectives: Objectives, rto: RecoveryTime, loss: DataLoss, writesPerSecond: number | undefined, planned = false): DrillObjectives {
  const rpoMs = lossToMs(loss.lost, writesPerSecond);
  const out: DrillObjectives = {
    objectives,
    rto: { measuredMs: rto.ms, basis: rto.basis, objectiveSeconds: objectives.rtoSeconds, met: judgeObjective(rto.ms, objectives.rtoSeconds) },
    rpo: { measuredMs: rpoMs, basis: loss.basis, objectiveSeconds: objectives.rpoSeconds, met: judgeObjective(rpoMs, objectives.rpoSeconds), lost: loss.lost, writesPerSecond },
  };
  if (planned) out.planned = true;
  return out;
}

export interface DrillMeasurements {
  /** Fault → the first sign of it in the monitor. */
  detectionMs?: number;
  /** Fault → the VIP on another member. */
  vipMoveMs?: number;
  /** Restore → the VIP back on its original holder. */
  vipBackMs?: number;
  /** VRRP's master-down interval for the backup's priority and advert interval. */
  masterDownIntervalMs?: number;
  /** Fault → the first successful request after the disruption. */
  firstSuccessAfterFaultMs?: number;
  /** Longest run of failing requests, first failure sent → next success sent. */
  outageMs: number;
  requests: number;
  failed: number;
  failedPct: number;
  /**
   * Requests in flight while the fault was being injected: sent before the
   * injection ended and answered after it began (a service dies somewhere in
   * that window, not at the instant the command was issued).
   */
  inFlightAtFault: number;
  /** Failed requests sent after the fault. */
  failedAfterFault: number;
  latency: { p50: number; p95: number; p99: number; max: number };
  rowsAcknowledged: number;
  /** Acknowledged writes missing from the primary at the end; undefined without a database. */
  rowsLost?: number;
  /** db-primary-down: when the replica accepted writes, from the fault. */
  promotedMs?: number;
  /** pg-primary-down: Patroni's ttl + loop_wait in ms, the most a promotion should wait after a power cut. */
  patroniBudgetMs?: number;
  /** pg-primary-down: fault → the first write accepted through the app (the drill's own write through the VIP). */
  writesAcceptedMs?: number;
  /** pg-primary-down: restore → the old primary streaming again as a standby (after pg_rewind). */
  rejoinMs?: number;
  /** pg-primary-down: the old primary came back through pg_rewind (its Patroni log says so). */
  rewound?: boolean;
  /** db-primary-down: the primary's semi-sync state read just before the fault (labs with database.replication semi-sync). */
  semiSyncAtFault?: SemiSyncState;
  /** db-primary-down: the primary's GTID position just before the fault. */
  gtidPrimaryAtFault?: string;
  /** db-primary-down: the primary's GTID position when it came back (what it had really written). */
  gtidPrimaryFinal?: string;
  /** db-primary-down: what the promoted replica had received and applied when it was promoted. */
  gtidReplicaAtPromotion?: string;
  /**
   * db-primary-down: transactions the old primary had written that the
   * promoted replica never got, from the GTID sets (its final position when
   * known, else the one read before the fault).
   */
  transactionsLost?: number;
  /** redis-master-down: fault → the first Sentinel naming another primary. */
  cacheFailoverMs?: number;
  /** redis-master-down: the Sentinels' down-after-milliseconds. */
  cacheDownAfterMs?: number;
  /** redis-master-down: keys whose SET a replica confirmed (WAIT 1), and how many of them the new primary lacks. */
  keysAcknowledged?: number;
  keysLost?: number;
  /** redis-master-down: keys whose SET answered OK (replicated or not), and how many of them are gone. */
  keysAccepted?: number;
  keysAcceptedLost?: number;
  /** db-primary-down: the promotion went ahead although rows would be lost (--force-promotion). */
  promotionForced?: boolean;
}

/**
 * A drill's report. Texts are catalog messages (`*Msg`, `noteMsgs`) that
 * every reader renders in its language (`textOf`); the plain strings beside
 * them are the same texts in English, for JSON readers and old reports.
 */
export interface DrillReport {
  id: string;
  lab: string;
  drill: DrillName;
  title: string;
  titleMsg?: Message;
  provider: string;
  hypothesis: string;
  hypothesisMsg?: Message;
  startedAt: string;
  /** ms from start: fault injected, fault ended (restore started), drill ended. */
  faultAt?: number;
  restoreAt?: number;
  endAt: number;
  steadyState: Check[];
  fault?: string;
  faultMsg?: Message;
  measurements?: DrillMeasurements;
  /** RTO and RPO against the blueprint's objectives (reports since issue 14). */
  objectives?: DrillObjectives;
  expectations: Check[];
  restore?: Check;
  verdict: 'passed' | 'failed' | 'refused' | 'error';
  verdictText: string;
  verdictMsg?: Message;
  notes: string[];
  noteMsgs?: Message[];
  events: (MonitorEvent & { t: number })[];
  requests: DrillRequest[];
}

/**
 * VRRP master-down interval: 3 × advert + skew. VRRPv2 (default): skew =
 * (256 − priority) / 256 s; VRRPv3: skew = (256 − priority) × advert / 256.
 */
export function masterDownIntervalMs(advertSeconds: number, backupPriority: number, version: 2 | 3 = 2): number {
  const skew = version === 3 ? ((256 - backupPriority) * advertSeconds) / 256 : (256 - backupPriority) / 256;
  return Math.round((3 * advertSeconds + skew) * 1000);
}

/** The project's one percentile (nearest rank): see `../monitor/percentile.ts`. */
export { percentile };

/** Request-level measurements around a fault injected from `faultAt` to `faultEnd` (ms from start). */
export function measureRequests(reqs: DrillRequest[], faultAt: number, faultEnd = faultAt): Pick<DrillMeasurements, 'firstSuccessAfterFaultMs' | 'outageMs' | 'requests' | 'failed' | 'failedPct' | 'inFlightAtFault' | 'failedAfterFault' | 'latency'> {
  const byTime = [...reqs].sort((a, b) => a.t - b.t);
  const failed = byTime.filter((r) => !r.ok).length;
  let outageMs = 0;
  let runStart: number | undefined;
  for (const r of byTime) {
    if (!r.ok) runStart ??= r.t;
    else if (runStart !== undefined) {
      outageMs = Math.max(outageMs, r.t - runStart);
      runStart = undefined;
    }
  }
  const last = byTime.at(-1);
  if (runStart !== undefined && last) outageMs = Math.max(outageMs, last.t + last.ms - runStart);
  const after = byTime.filter((r) => r.t >= faultAt);
  const firstFail = after.find((r) => !r.ok);
  const firstOk = firstFail ? after.find((r) => r.ok && r.t > firstFail.t) : after.find((r) => r.ok);
  const lat = byTime.filter((r) => r.ok && r.status > 0).map((r) => r.ms).sort((a, b) => a - b);
  return {
    firstSuccessAfterFaultMs: firstOk ? firstOk.t + firstOk.ms - faultAt : undefined,
    outageMs,
    requests: byTime.length,
    failed,
    failedPct: byTime.length ? Math.round((failed / byTime.length) * 10000) / 100 : 0,
    inFlightAtFault: byTime.filter((r) => r.t < faultEnd && r.t + r.ms > faultAt).length,
    failedAfterFault: after.filter((r) => !r.ok).length,
    latency: { p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), p99: percentile(lat, 0.99), max: lat.at(-1) ?? 0 },
  };
}

/** Requests per time bucket, for charts: ok/failed counts and p95 latency. */
export function bucketize(reqs: DrillRequest[], bucketMs = 500): { t: number; ok: number; failed: number; p95: number }[] {
  if (!reqs.length) return [];
  const end = Math.max(...reqs.map((r) => r.t));
  const out: { t: number; ok: number; failed: number; p95: number }[] = [];
  for (let t = 0; t <= end; t += bucketMs) {
    const inB = reqs.filter((r) => r.t >= t && r.t < t + bucketMs);
    out.push({ t, ok: inB.filter((r) => r.ok).length, failed: inB.filter((r) => !r.ok).length, p95: percentile(inB.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b), 0.95) });
  }
  return out;
}
