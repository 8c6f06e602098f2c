/**
 * The Redis card (labs with `services.cache`): which node each Sentinel
 * names as the primary (SENTINEL get-master-addr-by-name, read by the
 * monitor), and whether they agree. Displays the monitor's state as is.
 */
import { memo } from 'react';
import { useT } from '../../i18n/useT';
import { useMonitor } from '../../stores/monitor-store';

export const RedisCard = memo(function RedisCard() {
  const t = useT();
  const cache = useMonitor((s) => s.state?.cache);
  const title = t('card.redis');
  if (!cache) {
    return (
      <section className="card card-muted" data-testid="card-redis">
        <h3>{title}</h3>
        <div className="big muted">…</div>
      </section>
    );
  }
  return (
    <section className={`card ${cache.agreed ? 'card-ok' : 'card-bad'}`} data-testid="card-redis">
      <h3>{title}</h3>
      <div className="big" data-testid="redis-primary" data-primary={cache.primary ?? ''}>
        {cache.primary ?? <span className="alarm">{t('card.redisNoPrimary')}</span>}
      </div>
      <div className="card-sub">{t(cache.agreed ? 'card.redisAgreed' : 'card.redisDisagree', { name: cache.masterName })}</div>
      <ul className="members">
        {cache.sentinels.map((s) => (
          <li key={s.node} data-testid={`redis-sentinel-${s.node}`}>
            <span className={`dot ${s.ok ? 'dot-on' : 'dot-bad'}`} aria-hidden="true" />
            <b>{s.node}</b>
            <span className="muted mono">{s.ok ? t('card.redisNames', { node: s.master ?? '?' }) : t('card.redisNoAnswer')}</span>
          </li>
        ))}
      </ul>
    </section>
  );
});
