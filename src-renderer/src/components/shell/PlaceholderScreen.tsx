/**
 * Provision, Dashboard and Drills until their backends land: say so
 * plainly and what the screen will do.
 */
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';

export function PlaceholderScreen({ screen }: { screen: 'provision' | 'dashboard' | 'drills' }) {
  const t = useT();
  const ready = useApp((s) => s.info?.features[screen] ?? false);
  const name = t(`nav.${screen}`);
  return (
    <div className="placeholder" data-testid={`screen-${screen}`}>
      <div className="placeholder-card">
        <h2>{t('placeholder.title', { screen: name })}</h2>
        <p>{ready ? t('placeholder.ready', { screen: name }) : t('placeholder.body', { action: t(`placeholder.action.${screen}`) })}</p>
        <button type="button" onClick={() => useApp.getState().setScreen('design')}>
          {t('nav.design')}
        </button>
      </div>
    </div>
  );
}
