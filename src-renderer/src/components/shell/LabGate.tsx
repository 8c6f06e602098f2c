/**
 * The lab screens (Provision, Dashboard, Drills) work on the open blueprint.
 * Without one, or while it has errors, they say so and point to the fix.
 */
import type { ReactNode } from 'react';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import { useT } from '../../i18n/useT';
import { useApp, type Screen } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { guardUnsaved } from '../../stores/file-actions';

export function LabGate({ screen, children }: { screen: Exclude<Screen, 'design'>; children: (lab: ResolvedLab) => ReactNode }) {
  const t = useT();
  const resolved = useEditor((s) => s.validation.resolved);
  const empty = useEditor((s) => s.data.nodes.length === 0);
  const errors = useEditor((s) => s.issues.errors);
  if (resolved && !empty) return <>{children(resolved)}</>;
  return (
    <div className="placeholder" data-testid={`screen-${screen}`}>
      <div className="placeholder-card" data-testid="lab-gate">
        <h2>{empty ? t('gate.emptyTitle') : t('gate.invalidTitle')}</h2>
        <p>{empty ? t('gate.emptyBody', { screen: t(`nav.${screen}`) }) : t('gate.invalidBody', { count: errors })}</p>
        <div className="row-actions">
          {empty && (
            <button type="button" className="primary" onClick={() => guardUnsaved(() => useApp.getState().setDialog({ kind: 'new' }))}>
              {t('gate.openShipped')}
            </button>
          )}
          <button type="button" onClick={() => useApp.getState().setScreen('design')}>
            {t('nav.design')}
          </button>
        </div>
      </div>
    </div>
  );
}

/** A small state icon: spinner, check, cross, dash or hollow dot. */
export function StateIcon({ state }: { state: 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'canceled' }) {
  const t = useT();
  const label = t(`stateIcon.${state}`);
  if (state === 'running') return <span className="spinner" role="img" aria-label={label} />;
  const glyph = state === 'done' ? '✓' : state === 'failed' ? '✕' : state === 'skipped' || state === 'canceled' ? '–' : '○';
  return (
    <span className={`state-icon state-${state}`} role="img" aria-label={label}>
      {glyph}
    </span>
  );
}
