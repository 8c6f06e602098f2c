/** @jsxRuntime automatic @jsxImportSource react */
/**
 * The semi-sync card (MySQL/MariaDB labs with replicas): whether semi-sync
 * is on on the primary, its timeout, the connected semi-sync replicas and
 * the commit counters, as the monitor reads them; a fallback to async is a
 * warning (a primary failure now can lose confirmed rows). An asynchronous
 * lab says so without asking the primary. Displays the monitor's state.
 */
import { memo } from 'react';
import type { SemiSyncCard as SemiSyncState } from '../../../../src-main/shared/monitor/types';
import { translate, type Language, type MessageKey, type Params } from '../../i18n';
import { useApp } from '../../stores/app-store';
import { useMonitor } from '../../stores/monitor-store';

export const SemiSyncCard = memo(function SemiSyncCard({ configured }: { configured: boolean }) {
  const lang = useApp((s) => s.language);
  const card = useMonitor((s) => s.state?.semiSync);
  return <SemiSyncView card={card} configured={configured} lang={lang} />;
});

/** The card for a monitor reading (undefined: not read yet) in `lang`. */
export function SemiSyncView({ card, configured, lang }: { card?: SemiSyncState; configured: boolean; lang: Language }) {
  const t = (key: MessageKey, params?: Params) => translate(lang, key, params);
  const title = t('card.semiSync');
  if (!configured) {
    return (
      <section className="card card-muted" data-testid="card-semisync" data-state="async">
        <h3>{title}</h3>
        <div className="big muted">{t('card.semiOff')}</div>
        <div className="card-sub">{t('card.semiAsyncLab')}</div>
      </section>
    );
  }
  if (!card) {
    return (
      <section className="card card-muted" data-testid="card-semisync">
        <h3>{title}</h3>
        <div className="big muted">…</div>
      </section>
    );
  }
  const s = card.status;
  if (!s) {
    return (
      <section className="card card-bad" data-testid="card-semisync" data-state="unread">
        <h3>{title}</h3>
        <div className="big muted">?</div>
        <div className="card-sub" title={card.error}>
          {t('card.semiUnread', { node: card.node })}
        </div>
      </section>
    );
  }
  const state = s.active ? 'on' : s.enabled ? 'fell-back' : 'off';
  return (
    <section className={`card ${state === 'on' ? 'card-ok' : 'card-warn'}`} data-testid="card-semisync" data-state={state}>
      <h3>{title}</h3>
      <div className="big">{state === 'on' ? t('card.semiOn') : state === 'fell-back' ? <span className="alarm">{t('card.semiFellBack')}</span> : t('card.semiOff')}</div>
      <div className="card-sub mono">{t('card.semiDetail', { ms: s.timeoutMs ?? '?', clients: s.clients, waitPoint: s.waitPoint || '?' })}</div>
      {state !== 'on' && (
        <p className="field-warning" data-testid="semisync-warning">
          {t('card.semiFellBackWarn')}
        </p>
      )}
      {(s.yesTx !== undefined || s.noTx !== undefined) && <div className="card-sub muted">{t('card.semiCounts', { yes: s.yesTx ?? '?', no: s.noTx ?? '?' })}</div>}
    </section>
  );
}
