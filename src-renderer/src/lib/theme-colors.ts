/**
 * Chart colours from the theme's CSS variables (SVG attributes cannot use
 * var()), read again whenever the applied theme (`<html data-theme>`) changes.
 */
import { useMemo, useSyncExternalStore } from 'react';

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  surface: string;
  accent: string;
  ok: string;
  error: string;
  warning: string;
  vip: string;
  series: string[];
}

const read = (name: string, fallback: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

function subscribe(cb: () => void): () => void {
  const obs = new MutationObserver(cb);
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => obs.disconnect();
}

export function useChartColors(): ChartColors {
  const theme = useSyncExternalStore(subscribe, () => document.documentElement.dataset.theme ?? 'light');
  return useMemo(
    () => ({
      text: read('--text', '#1c2333'),
      muted: read('--muted', '#6b7385'),
      grid: read('--border', '#e2e6ef'),
      surface: read('--surface', '#ffffff'),
      accent: read('--accent', '#4f46e5'),
      ok: read('--ok', '#059669'),
      error: read('--error', '#dc2626'),
      warning: read('--warning', '#b45309'),
      vip: read('--vip', '#a21caf'),
      series: [read('--role-loadbalancer', '#2563eb'), read('--role-database', '#d97706'), read('--role-monitoring', '#db2777'), read('--role-nfs', '#0891b2')],
    }),
    [theme],
  );
}

/** HH:MM:SS of an epoch time. */
export const clock = (at: number) => new Date(at).toLocaleTimeString([], { hour12: false });
