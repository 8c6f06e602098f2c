/**
 * Pre-flight on the Provision screen: on VMware the host's VMnets against the
 * blueprint's (a vmnet8 clash) and other lines `up` would meet, shown before
 * anything runs (on Incus/LXD: the server, each network, where each VM runs); and the confirm dialog for a clash — reconfigure vmnet8
 * (other VMs on it are affected) or edit the blueprint.
 */
import { render } from '../../../../src-main/shared/i18n';
import type { VmnetClash } from '../../../../src-main/shared/ipc/contract';
import { useT } from '../../i18n/useT';
import { clashParams, preflightLines } from '../../lib/settings-model';
import { useApp } from '../../stores/app-store';
import { useLab } from '../../stores/lab-store';
import { CheckNote, FailureNote } from '../settings/CheckNote';
import { Modal } from '../shell/Dialogs';

export function Preflight({ lab }: { lab: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const pf = useLab((s) => s.preflight[lab]);
  if (!pf || (pf.provider !== 'vmware' && pf.provider !== 'incus')) return null;
  const problems = pf.result ? preflightLines(pf.result) : [];
  // Incus/LXD: every line, the ok ones too (where each VM runs is worth seeing before up).
  const lines = pf.provider === 'incus' && pf.result ? pf.result.lines : problems;
  return (
    <div className="preflight" data-testid="preflight" data-state={pf.loading ? 'loading' : pf.error ? 'failed' : pf.result?.clashes.length ? 'clash' : 'ok'}>
      <h3>{t('provision.preflight.title')}</h3>
      {pf.loading && !pf.result && <p className="muted small-text">{t('provision.preflight.checking')}</p>}
      {pf.error && <FailureNote failure={pf.error} textKey="provision.preflight.failed" testId="preflight-error" />}
      {pf.result?.clashes.map((c) => (
        <div key={c.vmnet} className="check-note check-note-warning" data-testid={`clash-${c.vmnet}`}>
          <div className="check-note-text">
            <b>{t('provision.clash', clashParams(c))}</b>
            <div className="check-note-fix">{c.msg ? render(lang, c.msg) : c.message}</div>
          </div>
        </div>
      ))}
      {lines.map((l) => (
        <CheckNote key={l.id} line={l} testId={`preflight-line-${l.id}`} />
      ))}
      {pf.result && !pf.result.clashes.length && !lines.length && <p className="muted small-text" data-testid="preflight-ok">{t('provision.preflight.ok')}</p>}
      {problems.length > 0 && (
        <button type="button" className="small" data-testid="preflight-settings" onClick={() => useApp.getState().setScreen('settings')}>
          {t('provision.openSettings')}
        </button>
      )}
    </div>
  );
}

export function ClashDialog({ clashes, onReconfigure, onEdit, onClose }: { clashes: VmnetClash[]; onReconfigure: () => void; onEdit: () => void; onClose: () => void }) {
  const t = useT();
  const first = clashes[0]!;
  const p = clashParams(first);
  // `up` can change only vmnet8 (NAT); another VMnet with another subnet is the blueprint's to change.
  const canReconfigure = clashes.every((c) => c.vmnet === 'vmnet8');
  return (
    <Modal title={t('clash.title', p)} onClose={onClose} testId="dialog-clash">
      {clashes.map((c) => (
        <p key={c.vmnet} data-testid="clash-line">
          <b>{t('provision.clash', clashParams(c))}</b>
        </p>
      ))}
      <p>{t('clash.body', p)}</p>
      <p className="clash-affects" data-testid="clash-affects">
        {t('clash.affects', p)}
      </p>
      <p className="muted small-text">{t('clash.editHint', p)}</p>
      <div className="modal-actions">
        <button type="button" onClick={onClose} data-testid="clash-cancel">
          {t('dialog.cancel')}
        </button>
        <button type="button" data-testid="clash-edit" onClick={onEdit}>
          {t('clash.edit')}
        </button>
        {canReconfigure && (
          <button type="button" className="danger" data-testid="clash-reconfigure" onClick={onReconfigure}>
            {t('clash.reconfigure', p)}
          </button>
        )}
      </div>
    </Modal>
  );
}
