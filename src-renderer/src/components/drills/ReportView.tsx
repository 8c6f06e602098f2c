/**
 * One drill report rendered in the app: verdict, hypothesis, measurements,
 * expectations and steady-state checks, requests over time (bucketize) with
 * the fault and restore marked, the event timeline and notes; export as
 * Markdown or self-contained HTML.
 */
import { useMemo } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { bucketize, textOf, type Check, type DrillReport } from '../../../../src-main/shared/drills/report';
import { eventText, objectiveRows, objectivesStatedMsg } from '../../../../src-main/shared/drills/report-text';
import { render } from '../../../../src-main/shared/i18n';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';
import { useChartColors } from '../../lib/theme-colors';
import { useLab } from '../../stores/lab-store';
import { tooltipStyle } from '../dashboard/Charts';

export function VerdictBadge({ verdict }: { verdict: DrillReport['verdict'] }) {
  const t = useT();
  return (
    <span className={`verdict verdict-${verdict}`} data-testid="verdict">
      {t(`verdict.${verdict}`)}
    </span>
  );
}

const ms = (v?: number) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const sec = (t: number) => `${(t / 1000).toFixed(1)} s`;

export function ReportView() {
  const t = useT();
  const open = useLab((s) => s.open);
  if (!open) return null;
  const r = open.report;
  return (
    <section className="panel report" data-testid="report-view" data-id={open.id}>
      <header className="panel-head">
        <button type="button" className="small" data-testid="report-back" onClick={() => useLab.getState().closeReport()}>
          ← {t('drills.reports')}
        </button>
        <div className="row-actions">
          <button type="button" className="small" data-testid="report-export-md" onClick={() => void useLab.getState().exportReport(open.lab, open.id, 'md')}>
            {t('report.exportMd')}
          </button>
          <button type="button" className="small" data-testid="report-export-html" onClick={() => void useLab.getState().exportReport(open.lab, open.id, 'html')}>
            {t('report.exportHtml')}
          </button>
        </div>
      </header>
      {open.error && <p className="field-error">{open.error}</p>}
      {!r && !open.error && <p className="muted">{t('newDialog.loading')}</p>}
      {r && <ReportBody r={r} />}
    </section>
  );
}

