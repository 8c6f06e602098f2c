/**
 * The application shell: top bar, the current screen, status bar, dialogs
 * and toasts; theme and language applied to the document.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { DesignScreen } from './components/design/DesignScreen';
import { DashboardScreen } from './components/dashboard/DashboardScreen';
import { DrillsScreen } from './components/drills/DrillsScreen';
import { ProvisionScreen } from './components/provision/ProvisionScreen';
import { SettingsScreen } from './components/settings/SettingsScreen';
import { Dialogs } from './components/shell/Dialogs';
import { StartPage, useStartPageShown } from './components/shell/StartPage';
import { StatusBar } from './components/shell/StatusBar';
import { Toasts } from './components/shell/Toasts';
import { TopBar } from './components/shell/TopBar';
import { useApp } from './stores/app-store';
import { useBackend } from './useBackend';

const media = () => window.matchMedia('(prefers-color-scheme: dark)');

function useSystemDark(): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = media();
      m.addEventListener('change', cb);
      return () => m.removeEventListener('change', cb);
    },
    () => media().matches,
  );
}

export function App() {
  useBackend();
  const screen = useApp((s) => s.screen);
  const theme = useApp((s) => s.theme);
  const language = useApp((s) => s.language);
  const systemDark = useSystemDark();
  const start = useStartPageShown();
  const effective = theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
  useEffect(() => {
    document.documentElement.dataset.theme = effective;
    document.documentElement.lang = language;
  }, [effective, language]);
  return (
    <div className="app" data-testid="app">
      <TopBar />
      <main className="screen">
        {screen === 'design' && (start ? <StartPage /> : <DesignScreen />)}
        {screen === 'provision' && <ProvisionScreen />}
        {screen === 'dashboard' && <DashboardScreen />}
        {screen === 'drills' && <DrillsScreen />}
        {screen === 'settings' && <SettingsScreen />}
      </main>
      <StatusBar />
      <Dialogs />
      <Toasts />
    </div>
  );
}
