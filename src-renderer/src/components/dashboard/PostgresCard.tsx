/**
 * The PostgreSQL card (labs with `database.engine: postgresql`): which node
 * Patroni names leader (GET :8008/cluster, read by the monitor), and each
 * standby's streaming state with its lag in bytes and time
 * (pg_stat_replication on the leader). Displays the monitor's state as is.
 */
import { memo } from 'react';
import { useT } from '../../i18n/useT';
import { useMonitor } from '../../stores/monitor-store';

/** Bytes in a short form: 0 B, 12 KiB, 3.4 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const PostgresCard = memo(function PostgresCard({ patroni }: { patroni: boolean }) {
  const t = useT();
  const standbys = useMonitor((s) => s.state?.replicas);
  const title = t('card.postgres');
  if (!patroni) {
    return (
      <section className="card card-muted" data-testid="card-postgres">
        <h3>{title}</h3>
        <p className="muted">{t('card.pgSingle')}</p>
      </section>
    );
  }
  if (!standbys?.length) {
    return (
      <section className="card card-muted" data-testid="card-postgres">
        <h3>{title}</h3>
        <div className="big muted">…</div>
      </section>
    );
  }
  const leader = standbys.find((r) => r.patroniLeader)?.patroniLeader;
  const healthy = standbys.every((r) => r.healthy);
  return (
    <section className={`card ${leader && healthy ? 'card-ok' : 'card-bad'}`} data-testid="card-postgres">
      <h3>{title}</h3>
      <div className="big" data-testid="pg-leader" data-leader={leader ?? ''}>
        {leader ?? <span className="alarm">{t('card.pgNoLeader')}</span>}
      </div>
      <div className="card-sub">{t('card.pgLeader')}</div>
      <ul className="members">
        {standbys.map((r) => (
          <li key={r.node} data-testid={`pg-standby-${r.node}`}>
            <span className={`dot ${r.healthy ? 'dot-on' : 'dot-bad'}`} aria-hidden="true" />
            <b>{r.node}</b>
            <span className="muted mono">
              {r.healthy ? t('card.pgStreaming') : t('card.pgNotStreaming')}
              {r.lagBytes !== undefined && ` · ${t('card.pgLag', { bytes: formatBytes(r.lagBytes), ms: r.replayLagMs ?? 0 })}`}
            </span>
            {r.lastError && <span className="bad card-error">{r.lastError}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
});
