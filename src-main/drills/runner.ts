/**
 * Runs one failover drill the same way for every scenario: check the steady
 * state (refuse, saying why, on an unhealthy lab), start a bounded load
 * through the VIP, inject the fault, wait until the lab absorbs it, measure,
 * restore the lab, and give a verdict against the hypothesis. Every drill
 * leaves a report (JSON, Markdown, self-contained HTML) in the lab folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RenderContext } from '../configs/context';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { LabMonitor } from '../monitor/lab-monitor';
import type { GuestPool } from '../lab/guest-pool';
import { sql } from '../lab/sql';
import type { ResolvedLab } from '../shared/blueprint/model';
import type { DrillName } from '../shared/blueprint/schema';
import { check, judgeObjectives, masterDownIntervalMs, measureRequests, type Check, type DrillMeasurements, type DrillReport } from '../shared/drills/report';
import { LANGS, msg, render, type Lang, type Message } from '../shared/i18n';
import { topologyLabels } from '../report/catalog';
import { MessageError, messageOf } from '../shared/i18n/message-error';
import { pgLeader, psql } from '../provision/pg-steps';
import { DRILL_DEFS } from './catalog';
import { DrillError, firstSuccessRecovery, joinMsgs, rowsLostLoss, vipRoles, type DrillDef, type DrillEnv } from './drill-kit';
import { LoadGenerator } from './load';
import { renderHtmlReport, renderMarkdownReport } from './report-render';
import { toTopologySvg } from '../shared/blueprint/topology-svg';

export interface RunDrillOptions {
  hv: Hypervisor;
  lab: LabRef;
  resolved: ResolvedLab;
  drill: DrillName;
  /** The lab's render context, SSH pool and live monitor: the lab's shared ones (`LabService`), which the drill neither opens nor closes. */
  ctx: RenderContext;
  pool: GuestPool;
  monitor: LabMonitor;
  signal?: AbortSignal;
  /** A progress line: in English, and as the catalog message the CLI and the UI render in their language. */
  onProgress?: (line: string, lineMsg: Message) => void;
  /** Upper bound of the load, in seconds (default 120). */
  maxLoadSeconds?: number;
  /** db-primary-down: promote even when the replica lacks transactions the primary had (semi-sync fell back to async, or async replication). */
  forcePromotion?: boolean;
  /** The language of the report.md/report.html written beside report.json (default English; report.json keeps codes and arguments). */
  lang?: Lang;
}

export interface DrillOutcome {
  report: DrillReport;
  dir: string;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs && !signal?.aborted) {
    if (await cond().catch(() => false)) return Date.now();
    await sleep(100);
  }
  return undefined;
}

/** The steady-state checks, all read from the shared monitor (VIP holders as its judge says, recent probes, replication). */
export async function steadyState(o: Pick<RunDrillOptions, 'hv' | 'lab' | 'resolved'>, ctx: RenderContext, monitor: Pick<LabMonitor, 'pollVips' | 'holders' | 'probeUrl' | 'probesBetween' | 'state'>): Promise<Check[]> {
  const checks: Check[] = [];
  const vms = await o.hv.list(o.lab);
  const notRunning = o.resolved.nodes.filter((n) => vms.find((v) => v.name === n.hostname)?.state !== 'running').map((n) => n.hostname);
  checks.push(check(msg('drill.check.vmsRunning'), notRunning.length === 0, notRunning.length ? msg('drill.detail.notRunning', { nodes: notRunning.join(', ') }) : msg('drill.detail.vmsRunning', { count: vms.length })));
  if (ctx.lab.lab.services.vips.length) {
    await monitor.pollVips();
    const { master } = vipRoles(ctx);
    const vip = ctx.lab.lab.services.vips[0]!;
    const holders = monitor.holders(vip.name);
    checks.push(check(msg('drill.check.vipOnMaster'), holders.length === 1 && holders[0] === master.node, holders.length ? msg('drill.detail.vipHeldBy', { vip: vip.address, nodes: holders.join(', ') }) : msg('drill.detail.vipNobody', { vip: vip.address })));
    if (monitor.probeUrl) {
      const samples = monitor.probesBetween(Date.now() - 3000);
      const ok = samples.filter((s) => s.status === 200).length;
      checks.push(check(msg('drill.check.vipRequests'), samples.length > 0 && ok === samples.length, msg('drill.detail.probes', { ok, total: samples.length })));
    }
  }
  for (const r of ctx.lab.replicas) {
    const st = monitor.state().replicas.find((x) => x.node === r.node);
    checks.push(
      check(
        msg('drill.check.replicates', { node: r.node }),
        !!st?.healthy && st.inSync !== false,
        st
          ? msg('drill.detail.replica', { io: st.ioRunning, sql: st.sqlRunning, behind: st.secondsBehind ?? '?', gtid: st.inSync === false ? msg('drill.detail.replicaGtid', { gtid: st.primaryGtid ?? '?' }) : '', error: st.lastError ? msg('drill.detail.replicaError', { error: st.lastError }) : '' })
          : msg('drill.detail.noStatus'),
      ),
    );
  }
  return checks;
}

