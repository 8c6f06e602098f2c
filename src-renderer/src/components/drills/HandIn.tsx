/**
 * "Report to hand in": `halab report` from the window (HTML, Markdown or
 * PDF in the UI's language). A lab with no drills yet still gives the plan
 * part; the PDF needs headless Chromium on the computer running the app,
 * and the error says so when there is none.
 */
import { useT } from '../../i18n/useT';
import { handIn, useHandIn, type HandInFormat } from '../../stores/hand-in';

export function HandInPanel() {
  const t = useT();
  const busy = useHandIn((s) => s.busy);
  const button = (f: HandInFormat) => (
    <button type="button" className="small" data-testid={`hand-in-${f}`} disabled={!!busy} onClick={() => void handIn(f)}>
      {t(`handIn.${f}`)}
    </button>
  );
  return (
    <section className="panel" data-testid="hand-in">
      <h3>{t('handIn.title')}</h3>
      <p className="muted small-text">{t('handIn.lead')}</p>
      <div className="row-actions">
        {button('html')}
        {button('md')}
        {button('pdf')}
      </div>
      {busy && (
        <p className="muted small-text" data-testid="hand-in-busy">
          {t('handIn.making')}
        </p>
      )}
    </section>
  );
}
