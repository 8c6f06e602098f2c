/**
 * The Settings screen's state: the saved host settings, the form's draft,
 * the live check of what is typed (debounced `settings:check`), save, file
 * pickers, the Doctor panel and the one-step template task. Backend
 * messages are shown as they come (they are not ours to translate).
 */
import { create } from 'zustand';
import type { DoctorReport, Settings, SettingsCheck } from '../../../src-main/shared/ipc/contract';
import { call } from '../api/client';
import { checkPayload, draftFrom, isDirty, mergeTemplates, newRow, rowProblems, savePayload, type SettingsDraft } from '../lib/settings-model';
import { useApp, type Task } from './app-store';

/** How long typing must pause before the values are checked. */
export const CHECK_DEBOUNCE_MS = 350;

export type PickPurpose = 'template-vmx' | 'ova' | 'folder' | 'vmrun';

/** A backend error as the screen shows it: its message, and its code (e.g. `not-available`). */
export interface Failure {
  message: string;
  code?: string;
}

const failure = (e: unknown): Failure => ({ message: (e as Error).message, code: (e as { code?: string }).code });

export interface SettingsState {
  saved?: Settings;
  loadError?: Failure;
  draft: SettingsDraft;
  check?: SettingsCheck;
  checkError?: Failure;
  checking: boolean;
  saving: boolean;
  saveError?: Failure;
  /** Set when the user tried to save while a template row was incomplete. */
  rowsRefused: boolean;
  pickError?: Failure;
  doctor: { provider: 'vmware' | 'linux'; running?: 'quick' | 'full'; report?: DoctorReport; error?: Failure; withLab: boolean };
  template: { from: string; taskId?: string; os: string; startError?: Failure };
  load(): Promise<void>;
  edit(patch: Partial<SettingsDraft>): void;
  editRow(key: number, patch: { os?: string; path?: string }): void;
  addRow(): void;
  removeRow(key: number): void;
  revert(): void;
  checkNow(): Promise<void>;
  save(): Promise<boolean>;
  /** Desktop: a native picker; web answers `not-available` and the path field stays the way in. */
  pick(purpose: PickPurpose): Promise<string | undefined>;
  setDoctor(patch: Partial<Pick<SettingsState['doctor'], 'provider' | 'withLab'>>): void;
  runDoctor(quick: boolean, text?: string): Promise<void>;
  setTemplateFrom(from: string): void;
  createTemplate(): Promise<void>;
  /** Cancel a template task (this tab's unless `id` names another). */
  cancelTemplate(id?: string): Promise<void>;
  /** A `task:update`: when our template task ends well, the new template joins the list. */
  onTask(t: Task): void;
}

let timer: ReturnType<typeof setTimeout> | undefined;
let checkSeq = 0;

const EMPTY: SettingsDraft = { vmrunPath: '', templates: [], sshUser: '', labsDir: '', vmwareEtcDir: '' };

export const useSettings = create<SettingsState>()((set, get) => {
  const scheduleCheck = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void get().checkNow(), CHECK_DEBOUNCE_MS);
  };
  return {
    draft: EMPTY,
    checking: false,
    saving: false,
    rowsRefused: false,
    doctor: { provider: 'vmware', withLab: true },
    template: { from: '', os: 'ubuntu-22.04' },

    async load() {
      try {
        const saved = await call('settings:get', {});
        // Coming back to the screen keeps what was typed and not saved yet.
        const keep = isDirty(get().draft, get().saved);
        set({ saved, ...(keep ? {} : { draft: draftFrom(saved), saveError: undefined, rowsRefused: false }), loadError: undefined });
      } catch (e) {
        set({ loadError: failure(e) });
      }
      await get().checkNow();
    },

    edit(patch) {
      set({ draft: { ...get().draft, ...patch }, saveError: undefined });
      scheduleCheck();
    },

    editRow(key, patch) {
      const d = get().draft;
      set({ draft: { ...d, templates: d.templates.map((r) => (r.key === key ? { ...r, ...patch } : r)) }, saveError: undefined });
      scheduleCheck();
    },

    addRow() {
      const d = get().draft;
      set({ draft: { ...d, templates: [...d.templates, newRow()] } });
    },

    removeRow(key) {
      const d = get().draft;
      set({ draft: { ...d, templates: d.templates.filter((r) => r.key !== key) }, saveError: undefined });
      scheduleCheck();
    },

    revert() {
      const saved = get().saved;
      if (!saved) return;
      set({ draft: draftFrom(saved), saveError: undefined, rowsRefused: false });
      scheduleCheck();
    },

    async checkNow() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const seq = ++checkSeq;
      set({ checking: true });
      try {
        const check = await call('settings:check', checkPayload(get().draft, get().saved));
        // Only the answer to the latest values counts.
        if (seq === checkSeq) set({ check, checkError: undefined, checking: false });
      } catch (e) {
        if (seq === checkSeq) set({ check: undefined, checkError: failure(e), checking: false });
      }
    },

    async save() {
      const d = get().draft;
      if (rowProblems(d.templates).length) {
        set({ rowsRefused: true });
        return false;
      }
      set({ saving: true, saveError: undefined, rowsRefused: false });
      try {
        const saved = await call('settings:set', savePayload(d));
        // Keep the rows the user sees (and their keys); drop fully empty ones.
        set({ saved, saving: false, draft: { ...draftFrom(saved), templates: d.templates.filter((r) => r.os.trim() || r.path.trim()) } });
        useApp.getState().toast('info', 'settings.saved');
        void get().checkNow();
        return true;
      } catch (e) {
        set({ saving: false, saveError: failure(e) });
        return false;
      }
    },

    async pick(purpose) {
      set({ pickError: undefined });
      try {
        const r = await call('file:pick', { purpose });
        return r?.path;
      } catch (e) {
        set({ pickError: failure(e) });
        return undefined;
      }
    },

    setDoctor(patch) {
      set({ doctor: { ...get().doctor, ...patch } });
    },

    async runDoctor(quick, text) {
      const { provider } = get().doctor;
      set({ doctor: { ...get().doctor, running: quick ? 'quick' : 'full', error: undefined } });
      try {
        const report = await call('doctor:run', { provider, quick, ...(text ? { text } : {}) });
        set({ doctor: { ...get().doctor, running: undefined, report } });
      } catch (e) {
        set({ doctor: { ...get().doctor, running: undefined, report: undefined, error: failure(e) } });
      }
    },

    setTemplateFrom(from) {
      set({ template: { ...get().template, from } });
    },

    async createTemplate() {
      const tpl = get().template;
      set({ template: { ...tpl, startError: undefined } });
      try {
        const from = tpl.from.trim();
        const { taskId } = await call('template:create', { os: tpl.os, ...(from ? { from } : {}) });
        set({ template: { ...get().template, taskId } });
      } catch (e) {
        set({ template: { ...get().template, taskId: undefined, startError: failure(e) } });
      }
    },

    async cancelTemplate(taskId) {
      const id = taskId ?? get().template.taskId;
      if (!id) return;
      try {
        await call('task:cancel', { id });
      } catch (e) {
        useApp.getState().toast('error', 'error.backend', { message: (e as Error).message });
      }
    },

    onTask(t) {
      // Any template task (this tab's, another tab's, the CLI's through this backend) may add one.
      if (t.kind !== 'template' || t.state !== 'done') return;
      void call('settings:get', {}).then(
        (saved) => {
          set({ saved, draft: mergeTemplates(get().draft, get().saved, saved) });
          void get().checkNow();
        },
        (e: unknown) => set({ loadError: failure(e) }),
      );
    },
  };
});
