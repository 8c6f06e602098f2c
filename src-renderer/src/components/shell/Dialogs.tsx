/**
 * Modal dialogs: "new lab" (empty or a shipped blueprint) and the
 * unsaved-changes guard.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { call } from '../../api/client';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { newEmpty, openShipped, save } from '../../stores/file-actions';

/** A modal dialog: Escape or a click outside closes it. */
export function Modal({ title, children, onClose, testId }: { title: string; children: ReactNode; onClose: () => void; testId: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} data-testid={testId}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  );
}

function NewLabDialog() {
  const t = useT();
  const close = () => useApp.getState().setDialog(null);
  const [shipped, setShipped] = useState<{ id: string; title: string }[] | string | undefined>();
  useEffect(() => {
    call('blueprint:list-shipped', {}).then(setShipped, (e: Error) => setShipped(e.message));
  }, []);
  return (
    <Modal title={t('newDialog.title')} onClose={close} testId="dialog-new">
      <button type="button" className="choice" data-testid="new-empty" onClick={() => {
        close();
        newEmpty();
      }}>
        <b>{t('newDialog.empty')}</b>
        <span>{t('newDialog.emptyHint')}</span>
      </button>
      <h3>{t('newDialog.shipped')}</h3>
      {shipped === undefined && <p className="muted">{t('newDialog.loading')}</p>}
      {typeof shipped === 'string' && <p className="field-error">{t('newDialog.noShipped', { reason: shipped })}</p>}
      {Array.isArray(shipped) &&
        shipped.map((s) => (
          <button key={s.id} type="button" className="choice" data-testid={`new-shipped-${s.id}`} onClick={() => {
            close();
            void openShipped(s.id);
          }}>
            <b>{s.title}</b>
            <span className="mono">{s.id}</span>
          </button>
        ))}
      <div className="modal-actions">
        <button type="button" onClick={close}>
          {t('dialog.cancel')}
        </button>
      </div>
    </Modal>
  );
}

function GuardDialog({ then }: { then: () => void }) {
  const t = useT();
  const name = useEditor((s) => s.file.name);
  const close = () => useApp.getState().setDialog(null);
  return (
    <Modal title={t('guard.title')} onClose={close} testId="dialog-guard">
      <p>{t('guard.body', { name })}</p>
      <div className="modal-actions">
        <button type="button" onClick={close} data-testid="guard-cancel">
          {t('dialog.cancel')}
        </button>
        <button type="button" data-testid="guard-save" onClick={async () => {
          close();
          if (await save(false)) then();
        }}>
          {t('guard.save')}
        </button>
        <button type="button" className="danger" data-testid="guard-discard" onClick={() => {
          close();
          then();
        }}>
          {t('guard.discard')}
        </button>
      </div>
    </Modal>
  );
}

export function Dialogs() {
  const dialog = useApp((s) => s.dialog);
  if (!dialog) return null;
  return dialog.kind === 'new' ? <NewLabDialog /> : <GuardDialog then={dialog.then} />;
}
