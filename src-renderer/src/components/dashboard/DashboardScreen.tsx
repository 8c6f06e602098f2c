/**
 * The live dashboard of the open blueprint's lab: overview cards (in the
 * spirit of the seed-004 admin page), the VIP ownership timeline, requests
 * through the VIP, replication lag, nodes, a filtered log tail and the
 * latest events. The monitor runs while this screen is open. Each part
 * subscribes to its own slice of the monitor store, so a second's new state
 * re-renders only what changed.
 */
import { useEffect } from 'react';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import { useT } from '../../i18n/useT';
import { clock } from '../../lib/theme-colors';
import { useApp } from '../../stores/app-store';
import { currentLab } from '../../stores/lab-store';
import { useMonitor, watchLab } from '../../stores/monitor-store';
import { LabGate } from '../shell/LabGate';
import { ErrorsCard, InfraCard, MysqlCard, VipCard, WebCard } from './Cards';
import { LagChart, RequestChart } from './Charts';
import { EventList, LogTail } from './Logs';
import { NodeTable } from './NodeTable';
import { VipTimeline } from './VipTimeline';
import { LabHeader } from '../shell/LabHeader';
import { PostgresCard } from './PostgresCard';
import { RedisCard } from './RedisCard';
import { SemiSyncCard } from './SemiSyncCard';

export function DashboardScreen() {
  return <LabGate screen="dashboard">{(lab) => <Dashboard lab={lab} />}</LabGate>;
}

function Dashboard({ lab }: { lab: ResolvedLab }) {
  const t = useT();
  const error = useMonitor((s) => s.error);
  const live = useMonitor((s) => s.state !== undefined);
  useEffect(() => {
    const cur = currentLab();
    if (!cur) return;
    return watchLab(cur.text, cur.lab);
  }, [lab.name]);

  if (error) {
    return (
      <div className="placeholder" data-testid="screen-dashboard">
        <div className="placeholder-card" data-testid="dashboard-not-up">
          <h2>{error.code === 'not-up' ? t('dashboard.notUpTitle') : t('dashboard.failedTitle')}</h2>
          <p>{error.code === 'not-up' ? t('dashboard.notUpBody', { lab: lab.name }) : error.message}</p>
          <button type="button" className="primary" onClick={() => useApp.getState().setScreen('provision')}>
            {t('nav.provision')}
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="lab-screen dashboard" data-testid="screen-dashboard" data-live={live ? 'yes' : 'no'}>
      <LabHeader lab={lab}>
        <LiveBadge />
        <Links />
      </LabHeader>
      <div className="cards">
        <InfraCard />
        {lab.lab.services.vips.map((v) => (
          <VipCard key={v.name} name={v.name} />
        ))}
        {lab.lab.services.vips.length === 0 && <VipCard />}
        {lab.lab.services.database?.engine === 'postgresql' ? <PostgresCard patroni={!!lab.lab.services.database.patroni} /> : <MysqlCard hasDb={!!lab.lab.services.database} />}
        {lab.lab.services.cache && <RedisCard />}
        {lab.lab.services.database && lab.lab.services.database.engine !== 'postgresql' && lab.replicas.length > 0 && <SemiSyncCard configured={lab.lab.services.database.replication === 'semi-sync'} />}
        <WebCard />
        <ErrorsCard />
      </div>
      <div className="dash-grid">
        <section className="panel panel-span">
          <header className="panel-head">
            <h3>{t('dashboard.vipTimeline')}</h3>
          </header>
          <VipTimeline />
        </section>
        <section className="panel">
          <header className="panel-head">
            <h3>{t('dashboard.requests')}</h3>
          </header>
          <RequestChart />
        </section>
        <section className="panel">
          <header className="panel-head">
            <h3>{t('dashboard.lag')}</h3>
          </header>
          <LagChart hasDb={!!lab.lab.services.database} />
        </section>
        <section className="panel">
          <header className="panel-head">
            <h3>{t('dashboard.nodes')}</h3>
          </header>
          <NodeTable />
        </section>
        <section className="panel">
          <header className="panel-head">
            <h3>{t('dashboard.events')}</h3>
          </header>
          <EventList lab={lab.name} />
        </section>
        <section className="panel panel-span">
          <LogTail nodes={lab.nodes.map((n) => n.hostname)} />
        </section>
      </div>
    </div>
  );
}

function LiveBadge() {
  const t = useT();
  const at = useMonitor((s) => s.state?.at);
  return (
    <span className={`pill ${at ? 'pill-live' : 'pill-muted'}`} data-testid="dashboard-live">
      {at ? (
        <>
          <span className="live-dot" aria-hidden="true" />
          {t('dashboard.live', { time: clock(at) })}
        </>
      ) : (
        <>
          <span className="spinner" aria-hidden="true" />
          {t('dashboard.connecting')}
        </>
      )}
    </span>
  );
}

function Links() {
  const t = useT();
  const prometheus = useMonitor((s) => s.state?.prometheusUrl);
  const grafana = useMonitor((s) => s.state?.grafanaUrl);
  return (
    <div className="head-links">
      {prometheus && (
        <a href={prometheus} target="_blank" rel="noopener noreferrer" className="button-link" data-testid="link-prometheus">
          {t('dashboard.openPrometheus')} ↗
        </a>
      )}
      {grafana && (
        <a href={grafana} target="_blank" rel="noopener noreferrer" className="button-link" data-testid="link-grafana">
          {t('dashboard.openGrafana')} ↗
        </a>
      )}
      {!prometheus && !grafana && <span className="muted small-text">{t('dashboard.noMonitoring')}</span>}
      {prometheus && !grafana && <span className="muted small-text" data-testid="no-grafana">{t('dashboard.noGrafana')}</span>}
    </div>
  );
}