async function rowsLost(pool: GuestPool, ctx: RenderContext, acked: string[]): Promise<number | undefined> {
  const db = ctx.lab.lab.services.database;
  if (!db) return undefined;
  if (acked.length === 0) return 0;
  const found = new Set<string>();
  const pg = db.engine === 'postgresql';
  // PostgreSQL: asked on the node that takes writes now (Patroni's leader), with psql; MySQL/MariaDB: the primary.
  const node = pg ? await pgLeader(pool, ctx) : db.primary;
  if (!node) throw new MessageError(msg('drill.err.noLeader'));
  const g = await pool.get(node);
  for (let i = 0; i < acked.length; i += 200) {
    const list = acked.slice(i, i + 200).map((n) => `'${n.replace(/[^A-Za-z0-9-]/g, '')}'`).join(',');
    const lines = pg
      ? (await psql(g, `SELECT reservation_no FROM reservations WHERE reservation_no IN (${list});`, db.schema)).split('\n')
      : (await sql(g, `SELECT reservation_no FROM \`${db.schema}\`.reservations WHERE reservation_no IN (${list});\n`)).trim().split('\n').slice(1);
    for (const line of lines) if (line.trim()) found.add(line.trim());
  }
  return acked.filter((n) => !found.has(n)).length;
}

/** An error's text for a message argument: a drill's own message, else what the program said. */
const errorMsg = (e: unknown): string | Message => messageOf(e) ?? (e as Error).message;

