/** The live log tail with filters (node, source, errors only) and the latest monitor events. */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { LogLine, MonitorEvent } from '../../../../src-main/shared/monitor/types';
import { useT } from '../../i18n/useT';
import { clock } from '../../lib/theme-colors';
import { useMonitor } from '../../stores/monitor-store';

const SOURCES: LogLine['source'][] = ['nginx', 'app', 'mysql', 'keepalived'];

export const LogTail = memo(function LogTail({ nodes }: { nodes: string[] }) {
  const t = useT();
  const logs = useMonitor((s) => s.state?.logs);
  const [node, setNode] = useState('');
  const [source, setSource] = useState('');
  const [errorsOnly, setErrorsOnly] = useState(false);
  const shown = useMemo(() => (logs ?? []).filter((l) => (!node || l.node === node) && (!source || l.source === source) && (!errorsOnly || l.error)), [logs, node, source, errorsOnly]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown]);
  return (
    <div className="log-tail" data-testid="log-tail">
      <header className="panel-head">
        <h3>{t('logs.title')}</h3>
        <div className="filters">
          <label className="select-label">
            <span>{t('logs.node')}</span>
            <select value={node} onChange={(e) => setNode(e.target.value)} data-testid="log-filter-node">
              <option value="">{t('logs.all')}</option>
              {nodes.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label className="select-label">
            <span>{t('logs.source')}</span>
            <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="log-filter-source">
              <option value="">{t('logs.all')}</option>
              {SOURCES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="check-label">
            <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} data-testid="log-filter-errors" />
            {t('logs.errorsOnly')}
          </label>
          <span className="muted small-text">{t('logs.count', { shown: shown.length, total: logs?.length ?? 0 })}</span>
        </div>
      </header>
      <div className="log-lines" ref={ref}>
        {shown.length === 0 && <p className="muted">{logs?.length ? t('logs.noneMatch') : t('logs.none')}</p>}
        {shown.map((l, i) => (
          <div key={`${l.at}-${i}`} className={`log-line${l.error ? ' bad' : ''}`}>
            <span className="log-time">{clock(l.at)}</span> <span className="log-node">{l.node}</span> <span className="log-source">{l.source}</span> {l.line}
          </div>
        ))}
      </div>
    </div>
  );
});

const KIND_TONE: Partial<Record<MonitorEvent['kind'], string>> = {
  'vip-moved': 'info',
  'vip-lost': 'bad',
  'vip-split': 'bad',
  'replica-stopped': 'bad',
  'vm-down': 'bad',
  'alert-fired': 'bad',
  'probe-failing': 'bad',
  'replica-started': 'ok',
  'vm-up': 'ok',
  'alert-resolved': 'ok',
  'probe-ok': 'ok',
};

/** The newest monitor events of a lab, newest first. */
export const EventList = memo(function EventList({ lab, since, max = 40 }: { lab: string; since?: number; max?: number }) {
  const t = useT();
  const events = useMonitor((s) => s.events[lab]);
  const shown = useMemo(() => (events ?? []).filter((e) => since === undefined || e.at >= since).slice(-max).reverse(), [events, since, max]);
  if (!shown.length) return <p className="muted" data-testid="event-list">{t('events.none')}</p>;
  return (
    <ol className="event-list" data-testid="event-list">
      {shown.map((e) => (
        <li key={`${e.at}-${e.kind}-${e.subject}`} className={`event event-${KIND_TONE[e.kind] ?? 'plain'}`}>
          <span className="log-time">{clock(e.at)}</span>
          <span className="event-kind">{e.kind}</span>
          <span>{e.message}</span>
        </li>
      ))}
    </ol>
  );
});
