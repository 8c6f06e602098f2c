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
import { masterDownIntervalMs, measureRequests, type Check, type DrillMeasurements, type DrillReport } from '../shared/drills/report';
import { DRILL_DEFS, vipRoles, type DrillEnv } from './catalog';
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
  onProgress?: (line: string) => void;
  /** Upper bound of the load, in seconds (default 120). */
  maxLoadSeconds?: number;
  /** db-primary-down: promote even when the replica lacks transactions the primary had (semi-sync fell back to async, or async replication). */
  forcePromotion?: boolean;
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
  checks.push({ name: 'every VM is running', ok: notRunning.length === 0, detail: notRunning.length ? `not running: ${notRunning.join(', ')} (run "halab up")` : `${vms.length} VMs running` });
  if (ctx.lab.lab.services.vips.length) {
    await monitor.pollVips();
    const { master } = vipRoles(ctx);
    const vip = ctx.lab.lab.services.vips[0]!;
    const holders = monitor.holders(vip.name);
    checks.push({ name: 'the VIP is on its master', ok: holders.length === 1 && holders[0] === master.node, detail: holders.length ? `${vip.address} held by ${holders.join(' and ')}` : `${vip.address} is held by nobody` });
    if (monitor.probeUrl) {
      const samples = monitor.probesBetween(Date.now() - 3000);
      const ok = samples.filter((s) => s.status === 200).length;
      checks.push({ name: 'requests through the VIP succeed', ok: samples.length > 0 && ok === samples.length, detail: `${ok} of ${samples.length} recent probes answered 200` });
    }
  }
  for (const r of ctx.lab.replicas) {
    const st = monitor.state().replicas.find((x) => x.node === r.node);
    checks.push({ name: `${r.node} replicates`, ok: !!st?.healthy && st.inSync !== false, detail: st ? `IO ${st.ioRunning}, SQL ${st.sqlRunning}, ${st.secondsBehind ?? '?'} s behind${st.inSync === false ? `, has not received all of the primary's ${st.primaryGtid}` : ''}${st.lastError ? `, ${st.lastError}` : ''}` : 'no status yet' });
  }
  return checks;
}

async function rowsLost(pool: GuestPool, ctx: RenderContext, acked: string[]): Promise<number | undefined> {
  const db = ctx.lab.lab.services.database;
  if (!db) return undefined;
  if (acked.length === 0) return 0;
  const found = new Set<string>();
  const g = await pool.get(db.primary);
  for (let i = 0; i < acked.length; i += 200) {
    const list = acked.slice(i, i + 200).map((n) => `'${n.replace(/[^A-Za-z0-9-]/g, '')}'`).join(',');
    const out = await sql(g, `SELECT reservation_no FROM \`${db.schema}\`.reservations WHERE reservation_no IN (${list});\n`);
    for (const line of out.trim().split('\n').slice(1)) found.add(line.trim());
  }
  return acked.filter((n) => !found.has(n)).length;
}

export async function runDrill(o: RunDrillOptions): Promise<DrillOutcome> {
  const def = DRILL_DEFS[o.drill];
  const log = (l: string) => o.onProgress?.(l);
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${o.drill}`;
  const dir = join(o.lab.dir, 'reports', id);
  const { ctx, pool, monitor } = o;
  const t0 = Date.now();
  const report: DrillReport = {
    id,
    lab: o.resolved.name,
    drill: o.drill,
    title: def.title,
    provider: o.hv.kind,
    hypothesis: def.hypothesis(ctx),
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
  const env: DrillEnv = { hv: o.hv, lab: o.lab, ctx, pool, monitor, log, notes: report.notes, faultAt: 0, restoreAt: 0, extra: {}, servedAfterFault: new Set(), forcePromotion: o.forcePromotion };
  let load: LoadGenerator | undefined;
  try {
    if (!o.resolved.lab.drills.includes(o.drill)) {
      throw Object.assign(new Error(`The drill "${o.drill}" is not listed in this blueprint's drills (${o.resolved.lab.drills.join(', ') || 'none'}). Add it there first.`), { refused: true });
    }
    monitor.start();
    log('checking the steady state');
    await sleep(1500);
    report.steadyState = await steadyState(o, ctx, monitor);
    const bad = report.steadyState.filter((c) => !c.ok);
    if (bad.length) {
      report.verdict = 'refused';
      report.verdictText = `The drill did not start: the lab is not in its steady state (${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}).`;
      return await finish();
    }
    monitor.record({ kind: 'drill', subject: o.drill, message: `Drill ${o.drill} started` });
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
    monitor.record({ kind: 'drill', subject: o.drill, message: `Fault injected` });
    log('injecting the fault');
    report.fault = await def.inject(env);
    injectedAt = Date.now();
    log(report.fault);
    const recovered = await waitUntil(() => def.recovered(env), o.drill === 'db-primary-down' ? 60_000 : 30_000, o.signal);
    if (recovered === undefined) report.notes.push('The lab did not recover from the fault within the drill’s time limit.');
    await sleep(3000);
    const requests = load ? await load.stop() : [];
    report.requests = requests;
    for (const r of requests) if (r.t >= injectedAt - t0 && r.servedBy && r.ok) env.servedAfterFault.add(r.servedBy);
    env.restoreAt = Date.now();
    report.restoreAt = env.restoreAt - t0;
    monitor.record({ kind: 'drill', subject: o.drill, message: 'Restoring the lab' });
    log('restoring the lab');
    let restoreCheck: Check;
    try {
      await def.restore(env);
      const back = await waitUntil(() => def.restored(env), 120_000, o.signal);
      restoreCheck = { name: 'lab restored', ok: back !== undefined, detail: back !== undefined ? `restored in ${back - env.restoreAt} ms` : 'not back to its steady state within 120 s' };
      if (back !== undefined && ctx.lab.lab.services.vips.length && o.drill !== 'app-down' && o.drill !== 'maintenance' && o.drill !== 'db-primary-down') env.extra.vipBackMs = back - env.restoreAt;
    } catch (e) {
      restoreCheck = { name: 'lab restored', ok: false, detail: (e as Error).message };
    }
    report.restore = restoreCheck;
    const lost = await rowsLost(pool, ctx, load?.acknowledged() ?? []).catch((e: unknown) => {
      report.notes.push(`Could not count the acknowledged rows on the primary: ${(e as Error).message}`);
      return undefined;
    });
    if (lost === undefined && !ctx.lab.lab.services.database) report.notes.push('This lab has no database: the app keeps reservations in memory, so lost rows are not counted.');
    const m = measure(env, requests, t0, lost, load?.acknowledged().length ?? 0, injectedAt - t0);
    report.measurements = m;
    report.expectations = [...def.expectations(env, m), restoreCheck];
    const failed = report.expectations.filter((c) => !c.ok);
    report.verdict = failed.length ? 'failed' : 'passed';
    report.verdictText = failed.length ? `The hypothesis did not hold: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}.` : 'The hypothesis held: every expectation was met.';
    monitor.record({ kind: 'drill', subject: o.drill, message: `Drill ${o.drill} ${report.verdict}` });
    return await finish();
  } catch (e) {
    await load?.stop();
    report.verdict = (e as { refused?: boolean }).refused ? 'refused' : 'error';
    report.verdictText = (e as Error).message;
    return await finish();
  }

  async function finish(): Promise<DrillOutcome> {
    report.endAt = Date.now() - t0;
    report.events = monitor.eventsSince(t0).map((e) => ({ ...e, t: e.at - t0 }));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const topologySvg = toTopologySvg(o.resolved);
    await writeFile(join(dir, 'report.md'), renderMarkdownReport(report, { topologySvg }));
    await writeFile(join(dir, 'report.html'), renderHtmlReport(report, { topologySvg }));
    log(`report written to ${dir}`);
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
