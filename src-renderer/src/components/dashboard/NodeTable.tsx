/** Every VM: up or not, CPU, memory, disk, load and network. */
import { memo } from 'react';
import { useT } from '../../i18n/useT';
import { useMonitor } from '../../stores/monitor-store';

function Bar({ pct }: { pct?: number }) {
  if (pct === undefined) return <span className="muted">—</span>;
  const v = Math.max(0, Math.min(100, Math.round(pct)));
  return (
    <span className="bar-cell">
      <span className={`meter${v > 90 ? ' over' : v > 75 ? ' high' : ''}`}>
        <div style={{ width: `${v}%` }} />
      </span>
      <span className="mono">{v}%</span>
    </span>
  );
}

const rate = (bps?: number) => (bps === undefined ? '—' : bps > 1e6 ? `${(bps / 1e6).toFixed(1)} MB/s` : bps > 1e3 ? `${(bps / 1e3).toFixed(1)} kB/s` : `${Math.round(bps)} B/s`);

export const NodeTable = memo(function NodeTable() {
  const t = useT();
  const nodes = useMonitor((s) => s.state?.nodes);
  if (!nodes) return <p className="muted">…</p>;
  return (
    <table className="data-table" data-testid="node-table">
      <thead>
        <tr>
          <th>{t('provision.col.vm')}</th>
          <th>{t('nodes.status')}</th>
          <th>{t('card.cpu')}</th>
          <th>{t('card.mem')}</th>
          <th>{t('nodes.disk')}</th>
          <th className="num">{t('nodes.load')}</th>
          <th className="num">{t('nodes.net')}</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((n) => (
          <tr key={n.name} data-testid={`node-${n.name}`} data-up={n.up ? 'yes' : 'no'}>
            <td>
              <b>{n.name}</b>
            </td>
            <td>
              <span className={`power ${n.up ? 'power-running' : 'power-off'}`}>{n.up ? t('nodes.up') : t('nodes.down')}</span>
            </td>
            <td>
              <Bar pct={n.cpuPct} />
            </td>
            <td>
              <Bar pct={n.memPct} />
            </td>
            <td>
              <Bar pct={n.diskPct} />
            </td>
            <td className="num mono">{n.load1?.toFixed(2) ?? '—'}</td>
            <td className="num mono small-text nowrap">
              ↓ {rate(n.rxBps)} · ↑ {rate(n.txBps)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});
