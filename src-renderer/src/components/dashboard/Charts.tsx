/**
 * Charts (recharts, no animation: the data moves every second anyway):
 * requests through the VIP per second with errors and p50/p95 latency, and
 * replication lag per replica.
 */
import { memo, useMemo } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useT } from '../../i18n/useT';
import { requestSeries } from '../../lib/dashboard-model';
import { clock, useChartColors, type ChartColors } from '../../lib/theme-colors';
import { useMonitor } from '../../stores/monitor-store';

const WINDOW_MS = 60_000;

export function tooltipStyle(c: ChartColors) {
  return { contentStyle: { background: c.surface, border: `1px solid ${c.grid}`, borderRadius: 8, color: c.text, fontSize: 12 }, labelStyle: { color: c.muted } };
}

export const RequestChart = memo(function RequestChart() {
  const t = useT();
  const c = useChartColors();
  const lab = useMonitor((s) => s.watching);
  const samples = useMonitor((s) => (lab ? s.probes[lab] : undefined));
  const now = samples?.[samples.length - 1]?.at ?? 0;
  // The last minute, on a fixed time axis so a fresh start is not stretched across the chart.
  const data = useMemo(() => requestSeries((samples ?? []).filter((x) => x.at > now - WINDOW_MS)), [samples, now]);
  const domain = [Math.floor((now - WINDOW_MS) / 1000) * 1000, Math.floor(now / 1000) * 1000];
  if (!data.length) return <p className="chart-empty muted" data-testid="chart-requests">{t('dashboard.noRequests')}</p>;
  return (
    <div className="chart" data-testid="chart-requests">
      <ResponsiveContainer width="100%" height={220}>
        <ComposedChart data={data} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke={c.grid} strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" type="number" domain={domain} tickFormatter={clock} stroke={c.muted} fontSize={11} minTickGap={40} />
          <YAxis yAxisId="n" stroke={c.muted} fontSize={11} allowDecimals={false} />
          <YAxis yAxisId="ms" orientation="right" stroke={c.muted} fontSize={11} unit=" ms" width={58} />
          <Tooltip labelFormatter={(v) => clock(Number(v))} {...tooltipStyle(c)} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar yAxisId="n" dataKey="ok" name={t('chart.ok')} stackId="r" fill={c.ok} maxBarSize={12} isAnimationActive={false} />
          <Bar yAxisId="n" dataKey="errors" name={t('chart.failed')} stackId="r" fill={c.error} maxBarSize={12} isAnimationActive={false} />
          <Line yAxisId="ms" dataKey="p50" name="p50" stroke={c.accent} dot={false} strokeWidth={1.5} isAnimationActive={false} />
          <Line yAxisId="ms" dataKey="p95" name="p95" stroke={c.warning} dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
});

export const LagChart = memo(function LagChart({ hasDb }: { hasDb: boolean }) {
  const t = useT();
  const c = useChartColors();
  const lag = useMonitor((s) => s.lag);
  const replicas = useMemo(() => [...new Set(lag.flatMap((p) => Object.keys(p).filter((k) => k !== 'at')))], [lag]);
  if (!hasDb) return <p className="chart-empty muted" data-testid="chart-lag">{t('card.noDb')}</p>;
  if (!lag.length) return <p className="chart-empty muted" data-testid="chart-lag">{t('dashboard.waitingLag')}</p>;
  return (
    <div className="chart" data-testid="chart-lag">
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={lag} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke={c.grid} strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="at" tickFormatter={clock} stroke={c.muted} fontSize={11} minTickGap={40} />
          <YAxis stroke={c.muted} fontSize={11} unit=" s" allowDecimals={false} />
          <Tooltip labelFormatter={(v) => clock(Number(v))} {...tooltipStyle(c)} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {replicas.map((r, i) => (
            <Line key={r} dataKey={r} name={r} stroke={c.series[i % c.series.length]} dot={false} strokeWidth={2} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});
