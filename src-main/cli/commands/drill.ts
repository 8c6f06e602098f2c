/** `halab drill FILE NAME` and `halab watch FILE`, through the backend's lab service like the window. */
import { join } from 'node:path';
import type { DrillOutcome } from '../../drills/runner';
import { DRILLS, type DrillName } from '../../shared/blueprint/schema';
import { didYouMean } from '../../shared/blueprint/issues';
import type { EventPayloads } from '../../shared/ipc/contract';
import { applyDelta } from '../../shared/monitor/delta';
import type { DashboardState, MonitorDelta } from '../../shared/monitor/types';
import { EXIT, style, table, UsageError } from '../output';
import { cliLabService, followTask, loadLab, providerFlag, requireUp } from './lab';

export async function drillCommand(file: string | undefined, name: string | undefined, flags: { json?: boolean; provider?: string; 'force-promotion'?: boolean }, signal: AbortSignal): Promise<number> {
  if (!name || !(DRILLS as readonly string[]).includes(name)) {
    const guess = name ? didYouMean(name, DRILLS) : undefined;
    throw new UsageError(`${name ? `Unknown drill "${name}".${guess ? ` Did you mean "${guess}"?` : ''}` : 'Missing the drill NAME.'} Drills: ${DRILLS.join(', ')}.`);
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
        process.stderr.write(`… ${t.step}\n`);
      }
    } else if (channel === 'monitor:delta') {
      const d = payload as EventPayloads['monitor:delta'];
      if (d.lab === resolved.name) for (const e of d.events ?? []) if (e.kind !== 'drill') process.stderr.write(`  event: ${e.message}\n`);
    }
  });
  let outcome;
  try {
    taskId = labs.drill(resolved, name as DrillName, { provider, forcePromotion: flags['force-promotion'] });
    outcome = await followTask<DrillOutcome>(labs, taskId, signal);
  } finally {
    off();
    await labs.close();
  }
  if (!outcome.result) throw new Error(outcome.info.error ?? (outcome.info.state === 'canceled' ? 'the drill was canceled' : 'the drill did not run'));
  const { report, dir } = outcome.result;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...report, requests: undefined, reportDir: dir }, null, 2)}\n`);
  } else {
    const m = report.measurements;
    process.stdout.write(`\n${report.title}: ${report.verdict.toUpperCase()}\n${report.verdictText}\n`);
    if (m) {
      process.stdout.write(
        `${table(['measure', 'value'], [
          ['detection', m.detectionMs === undefined ? '-' : `${m.detectionMs} ms`],
          ['VIP move', m.vipMoveMs === undefined ? '-' : `${m.vipMoveMs} ms (master-down interval ${m.masterDownIntervalMs} ms)`],
          ['first success after fault', m.firstSuccessAfterFaultMs === undefined ? '-' : `${m.firstSuccessAfterFaultMs} ms`],
          ['failed requests', `${m.failed} of ${m.requests} (${m.failedPct} %)`],
          ['latency p50/p95/p99', `${m.latency.p50}/${m.latency.p95}/${m.latency.p99} ms`],
          ['rows acknowledged/lost', `${m.rowsAcknowledged}/${m.rowsLost ?? '- (no database)'}`],
          ...(m.semiSyncAtFault ? [['semi-sync at the fault', m.semiSyncAtFault.active ? `on (${m.semiSyncAtFault.waitPoint}, ${m.semiSyncAtFault.clients} replica(s))` : m.semiSyncAtFault.enabled ? 'fallen back to async' : 'off']] : []),
          ...(m.transactionsLost !== undefined ? [['transactions lost (GTID sets)', `${m.transactionsLost}${m.promotionForced ? ' (promotion forced)' : ''}`]] : []),
        ])}\n`,
      );
    }
    for (const c of report.expectations) process.stdout.write(`${c.ok ? style.green('✓') : style.red('✗', process.stdout)} ${c.name}: ${c.detail}\n`);
    process.stdout.write(`Report: ${join(dir, 'report.html')} (also report.md, report.json)\n`);
  }
  return report.verdict === 'passed' ? EXIT.ok : EXIT.failed;
}

function render(s: DashboardState): string {
  const lines: string[] = [`${style.bold(`HA Lab Studio — ${s.lab}`)}  ${new Date(s.at).toLocaleTimeString()}  (Ctrl-C to stop)`, ''];
  for (const v of s.vips) {
    lines.push(`VIP ${v.address} (${v.name}): ${v.holders.length === 1 ? style.green(v.holders[0]!) : style.red(v.holders.length ? `SPLIT ${v.holders.join(' + ')}` : 'NOBODY', process.stdout)}`);
    lines.push(`  ${v.members.map((m) => `${m.node}(${m.priority}) ${m.state ?? '?'}`).join('   ')}`);
  }
  if (s.probe.url) lines.push('', `Through the VIP: ${s.probe.ratePerS.toFixed(1)} req/s, ${s.probe.errorPct}% errors, p50 ${s.probe.p50} ms, p95 ${s.probe.p95} ms, last from ${s.probe.recent.at(-1)?.servedBy ?? '-'}`);
  if (s.replicas.length) lines.push('', table(['REPLICA', 'IO', 'SQL', 'BEHIND', 'READ-ONLY', 'ERROR'], s.replicas.map((r) => [r.node, r.ioRunning, r.sqlRunning, r.secondsBehind === null ? '-' : `${r.secondsBehind}s`, r.readOnly === undefined ? '?' : r.readOnly ? 'yes' : 'no', r.lastError ?? ''])));
  lines.push('', table(['VM', 'UP', 'CPU', 'MEM', 'DISK'], s.nodes.map((n) => [n.name, n.up ? 'yes' : 'NO', n.cpuPct === undefined ? '-' : `${n.cpuPct}%`, n.memPct === undefined ? '-' : `${n.memPct}%`, n.diskPct === undefined ? '-' : `${n.diskPct}%`])));
  if (s.alerts.length) lines.push('', `Alerts: ${s.alerts.map((a) => `${a.name}${a.instance ? `@${a.instance}` : ''}`).join(', ')}`);
  lines.push('', `Events (error log lines: ${s.errorLogCount}):`, ...s.events.slice(-8).map((e) => `  ${new Date(e.at).toLocaleTimeString()} ${e.message}`));
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
      const text = render(latest);
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
