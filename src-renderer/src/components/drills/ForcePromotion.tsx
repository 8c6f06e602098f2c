/**
 * When the last `db-primary-down` report says the promotion was refused:
 * why (the drill's own reasons in the UI's language, and whether semi-sync
 * had fallen back to async), and — when forcing can help — "Run again and
 * force promotion" behind a confirm dialog that says acknowledged
 * transactions may be lost, and how many the last run counted.
 * `halab drill FILE db-primary-down --force-promotion` from the window.
 */
import { useEffect, useState } from 'react';
import type { DrillReport } from '../../../../src-main/shared/drills/report';
import { render } from '../../../../src-main/shared/i18n';
import { call } from '../../api/client';
import { useT } from '../../i18n/useT';
import { lastPromotionReport, promotionRefusal, type PromotionRefusal } from '../../lib/force-promotion';
import { useApp } from '../../stores/app-store';
import { useLab } from '../../stores/lab-store';
import { Modal } from '../shell/Dialogs';

export function ForcePromotion({ lab, disabled, disabledWhy }: { lab: string; disabled: boolean; disabledWhy?: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const last = useLab((s) => lastPromotionReport(s.reports[lab]?.list));
  const [refusal, setRefusal] = useState<PromotionRefusal | undefined>();
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    let live = true;
    setRefusal(undefined);
    if (!last || last.verdict === 'passed') return;
    call('drill:report', { lab, id: last.id, format: 'json' })
      .then((r) => live && setRefusal(r.report ? promotionRefusal(r.report as DrillReport) : undefined))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [lab, last?.id, last?.verdict]);
  if (!refusal) return null;
  const ss = refusal.semiSync;
  const count = refusal.transactionsLost;
  return (
    <section className="panel" data-testid="force-promotion" data-report={refusal.reportId}>
      <h3>{t('force.title')}</h3>
      <p className="muted">{t('force.why')}</p>
      <ul className="force-reasons" data-testid="force-reasons">
        {refusal.reasons.length ? refusal.reasons.map((m, i) => <li key={i}>{render(lang, m)}</li>) : <li>{refusal.detail}</li>}
      </ul>
      {refusal.fellBack && ss ? (
        <p className="field-warning" data-testid="force-fell-back">
          {t('force.fellBack', { noTx: ss.noTx ?? '?' })}
        </p>
      ) : (
        refusal.forcible && !ss?.enabled && <p className="muted">{t('force.async')}</p>
      )}
      {count !== undefined && <p data-testid="force-count">{t('force.lacked', { count })}</p>}
      {refusal.forcible ? (
        <button type="button" className="danger" data-testid="force-run" disabled={disabled} title={disabled ? disabledWhy : undefined} onClick={() => setAsking(true)}>
          {t('force.run')}
        </button>
      ) : (
        <p className="muted" data-testid="force-not-forcible">
          {t('force.notForcible')}
        </p>
      )}
      {asking && (
        <Modal title={t('force.confirmTitle')} onClose={() => setAsking(false)} testId="dialog-force">
          <p>{t('force.confirmBody')}</p>
          <p data-testid="force-confirm-count">
            <b>{count !== undefined ? t('force.confirmCount', { count }) : t('force.confirmUnknown')}</b>
          </p>
          <div className="modal-actions">
            <button type="button" data-testid="force-cancel" onClick={() => setAsking(false)}>
              {t('dialog.cancel')}
            </button>
            <button
              type="button"
              className="danger"
              data-testid="force-confirm"
              onClick={() => {
                setAsking(false);
                void useLab.getState().runDrill('db-primary-down', { forcePromotion: true });
              }}
            >
              {t('force.confirm')}
            </button>
          </div>
        </Modal>
      )}
    </section>
  );
}
