/**
 * Toasts: confirmations fade, errors stay until dismissed. Refused
 * connections from the editor arrive here too.
 */
import { useEffect } from 'react';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

export function Toasts() {
  const t = useT();
  const toasts = useApp((s) => s.toasts);
  const notice = useEditor((s) => s.notice);
  useEffect(() => {
    if (notice) useApp.getState().toast('error', notice.key, notice.params);
  }, [notice]);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} className={`toast toast-${x.kind}`} data-testid={`toast-${x.kind}`}>
          <span>{t(x.key, x.params)}</span>
          <button type="button" className="link" aria-label={t('toast.dismiss')} onClick={() => useApp.getState().dismiss(x.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