export async function runDrill(o: RunDrillOptions): Promise<DrillOutcome> {
  const def: DrillDef = DRILL_DEFS[o.drill];
  const log = (l: Message) => o.onProgress?.(render('en', l), l);
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${o.drill}`;
  const dir = join(o.lab.dir, 'reports', id);
  const { ctx, pool, monitor } = o;
  const t0 = Date.now();
  const report: DrillReport = {
    id,
    lab: o.resolved.name,
    drill: o.drill,
    title: render('en', def.title),
    titleMsg: def.title,
    provider: o.hv.kind,
    hypothesis: '',
    startedAt: new Date(t0).toISOString(),
    endAt: 0,
    steadyState: [],
    expectations: [],
    verdict: 'error',
    verdictText: '',
    notes: [],
    events: [],
    requests: [],
  };
  const notes: Message[] = [];
  const env: DrillEnv = { hv: o.hv, lab: o.lab, ctx, pool, monitor, log, notes, faultAt: 0, restoreAt: 0, extra: {}, servedAfterFault: new Set(), forcePromotion: o.forcePromotion };
  const verdict = (v: DrillReport['verdict'], m: Message) => {
    report.verdict = v;
    report.verdictMsg = m;
    report.verdictText = render('en', m);
  };
  let load: LoadGenerator | undefined;
  try {
    if (!o.resolved.lab.drills.includes(o.drill)) {
      throw new DrillError(msg('drill.verdict.notListed', { drill: o.drill, drills: o.resolved.lab.drills.join(', ') || msg('drill.none') }), true);
    }
    report.hypothesisMsg = def.hypothesis(ctx);
    report.hypothesis = render('en', report.hypothesisMsg);
    monitor.start();
    log(msg('drill.log.steady'));
    await sleep(1500);
    report.steadyState = await steadyState(o, ctx, monitor);
    const bad = report.steadyState.filter((c) => !c.ok);
    if (bad.length) {
      verdict('refused', msg('drill.verdict.refusedSteady', { checks: joinMsgs(bad.map((c) => msg('drill.itemColon', { name: c.nameMsg ?? c.name, detail: c.detailMsg ?? c.detail }))) }));
      return await finish();
    }
    record(msg('drill.ev.started', { drill: o.drill }));
    const runId = randomBytes(3).toString('hex');
    let injectedAt = 0;
    const phase = (t: number): 'before' | 'transition' | 'after' => (!env.faultAt || t < env.faultAt - t0 ? 'before' : injectedAt && t >= injectedAt - t0 ? 'after' : 'transition');
    const expectStatus = def.expectStatus ?? ((kind: 'read' | 'write', status: number) => (kind === 'write' ? status === 201 : status === 200));
    if (monitor.probeUrl) {
      load = new LoadGenerator({
        baseUrl: monitor.probeUrl,
        runId,
        maxSeconds: o.maxLoadSeconds ?? 120,
        expect: (kind, status, t) => {
          const p = phase(t);
          return p === 'transition' ? expectStatus(kind, status, 'before') || expectStatus(kind, status, 'after') : expectStatus(kind, status, p);
        },
      });
      load.start(t0);
    }
    await sleep(3000);
    env.faultAt = Date.now();
    report.faultAt = env.faultAt - t0;
    record(msg('drill.ev.fault'));
    log(msg('drill.log.inject'));
    report.faultMsg = await def.inject(env);
    report.fault = render('en', report.faultMsg);
    injectedAt = Date.now();
    log(report.faultMsg);
    const recoveryTimeoutMs = def.recoveryTimeoutMs ?? 30_000;
    const recovered = await waitUntil(() => def.recovered(env), recoveryTimeoutMs, o.signal);
    if (recovered === undefined) notes.push(msg('drill.note.notRecovered', { seconds: recoveryTimeoutMs / 1000 }));
    await sleep(3000);
    const requests = load ? await load.stop() : [];
    report.requests = requests;
    for (const r of requests) if (r.t >= injectedAt - t0 && r.servedBy && r.ok) env.servedAfterFault.add(r.servedBy);
    env.restoreAt = Date.now();
    report.restoreAt = env.restoreAt - t0;
    record(msg('drill.ev.restoring'));
    log(msg('drill.log.restore'));
    let restoreCheck: Check;
    try {
      await def.restore(env);
      const back = await waitUntil(() => def.restored(env), 120_000, o.signal);
      restoreCheck = check(msg('drill.check.restored'), back !== undefined, back !== undefined ? msg('drill.detail.restoredIn', { ms: back - env.restoreAt }) : msg('drill.detail.notRestored'));
      if (back !== undefined && ctx.lab.lab.services.vips.length && def.vipBack) env.extra.vipBackMs = back - env.restoreAt;
    } catch (e) {
      restoreCheck = check(msg('drill.check.restored'), false, msg('drill.detail.restoreFailed', { error: errorMsg(e) }));
    }
    report.restore = restoreCheck;
    const acked = load?.acknowledged() ?? [];
    const lost = await (def.countLost ? def.countLost(env, acked) : rowsLost(pool, ctx, acked)).catch((e: unknown) => {
      notes.push(msg('drill.note.countFailed', { error: errorMsg(e) }));
      return undefined;
    });
    if (lost === undefined && !ctx.lab.lab.services.database) notes.push(msg('drill.note.noDatabase'));
    const m = measure(env, requests, t0, lost, acked.length, injectedAt - t0);
    report.measurements = m;
    report.expectations = [...def.expectations(env, m), restoreCheck];
    // RTO and RPO against the blueprint's objectives; the write rate turns writes lost into seconds.
    const loadSeconds = requests.length ? (Math.max(...requests.map((r) => r.t + r.ms)) - Math.min(...requests.map((r) => r.t))) / 1000 : 0;
    const writesPerSecond = loadSeconds > 0 ? Math.round((acked.length / loadSeconds) * 100) / 100 : undefined;
    report.objectives = judgeObjectives(o.resolved.lab.objectives ?? {}, (def.recoveryTime ?? ((_e, mm) => firstSuccessRecovery(mm)))(env, m), (def.dataLoss ?? ((_e, mm) => rowsLostLoss(mm)))(env, m), writesPerSecond, def.planned);
    const failed = report.expectations.filter((c) => !c.ok);
    if (failed.length) verdict('failed', msg('drill.verdict.failed', { checks: joinMsgs(failed.map((c) => msg('drill.item', { name: c.nameMsg ?? c.name, detail: c.detailMsg ?? c.detail }))) }));
    else verdict('passed', msg('drill.verdict.passed'));
    record(msg('drill.ev.finished', { drill: o.drill, verdict: msg(report.verdict === 'passed' ? 'drill.word.passed' : 'drill.word.failed') }));
    return await finish();
  } catch (e) {
    await load?.stop();
    if (e instanceof DrillError) verdict(e.refused ? 'refused' : 'error', e.refused ? e.msg : msg('drill.verdict.error', { error: e.msg }));
    else verdict((e as { refused?: boolean }).refused ? 'refused' : 'error', msg('drill.verdict.error', { error: errorMsg(e) }));
    return await finish();
  }

  /** A drill event in the shared monitor: English text for the dashboard, the message for the report. */
  function record(m: Message): void {
    monitor.record({ kind: 'drill', subject: o.drill, message: render('en', m), data: { msg: m } });
  }

  async function finish(): Promise<DrillOutcome> {
    report.noteMsgs = notes;
    report.notes = notes.map((n) => render('en', n));
    report.endAt = Date.now() - t0;
    report.events = monitor.eventsSince(t0).map((e) => ({ ...e, t: e.at - t0 }));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    // The topology picture in each language, so the report can be rendered again in the reader's (`drill:report` with `lang`).
    for (const l of LANGS) await writeFile(join(dir, `topology.${l}.svg`), toTopologySvg(o.resolved, { labels: topologyLabels(l) }));
    const lang = o.lang ?? 'en';
    const topologySvg = toTopologySvg(o.resolved, { labels: topologyLabels(lang) });
    await writeFile(join(dir, 'report.md'), renderMarkdownReport(report, { topologySvg, lang }));
    await writeFile(join(dir, 'report.html'), renderHtmlReport(report, { topologySvg, lang }));
    log(msg('drill.log.wrote', { dir }));
    return { report, dir };
  }
}

/**
 * The drill's figures: request-level ones from the load, detection and the
 * VIP move from the shared monitor's events. The VIP move is the first time
 * the monitor's judge (polls and keepalived's notifies folded together) saw
 * the backup hold the address.
 */
export function measure(env: Pick<DrillEnv, 'ctx' | 'monitor' | 'faultAt' | 'restoreAt' | 'extra'>, requests: DrillReport['requests'], t0: number, lost: number | undefined, acked: number, injectedRel: number): DrillMeasurements {
  const faultRel = env.faultAt - t0;
  const base = measureRequests(requests, faultRel, Math.max(faultRel, injectedRel));
  const after = env.monitor.eventsSince(env.faultAt).filter((e) => e.at < env.restoreAt && e.kind !== 'drill');
  const m: DrillMeasurements = { ...base, rowsAcknowledged: acked, rowsLost: lost, ...env.extra };
  if (after[0]) m.detectionMs = after[0].at - env.faultAt;
  if (env.ctx.lab.lab.services.vips.length) {
    const { backup } = vipRoles(env.ctx);
    const vip = env.ctx.lab.lab.services.vips[0]!;
    m.masterDownIntervalMs = masterDownIntervalMs(vip.advertInterval, backup.priority, vip.version ?? 2);
    const moved = after.find((e) => e.data?.vip === vip.name && (e.kind === 'vip-moved' || e.kind === 'vip-split') && ((e.data?.to as string | undefined) === backup.node || ((e.data?.holders as string[] | undefined) ?? []).includes(backup.node)));
    if (moved) m.vipMoveMs = moved.at - env.faultAt;
  }
  return m;
}
