/**
 * The overview cards: infrastructure, VIP entry point (holder, keepalived
 * state per member, SPLIT BRAIN / NO OWNER), MySQL replication, web
 * requests through the VIP, error logs and alerts.
 */
import { memo, type ReactNode } from 'react';
import { useT } from '../../i18n/useT';
import { lastServedBy, vipHealth } from '../../lib/dashboard-model';
import { useMonitor } from '../../stores/monitor-store';

function Card({ title, testId, tone, children }: { title: string; testId: string; tone?: 'ok' | 'warn' | 'bad' | 'muted'; children: ReactNode }) {
  return (
    <section className={`card${tone ? ` card-${tone}` : ''}`} data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

const avg = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : undefined;
};

export const InfraCard = memo(function InfraCard() {
  const t = useT();
  const nodes = useMonitor((s) => s.state?.nodes);
  if (!nodes) return <Card title={t('card.infra')} testId="card-infra" tone="muted"><div className="big muted">…</div></Card>;
  const up = nodes.filter((n) => n.up).length;
  const cpu = avg(nodes.map((n) => n.cpuPct));
  const mem = avg(nodes.map((n) => n.memPct));
  return (
    <Card title={t('card.infra')} testId="card-infra" tone={up === nodes.length ? 'ok' : up === 0 ? 'bad' : 'warn'}>
      <div className="big">
        {up}
        <small> / {nodes.length}</small>
      </div>
      <div className="card-sub">{t('card.vmsUp')}</div>
      <div className="kv">
        <span>{t('card.cpu')}</span>
        <b>{cpu === undefined ? '—' : `${cpu}%`}</b>
        <span>{t('card.mem')}</span>
        <b>{mem === undefined ? '—' : `${mem}%`}</b>
      </div>
    </Card>
  );
});

export const VipCard = memo(function VipCard({ name }: { name?: string }) {
  const t = useT();
  const vip = useMonitor((s) => s.state?.vips.find((v) => v.name === name));
  if (!name) return <Card title={t('card.vip')} testId="card-vip" tone="muted"><p className="muted">{t('card.noVip')}</p></Card>;
  if (!vip) return <Card title={t('card.vip')} testId="card-vip" tone="muted"><div className="big muted" data-testid={`vip-holder-${name}`} data-holders="" data-health="unknown">…</div></Card>;
  // The monitor's judgement, shown as it is.
  const holders = vip.holders;
  const health = vipHealth(holders, vip.known ?? vip.since !== undefined);
  const tone = health === 'ok' ? 'ok' : health === 'unknown' ? 'muted' : 'bad';
  return (
    <Card title={t('card.vipOf', { address: vip.address })} testId="card-vip" tone={tone}>
      <div className="big vip-holder" data-testid={`vip-holder-${name}`} data-holders={holders.join(',')} data-health={health}>
        {health === 'ok' && holders[0]}
        {health === 'split' && <span className="alarm">{t('card.splitBrain')}</span>}
        {health === 'none' && <span className="alarm">{t('card.noOwner')}</span>}
        {health === 'unknown' && <span className="muted">{t('card.checking')}</span>}
      </div>
      <div className="card-sub">{health === 'split' ? t('card.heldByAll', { holders: holders.join(' + ') }) : health === 'ok' ? t('card.holder') : health === 'none' ? t('card.noOwnerHint') : ' '}</div>
      <ul className="members">
        {vip.members.map((m) => {
          const st = m.state;
          return (
            <li key={m.node} data-testid={`vip-member-${m.node}`}>
              <span className={`dot ${holders.includes(m.node) ? 'dot-on' : ''}`} aria-hidden="true" />
              <b>{m.node}</b>
              <span className="muted">{t('edge.priority', { value: m.priority })}</span>
              <span className={`chip ka-${(st ?? 'unknown').toLowerCase()}`} title={st ? undefined : t('card.kaUnknownHint')}>
                {st ?? t('card.kaUnknown')}
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
});

export const MysqlCard = memo(function MysqlCard({ hasDb }: { hasDb: boolean }) {
  const t = useT();
  const replicas = useMonitor((s) => s.state?.replicas);
  if (!hasDb) return <Card title={t('card.mysql')} testId="card-mysql" tone="muted"><p className="muted">{t('card.noDb')}</p></Card>;
  if (!replicas?.length) return <Card title={t('card.mysql')} testId="card-mysql" tone="muted"><div className="big muted">…</div></Card>;
  const healthy = replicas.filter((r) => r.healthy).length;
  const lag = Math.max(...replicas.map((r) => r.secondsBehind ?? -1));
  return (
    <Card title={t('card.mysql')} testId="card-mysql" tone={healthy === replicas.length ? 'ok' : 'bad'}>
      <div className="big">{healthy === replicas.length ? t('card.replOk') : t('card.replBroken')}</div>
      <div className="card-sub">{lag >= 0 ? t('card.lag', { seconds: lag }) : t('card.lagUnknown')}</div>
      <ul className="members">
        {replicas.map((r) => (
          <li key={r.node} title={r.gtidExecuted ? `GTID ${r.gtidExecuted}` : undefined}>
            <span className={`dot ${r.healthy ? 'dot-on' : 'dot-bad'}`} aria-hidden="true" />
            <b>{r.node}</b>
            <span className="muted mono">
              IO {r.ioRunning} · SQL {r.sqlRunning}
              {r.readOnly !== undefined && ` · ${r.readOnly ? 'read-only' : 'read-write'}`}
            </span>
            {r.lastError && <span className="bad card-error">{r.lastError}</span>}
          </li>
        ))}
      </ul>
    </Card>
  );
});

export const WebCard = memo(function WebCard() {
  const t = useT();
  const probe = useMonitor((s) => s.state?.probe);
  if (!probe?.url) return <Card title={t('card.web')} testId="card-web" tone="muted"><p className="muted">{probe ? t('card.noProbe') : '…'}</p></Card>;
  const served = lastServedBy(probe.recent);
  const tone = probe.recent.length === 0 ? 'muted' : probe.errorPct === 0 ? 'ok' : probe.errorPct < 50 ? 'warn' : 'bad';
  return (
    <Card title={t('card.web')} testId="card-web" tone={tone}>
      <div className="big">
        {probe.ratePerS.toFixed(1)}
        <small> {t('card.perSecond')}</small>
      </div>
      <div className="card-sub mono">{probe.url}</div>
      <div className="kv">
        <span>{t('card.errors')}</span>
        <b className={probe.errorPct > 0 ? 'bad' : undefined}>{probe.errorPct}%</b>
        <span>p50 / p95</span>
        <b>
          {probe.p50} / {probe.p95} ms
        </b>
        <span>{t('card.servedBy')}</span>
        <b data-testid="served-by">{served ?? '—'}</b>
      </div>
    </Card>
  );
});

export const ErrorsCard = memo(function ErrorsCard() {
  const t = useT();
  const count = useMonitor((s) => s.state?.errorLogCount);
  const alerts = useMonitor((s) => s.state?.alerts);
  if (count === undefined) return <Card title={t('card.errorLogs')} testId="card-errors" tone="muted"><div className="big muted">…</div></Card>;
  return (
    <Card title={t('card.errorLogs')} testId="card-errors" tone={count > 0 || alerts?.length ? 'warn' : 'ok'}>
      <div className="big">{count}</div>
      <div className="card-sub">{t('card.errorLines')}</div>
      <div className="kv">
        <span>{t('card.alerts')}</span>
        <b className={alerts?.length ? 'bad' : undefined}>{alerts?.length ?? 0}</b>
      </div>
      {alerts?.slice(0, 3).map((a) => (
        <div key={`${a.name}${a.instance}`} className="alert-line">
          <b>{a.name}</b> <span className="muted">{a.instance}</span>
        </div>
      ))}
    </Card>
  );
});
