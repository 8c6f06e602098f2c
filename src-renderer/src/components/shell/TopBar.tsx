/**
 * The top bar: product name, screen navigation, theme and language.
 */
import { useT } from '../../i18n/useT';
import type { Language } from '../../i18n';
import { isDirty } from '../../lib/settings-model';
import { useApp, type Screen, type ThemeSetting } from '../../stores/app-store';
import { useSettings } from '../../stores/settings-store';

const SCREENS: Screen[] = ['design', 'provision', 'dashboard', 'drills', 'settings'];

export function TopBar() {
  const t = useT();
  const screen = useApp((s) => s.screen);
  const theme = useApp((s) => s.theme);
  const language = useApp((s) => s.language);
  const features = useApp((s) => s.info?.features);
  const settingsDirty = useSettings((s) => isDirty(s.draft, s.saved));
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <svg width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
            <circle cx="12" cy="5" r="2.5" />
            <circle cx="5" cy="18" r="2.5" />
            <circle cx="19" cy="18" r="2.5" />
            <path d="M12 7.5v4M12 11.5L6.5 16M12 11.5l5.5 4.5" />
          </svg>
        </span>
        {t('app.title')}
      </div>
      <nav aria-label={t('nav.label')} className="nav">
        {SCREENS.map((s) => (
          <button key={s} type="button" className={screen === s ? 'on' : undefined} aria-current={screen === s ? 'page' : undefined} data-testid={`nav-${s}`} onClick={() => useApp.getState().setScreen(s)}>
            {t(`nav.${s}`)}
            {s !== 'design' && s !== 'settings' && !features?.[s] && <span className="soon" aria-hidden="true" />}
            {s === 'settings' && settingsDirty && <span className="unsaved-dot" title={t('settings.unsaved')} data-testid="settings-unsaved-dot" />}
          </button>
        ))}
      </nav>
      <div className="topbar-end">
        <label className="select-label">
          <span>{t('shell.theme')}</span>
          <select data-testid="theme-select" value={theme} onChange={(e) => useApp.getState().setTheme(e.target.value as ThemeSetting)}>
            <option value="light">{t('shell.theme.light')}</option>
            <option value="dark">{t('shell.theme.dark')}</option>
            <option value="system">{t('shell.theme.system')}</option>
          </select>
        </label>
        <label className="select-label">
          <span>{t('shell.language')}</span>
          <select data-testid="language-select" value={language} onChange={(e) => useApp.getState().setLanguage(e.target.value as Language)}>
            <option value="en">English</option>
            <option value="ko">한국어</option>
          </select>
        </label>
      </div>
    </header>
  );
}