function ReportBody({ r }: { r: DrillReport }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const m = r.measurements;
  const notes = r.noteMsgs ? r.noteMsgs.map((n) => render(lang, n)) : r.notes;
  return (
    <div className="report-body">
      <div className="report-title-row">
        <h2>{textOf(lang, r.titleMsg, r.title)}</h2>
        <VerdictBadge verdict={r.verdict} />
      </div>
      <p className="muted small-text">
        {t('report.meta', { lab: r.lab, provider: r.provider, started: new Date(r.startedAt).toLocaleString(), duration: sec(r.endAt) })}
      </p>
      <p className={`verdict-text verdict-text-${r.verdict}`} data-testid="report-verdict-text">
        {textOf(lang, r.verdictMsg, r.verdictText)}
      </p>
      <h3 className="sub-head">{t('report.hypothesis')}</h3>
      <p>{textOf(lang, r.hypothesisMsg, r.hypothesis)}</p>
      {r.fault && (
        <p>
          <b>{t('report.fault')}:</b> {textOf(lang, r.faultMsg, r.fault)}
        </p>
      )}
      {m && (
        <>
          <h3 className="sub-head">{t('report.measurements')}</h3>
          <div className="tiles" data-testid="report-measurements">
            {m.vipMoveMs !== undefined && <Tile label={t('report.m.vipMove')} value={ms(m.vipMoveMs)} hint={m.masterDownIntervalMs !== undefined ? t('report.m.vsInterval', { value: ms(m.masterDownIntervalMs) }) : undefined} testId="m-vip-move" />}
            <Tile label={t('report.m.detection')} value={ms(m.detectionMs)} />
            <Tile label={t('report.m.firstSuccess')} value={ms(m.firstSuccessAfterFaultMs)} />
            <Tile label={t('report.m.outage')} value={ms(m.outageMs)} />
            <Tile label={t('report.m.failed')} value={`${m.failed} / ${m.requests}`} hint={`${m.failedPct}%`} bad={m.failedAfterFault > 0} />
            <Tile label={t('report.m.latency')} value={`${m.latency.p50} / ${m.latency.p95} / ${m.latency.p99} ms`} hint="p50 / p95 / p99" />
            {m.vipBackMs !== undefined && <Tile label={t('report.m.vipBack')} value={ms(m.vipBackMs)} />}
            {m.promotedMs !== undefined && <Tile label={t('report.m.promoted')} value={ms(m.promotedMs)} />}
            <Tile label={t('report.m.rowsLost')} value={m.rowsLost === undefined ? '—' : String(m.rowsLost)} hint={t('report.m.rowsAcked', { count: m.rowsAcknowledged })} bad={!!m.rowsLost} />
          </div>
        </>
      )}
      {r.objectives && (
        <>
          <h3 className="sub-head">{render(lang, { code: 'drill.obj.heading' })}</h3>
          <p className="muted small-text">{render(lang, objectivesStatedMsg(r.objectives.objectives))}</p>
          <div className="tiles" data-testid="report-objectives">
            {objectiveRows(r.objectives).map((o, i) => (
              <Tile key={i} label={render(lang, o.what)} value={render(lang, o.measured)} hint={`${render(lang, o.objective)} · ${render(lang, o.verdict)}`} bad={o.met === false} testId={i === 0 ? 'objective-rto' : 'objective-rpo'} />
            ))}
          </div>
          <ul className="muted small-text objective-notes">
            {objectiveRows(r.objectives).flatMap((o, i) => o.how.map((h, j) => <li key={`${i}-${j}`}>{`${render(lang, o.what).split(' ')[0]}: ${render(lang, h)}`}</li>))}
          </ul>
        </>
      )}
      {r.requests.length > 0 && (
        <>
          <h3 className="sub-head">{t('report.requests')}</h3>
          <RequestsChart r={r} />
        </>
      )}
      <div className="report-cols">
        <div>
          <h3 className="sub-head">{t('report.expectations')}</h3>
          <Checks list={r.expectations} testId="report-expectations" />
        </div>
        <div>
          <h3 className="sub-head">{t('report.steadyState')}</h3>
          <Checks list={r.steadyState} testId="report-steady" />
        </div>
      </div>
      <h3 className="sub-head">{t('report.timeline')}</h3>
      <ol className="event-list report-timeline" data-testid="report-timeline">
        {[...r.events].sort((a, b) => a.t - b.t).map((e, i) => (
          <li key={i} className={`event event-${e.kind === 'drill' ? 'info' : e.kind === 'vip-lost' || e.kind === 'vip-split' || e.kind === 'probe-failing' || e.kind === 'vm-down' ? 'bad' : 'plain'}`}>
            <span className="log-time">+{sec(e.t)}</span>
            <span className="event-kind">{e.kind}</span>
            <span>{eventText(lang, e)}</span>
          </li>
        ))}
      </ol>
      {notes.length > 0 && (
        <>
          <h3 className="sub-head">{t('report.notes')}</h3>
          <ul>
            {notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Tile({ label, value, hint, bad, testId }: { label: string; value: string; hint?: string; bad?: boolean; testId?: string }) {
  return (
    <div className={`tile${bad ? ' tile-bad' : ''}`} data-testid={testId}>
      <span className="tile-label">{label}</span>
      <b>{value}</b>
      {hint && <span className="tile-hint">{hint}</span>}
    </div>
  );
}

function Checks({ list, testId }: { list: Check[]; testId: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  if (!list.length) return <p className="muted">{t('report.noChecks')}</p>;
  return (
    <ul className="checks" data-testid={testId}>
      {list.map((c, i) => (
        <li key={i} className={c.ok ? 'check-ok' : 'check-bad'}>
          <span className="check-mark" aria-label={c.ok ? t('report.ok') : t('report.notOk')}>
            {c.ok ? '✓' : '✕'}
          </span>
          <span>
            <b>{textOf(lang, c.nameMsg, c.name)}</b>
            <span className="muted"> — {textOf(lang, c.detailMsg, c.detail)}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

function RequestsChart({ r }: { r: DrillReport }) {
  const t = useT();
  const c = useChartColors();
  const data = useMemo(() => bucketize(r.requests, 500).map((b) => ({ ...b, p95: b.ok ? b.p95 : undefined })), [r.requests]);
  return (
    <div className="chart" data-testid="report-chart">
      <ResponsiveContainer width="100%" height={230}>
        <ComposedChart data={data} margin={{ top: 14, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke={c.grid} strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" type="number" domain={[0, Math.max(data.at(-1)?.t ?? 0, r.restoreAt ?? 0, r.faultAt ?? 0)]} tickFormatter={(v: number) => `${(v / 1000).toFixed(0)} s`} stroke={c.muted} fontSize={11} />
          <YAxis yAxisId="n" stroke={c.muted} fontSize={11} allowDecimals={false} />
          <YAxis yAxisId="ms" orientation="right" stroke={c.muted} fontSize={11} unit=" ms" width={58} />
          <Tooltip labelFormatter={(v) => `+${sec(Number(v))}`} {...tooltipStyle(c)} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar yAxisId="n" dataKey="ok" name={t('chart.ok')} stackId="r" fill={c.ok} isAnimationActive={false} />
          <Bar yAxisId="n" dataKey="failed" name={t('chart.failed')} stackId="r" fill={c.error} isAnimationActive={false} />
          <Line yAxisId="ms" dataKey="p95" name="p95" stroke={c.warning} dot={false} strokeWidth={1.5} isAnimationActive={false} connectNulls />
          {r.faultAt !== undefined && <ReferenceLine yAxisId="n" x={r.faultAt} stroke={c.error} strokeDasharray="4 3" label={{ value: t('report.faultMark'), fill: c.error, fontSize: 11, position: 'top' }} />}
          {r.restoreAt !== undefined && <ReferenceLine yAxisId="n" x={r.restoreAt} stroke={c.accent} strokeDasharray="4 3" label={{ value: t('report.restoreMark'), fill: c.accent, fontSize: 11, position: 'top' }} />}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
