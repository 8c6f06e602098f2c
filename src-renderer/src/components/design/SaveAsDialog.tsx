/**
 * Web mode's "Save as…": a small dialog asking for the file name (the
 * current one, or 제목없음.yaml / untitled.yaml for a new lab) before the
 * browser downloads it. Enter saves, Escape cancels.
 */
import { useEffect, useRef, useState } from 'react';
import { useT } from '../../i18n/useT';
import { fileNameFrom, useSaveAsPrompt } from '../../stores/file-actions';
import { Modal } from '../shell/Dialogs';

export function SaveAsDialog() {
  const proposed = useSaveAsPrompt((s) => s.proposed);
  if (proposed === undefined) return null;
  return <SaveAsForm key={proposed} proposed={proposed} />;
}

function SaveAsForm({ proposed }: { proposed: string }) {
  const t = useT();
  const [text, setText] = useState(proposed);
  const [tried, setTried] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const answer = (name: string | null) => useSaveAsPrompt.getState().answer?.(name);
  const result = fileNameFrom(text);
  useEffect(() => {
    // Like a native dialog: the name is selected without its extension.
    const el = input.current;
    if (!el) return;
    el.focus();
    const dot = proposed.lastIndexOf('.');
    el.setSelectionRange(0, dot > 0 ? dot : proposed.length);
  }, [proposed]);
  return (
    <Modal title={t('saveAs.title')} onClose={() => answer(null)} testId="dialog-save-as">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setTried(true);
          if ('name' in result) answer(result.name);
        }}
      >
        <div className="field">
          <label htmlFor="save-as-name">{t('saveAs.name')}</label>
          <input id="save-as-name" ref={input} className="mono" data-testid="save-as-name" value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
          {tried && 'error' in result && (
            <div className="field-issues" data-testid="save-as-error">
              <div className="field-error">{t(result.error)}</div>
            </div>
          )}
        </div>
        <p className="muted">{t('saveAs.hint')}</p>
        <div className="modal-actions">
          <button type="button" data-testid="save-as-cancel" onClick={() => answer(null)}>
            {t('dialog.cancel')}
          </button>
          <button type="submit" className="primary" data-testid="save-as-save">
            {t('saveAs.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
