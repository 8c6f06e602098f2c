/**
 * Every error and warning of the shared validator; clicking one selects
 * the element it is about, centres it and focuses the field.
 */
import { issueText, type Issue } from '../../../../src-main/shared/blueprint/issues';
import { describePath } from '../../lib/describe';
import { useT } from '../../i18n/useT';
import { pathKey } from '../../lib/draft';
import { issueElement } from '../../lib/issue-map';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

/** Select and reveal what an issue is about. */
export function focusIssue(issue: Issue): void {
  const ed = useEditor.getState();
  ed.focus(issueElement(issue) ?? { kind: 'lab' });
  const key = pathKey(issue.key ? [...issue.path, issue.key] : issue.path);
  // The properties panel renders the field on the next frame; focus it then.
  requestAnimationFrame(() => {
    let k = key;
    for (;;) {
      const el = document.querySelector<HTMLElement>(`[data-path="${CSS.escape(k)}"]`);
      if (el) return el.focus();
      if (!k.includes('.')) return;
      k = k.slice(0, k.lastIndexOf('.'));
    }
  });
}

export function ProblemsPanel() {
  const t = useT();
  const lang = useApp((s) => s.language);
  const issues = useEditor((s) => s.validation.issues);
  const counts = useEditor((s) => s.issues);
  const data = useEditor((s) => s.data);
  // A lab with nothing placed is not "broken": no red count before the student has done anything.
  const fresh = data.nodes.length === 0 && data.networks.length === 0;
  return (
    <section className="problems" data-testid="problems" aria-label={t('problems.title')}>
      <header>
        <h3>{t('problems.title')}</h3>
        {!fresh && (
          <>
            <span className={`count${counts.errors ? ' count-error' : ''}`} data-testid="problems-errors">
              {t('status.errors', { count: counts.errors })}
            </span>
            <span className={`count${counts.warnings ? ' count-warning' : ''}`} data-testid="problems-warnings">
              {t('status.warnings', { count: counts.warnings })}
            </span>
          </>
        )}
      </header>
      {fresh ? (
        <p className="problems-none" data-testid="problems-fresh">
          {t('problems.fresh')}
        </p>
      ) : issues.length === 0 ? (
        <p className="problems-none" data-testid="problems-none">
          {t('problems.none')}
        </p>
      ) : (
        <ul>
          {issues.map((i, k) => {
            // The validator's catalog message in the UI's language (English text only for an issue without one).
            const text = issueText(i, lang);
            return (
            <li key={k}>
              <button type="button" className={`problem problem-${i.severity}`} data-testid="problem" data-code={i.code} data-path={undefined} onClick={() => focusIssue(i)}>
                <span className="problem-sev">{t(i.severity === 'error' ? 'problems.error' : 'problems.warning')}</span>
                <span className="problem-msg">{text.message}</span>
                {text.fix && <span className="problem-fix">{t('problems.fix', { fix: text.fix })}</span>}
                <span className="problem-path">{describePath(data, i.key ? [...i.path, i.key] : i.path, lang)}</span>
              </button>
            </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
