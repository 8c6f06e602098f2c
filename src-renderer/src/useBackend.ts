/**
 * The one place the renderer talks to the backend at start-up and listens to
 * its events: app info (mode, host memory, features), settings, task
 * updates (a finished template task refreshes Settings), provisioning steps, monitor state and events, finished drills
 * into the stores.
 */
import { useEffect } from 'react';
import { api, call } from './api/client';
import { useApp } from './stores/app-store';
import { useEditor } from './stores/editor-store';
import { subscribeLabEvents } from './stores/lab-store';
import { subscribeMonitorEvents } from './stores/monitor-store';
import { useSettings } from './stores/settings-store';

export function useBackend(): void {
  useEffect(() => {
    let alive = true;
    call('app:info', {}).then(
      (info) => {
        if (!alive) return;
        useApp.setState({ info, offline: false });
        useEditor.getState().setHostMemory(info.hostMemoryMiB);
      },
      () => alive && useApp.setState({ offline: true }),
    );
    call('settings:get', {}).then(
      (s) => {
        // A choice made in this browser before the backend answered wins.
        if (!alive) return;
        if (!window.localStorage.getItem('halab.theme')) useApp.setState({ theme: s.theme });
        if (!window.localStorage.getItem('halab.language')) useApp.setState({ language: s.language });
      },
      () => undefined,
    );
    const off = api().on('task:update', (t) => {
      useApp.getState().taskUpdate(t);
      useSettings.getState().onTask(t);
    });
    const offLab = subscribeLabEvents();
    const offMonitor = subscribeMonitorEvents();
    // Tasks started before this page loaded (another tab, the CLI through the same backend).
    call('task:list', {}).then((list) => alive && list.forEach((t) => useApp.getState().taskUpdate(t)), () => undefined);
    // Persist theme and language changes to the backend's settings.
    const unsub = useApp.subscribe((s, prev) => {
      if (s.theme !== prev.theme || s.language !== prev.language) void api().invoke('settings:set', { theme: s.theme, language: s.language });
    });
    const onUnload = (e: BeforeUnloadEvent) => {
      if (useEditor.getState().isDirty()) e.preventDefault();
    };
    window.addEventListener('beforeunload', onUnload);
    return () => {
      alive = false;
      off();
      offLab();
      offMonitor();
      unsub();
      window.removeEventListener('beforeunload', onUnload);
    };
  }, []);
}
