/**
 * `halab drill FILE NAME` and `halab watch FILE`, through the backend's lab
 * service like the window. Everything printed is in the run's language
 * (`--lang`): the drill's own texts from its report's catalog messages, the
 * measurement names from the report catalog, RTO/RPO and monitor events
 * through `shared/drills/report-text.ts`; `--json` prints the report as it is.
 */
import { join } from 'node:path';
import type { DrillOutcome } from '../../drills/runner';
import { DRILLS, type DrillName } from '../../shared/blueprint/schema';
import { didYouMean } from '../../shared/blueprint/issues';
import type { EventPayloads } from '../../shared/ipc/contract';
import { applyDelta } from '../../shared/monitor/delta';
import type { DashboardState, MonitorDelta } from '../../shared/monitor/types';
import { rt, type ReportKey } from '../../report/catalog';
import { textOf, type DrillReport } from '../../shared/drills/report';
import { eventText, objectiveLine, objectiveRows } from '../../shared/drills/report-text';
import { list, msg } from '../../shared/i18n';
import { cliLang, say, sayMessage } from '../lang';
import { EXIT, style, table, UsageError } from '../output';
import { cliLabService, followTask, loadLab, providerFlag, requireUp, taskError } from './lab';

export async function drillCommand(file: string | undefined, name: string | undefined, flags: { json?: boolean; provider?: string; 'force-promotion'?: boolean }, signal: AbortSignal): Promise<number> {
  if (!name || !(DRILLS as readonly string[]).includes(name)) {
    const guess = name ? didYouMean(name, DRILLS) : undefined;
    const what = name ? `${say('out.drill.unknown', { name })}${guess ? ` ${say('out.drill.guess', { guess })}` : ''}` : say('out.drill.missing');
    throw new UsageError(`${what} ${say('out.drill.list', { list: list(DRILLS) })}`);
  }
  const provider = providerFlag(flags.provider);
  const { code, resolved } = await loadLab(file, provider);
  if (!resolved) return code;
  const { labs, events } = cliLabService();
  if (!(await requireUp(labs, resolved, file, provider))) return EXIT.failed;
  let taskId: string | undefined;
  let lastStep: string | undefined;
  const off = events.subscribe((channel, payload) => {
    if (flags.json) return;
    if (channel === 'task:update') {
      const t = payload as EventPayloads['task:update'];
      if (t.id === taskId && t.step && t.step !== lastStep && t.state === 'running') {
        lastStep = t.step;
        process.stderr.write(`… ${t.stepMsg ? sayMessage(t.stepMsg) : t.step}\n`);
      }
    } else if (channel === 'monitor:delta') {
      const d = payload as EventPayloads['monitor:delta'];
      if (d.lab === resolved.name) for (const e of d.events ?? []) if (e.kind !== 'drill') process.stderr.write(`  ${say('out.drill.event', { text: eventText(cliLang(), e) })}\n`);
    }
  });
  let outcome;
  try {
    taskId = labs.drill(resolved, name as DrillName, { provider, forcePromotion: flags['force-promotion'], lang: cliLang() });
    outcome = await followTask<DrillOutcome>(labs, taskId, signal);
  } finally {
    off();
    await labs.close();
  }
  if (!outcome.result) throw taskError(outcome.info, msg(outcome.info.state === 'canceled' ? 'out.drill.canceled' : 'out.drill.notRun'));
  const { report, dir } = outcome.result;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...report, requests: undefined, reportDir: dir }, null, 2)}\n`);
  } else {
    const lang = cliLang();
    process.stdout.write(`\n${textOf(lang, report.titleMsg, report.title)}: ${rt(lang, `verdict.${report.verdict}` as ReportKey)}\n${textOf(lang, report.verdictMsg, report.verdictText)}\n`);
    const rows = measurementRows(report);
    if (rows.length) process.stdout.write(`${table([say('out.drill.colMeasure'), say('out.drill.colValue')], rows)}\n`);
    if (report.objectives) for (const r of objectiveRows(report.objectives)) process.stdout.write(`${sayMessage(objectiveLine(r))}\n`);
    for (const c of report.expectations) process.stdout.write(`${c.ok ? style.green('✓') : style.red('✗', process.stdout)} ${textOf(lang, c.nameMsg, c.name)}: ${textOf(lang, c.detailMsg, c.detail)}\n`);
    process.stdout.write(`${say('out.drill.report', { path: join(dir, 'report.html') })}\n`);
  }
  return report.verdict === 'passed' ? EXIT.ok : EXIT.failed;
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${v} ms`);

/** The drill's measurements as rows, named as the report names them (the report catalog), in the run's language. */
export function measurementRows(report: Pick<DrillReport, 'measurements'>): string[][] {
  const m = report.measurements;
  if (!m) return [];
  const lang = cliLang();
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const rows: string[][] = [
    [t('m.detection'), ms(m.detectionMs)],
    [t('m.vipMove'), ms(m.vipMoveMs)],
    [t('m.masterDown'), ms(m.masterDownIntervalMs)],
    [t('m.firstSuccess'), ms(m.firstSuccessAfterFaultMs)],
    [t('m.failed'), `${m.failed} / ${m.requests} (${m.failedPct} %)`],
    [t('m.latency'), `${m.latency.p50} / ${m.latency.p95} / ${m.latency.p99} / ${m.latency.max} ms`],
    [t('m.rows'), `${m.rowsAcknowledged} / ${m.rowsLost ?? t('m.rowsNotCounted')}`],
  ];
  const ss = m.semiSyncAtFault;
  if (ss) rows.push([t('m.semiSync'), ss.active ? t('m.semiSyncOn', { waitPoint: ss.waitPoint || '?', clients: ss.clients, timeout: ss.timeoutMs ?? '?' }) : ss.enabled ? t('m.semiSyncFellBack', { noTx: ss.noTx ?? '?' }) : t('m.semiSyncOff')]);
  if (m.transactionsLost !== undefined) rows.push([t('m.gtidLost'), `${m.transactionsLost}${m.promotionForced ? ` (${t('m.forced')})` : ''}`]);
  return rows;
}

