/**
 * App-wide state: settings (theme, language), backend info, running tasks,
 * the current screen, toasts and dialogs.
 */
import { create } from 'zustand';
import type { AppInfo, EventPayloads } from '../../../src-main/shared/ipc/contract';
import type { Language, MessageKey, Params } from '../i18n';

export type Screen = 'design' | 'provision' | 'dashboard' | 'drills' | 'settings';
export type DesignTab = 'canvas' | 'plan' | 'yaml';
export type ThemeSetting = 'light' | 'dark' | 'system';
export type Task = EventPayloads['task:update'];

/** A short message in the corner; `text` is for backend text that is not ours to translate. */
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  key: MessageKey;
  params?: Params;
}

/** Modal dialogs the shell can show. */
export type Dialog = { kind: 'new' } | { kind: 'guard'; then: () => void } | null;

export interface AppState {
  theme: ThemeSetting;
  language: Language;
  info?: AppInfo;
  /** Set when the backend cannot be reached. */
  offline: boolean;
  screen: Screen;
  designTab: DesignTab;
  tasks: Record<string, Task>;
  toasts: Toast[];
  dialog: Dialog;
  setTheme(t: ThemeSetting): void;
  setLanguage(l: Language): void;
  setScreen(s: Screen): void;
  setDesignTab(t: DesignTab): void;
  taskUpdate(t: Task): void;
  toast(kind: Toast['kind'], key: MessageKey, params?: Params): void;
  dismiss(id: number): void;
  setDialog(d: Dialog): void;
}

let nextToast = 1;
const saved = (k: string) => {
  try {
    return window.localStorage.getItem(k) ?? undefined;
  } catch {
    return undefined;
  }
};

export const useApp = create<AppState>()((set, get) => ({
  theme: (saved('halab.theme') as ThemeSetting | undefined) ?? 'system',
  language: (saved('halab.language') as Language | undefined) ?? (navigator.language.startsWith('ko') ? 'ko' : 'en'),
  offline: false,
  screen: 'design',
  designTab: 'canvas',
  tasks: {},
  toasts: [],
  dialog: null,
  setTheme(theme) {
    set({ theme });
    window.localStorage.setItem('halab.theme', theme);
  },
  setLanguage(language) {
    set({ language });
    window.localStorage.setItem('halab.language', language);
  },
  setScreen(screen) {
    set({ screen });
  },
  setDesignTab(designTab) {
    set({ designTab });
  },
  taskUpdate(t) {
    set({ tasks: { ...get().tasks, [t.id]: t } });
  },
  toast(kind, key, params) {
    const id = nextToast++;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, key, params }] });
    // Information fades quickly; errors stay long enough to read, then go (they never pile up over fields).
    setTimeout(() => get().dismiss(id), kind === 'info' ? 4000 : 10000);
  },
  dismiss(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
  setDialog(dialog) {
    set({ dialog });
  },
}));
