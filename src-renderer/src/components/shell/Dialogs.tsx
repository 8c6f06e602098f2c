/**
 * Modal dialogs: "new lab" (empty or a shipped blueprint) and the
 * unsaved-changes guard.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { call } from '../../api/client';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { newEmpty, openShipped, save } from '../../stores/file-actions';
import { shippedLabTitle } from './StartPage';

/** A modal dialog: Escape or a click outside closes it. */
export function Modal({ title, children, onClose, testId }: { title: string; children: ReactNode; onClose: () => void; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    // Focus stays inside the dialog: it starts on the first control and Tab wraps around.
    const controls = () => [...(box.current?.querySelectorAll<HTMLElement>('button:not([disabled]), input:not([disabled]), select:not([disabled]), [tabindex="0"]') ?? [])];
    const before = document.activeElement as HTMLElement | null;
    if (!box.current?.contains(document.activeElement)) controls()[0]?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') return close.current();
      if (e.key !== 'Tab') return;
      const list = controls();
      if (list.length === 0) return;
      const first = list[0] as HTMLElement;
      const last = list[list.length - 1] as HTMLElement;
      const i = list.indexOf(document.activeElement as HTMLElement);
      if (e.shiftKey && (i <= 0)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (i === -1 || i === list.length - 1)) {
        e.preventDefault();
        first.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (before?.isConnected) before.focus();
    };
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" ref={box} role="dialog" aria-modal="true" aria-label={title} data-testid={testId}>
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
            <b>{shippedLabTitle(t, s.id, s.title)}</b>
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