/** One screen of `halab watch`, in the run's language. */
export function renderWatch(s: DashboardState): string {
  const lang = cliLang();
  // 24-hour local time in both languages (this Node may lack Korean locale data, which printed "AM").
  const time = (at: number) => new Date(at).toTimeString().slice(0, 8);
  const yesNo = (v: boolean) => say(v ? 'out.yes' : 'out.no');
  const lines: string[] = [`${style.bold(`HA Lab Studio — ${s.lab}`)}  ${time(s.at)}  ${say('out.watch.stop')}`, ''];
  for (const v of s.vips) {
    lines.push(`VIP ${v.address} (${v.name}): ${v.holders.length === 1 ? style.green(v.holders[0]!) : style.red(v.holders.length ? say('out.watch.split', { holders: v.holders.join(' + ') }) : say('out.watch.nobody'), process.stdout)}`);
    lines.push(`  ${v.members.map((m) => `${m.node}(${m.priority}) ${m.state ?? '?'}`).join('   ')}`);
  }
  if (s.probe.url) lines.push('', say('out.watch.probe', { rate: s.probe.ratePerS.toFixed(1), errors: s.probe.errorPct, p50: s.probe.p50, p95: s.probe.p95, server: s.probe.recent.at(-1)?.servedBy ?? '-' }));
  if (s.replicas.length) {
    const header = [say('out.watch.colReplica'), 'IO', 'SQL', say('out.watch.colBehind'), say('out.watch.colReadOnly'), say('out.watch.colError')];
    lines.push('', table(header, s.replicas.map((r) => [r.node, r.ioRunning, r.sqlRunning, r.secondsBehind === null ? '-' : say('out.seconds', { s: r.secondsBehind }), r.readOnly === undefined ? '?' : yesNo(r.readOnly), r.lastError ?? ''])));
  }
  const ss = s.semiSync;
  if (ss) {
    const st = ss.status;
    const line = !st ? say('out.watch.semiUnread', { node: ss.node, error: ss.error ?? '?' }) : st.active ? say('out.watch.semiOn', { node: ss.node, timeout: st.timeoutMs ?? '?', clients: st.clients, waitPoint: st.waitPoint || '?' }) : st.enabled ? say('out.watch.semiFellBack', { node: ss.node, timeout: st.timeoutMs ?? '?', noTx: st.noTx ?? '?' }) : say('out.watch.semiOff', { node: ss.node });
    lines.push('', st?.active ? line : style.yellow(line, process.stdout));
  }
  const header = [say('out.status.colVm'), say('out.watch.colUp'), 'CPU', say('out.watch.colMem'), say('out.watch.colDisk')];
  lines.push('', table(header, s.nodes.map((n) => [n.name, n.up ? say('out.yes') : say('out.watch.down'), n.cpuPct === undefined ? '-' : `${n.cpuPct}%`, n.memPct === undefined ? '-' : `${n.memPct}%`, n.diskPct === undefined ? '-' : `${n.diskPct}%`])));
  if (s.alerts.length) lines.push('', say('out.watch.alerts', { list: list(s.alerts.map((a) => `${a.name}${a.instance ? `@${a.instance}` : ''}`)) }));
  lines.push('', say('out.watch.events', { count: s.errorLogCount }), ...s.events.slice(-8).map((e) => `  ${time(e.at)} ${eventText(lang, e)}`));
  return lines.join('\n');
}

export async function watchCommand(file: string | undefined, flags: { provider?: string; once?: boolean }, signal: AbortSignal): Promise<number> {
  const provider = providerFlag(flags.provider);
  const { code, resolved } = await loadLab(file, provider);
  if (!resolved) return code;
  const { labs, events } = cliLabService();
  if (!(await requireUp(labs, resolved, file, provider))) return EXIT.failed;
  let latest: DashboardState | undefined;
  const off = events.subscribe((channel, payload) => {
    // One snapshot, then deltas folded in (a delta that does not follow on is dropped until the next snapshot).
    if (channel === 'monitor:state' && (payload as DashboardState).lab === resolved.name) latest = payload as DashboardState;
    else if (channel === 'monitor:delta' && latest) latest = applyDelta(latest, payload as MonitorDelta) ?? latest;
  });
  const tty = process.stdout.isTTY && !flags.once;
  try {
    await labs.startMonitor(resolved, { provider });
    for (let i = 0; !signal.aborted; i++) {
      await new Promise((ok) => setTimeout(ok, i === 0 ? 2500 : 1000));
      if (!latest) continue;
      const text = renderWatch(latest);
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
      else if (flags.once || i % 5 === 0) process.stdout.write(`${text}\n\n`);
      if (flags.once) break;
    }
  } finally {
    off();
    await labs.close();
  }
  return EXIT.ok;
}
