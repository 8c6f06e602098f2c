/**
 * The lab of the open blueprint on this computer: its status, provisioning
 * progress per task (rows per VM from `lab:step`, a bounded live log), drill
 * reports, and the commands (up, down, cancel, run a drill, export a report).
 * Backend texts carrying a catalog message are rendered in the UI's language; others are shown as they come.
 */
import { create } from 'zustand';
import type { DrillName } from '../../../src-main/shared/blueprint/schema';
import type { DrillReport } from '../../../src-main/shared/drills/report';
import type { DrillReportSummary, EventPayloads, LabStatusResult, PreflightResult } from '../../../src-main/shared/ipc/contract';
import { api, call, transportMode } from '../api/client';
import { render } from '../../../src-main/shared/i18n';
import { applyStep, emptyRow, logLine, type VmProgress } from '../lib/lab-steps';
import { useApp, type Task } from './app-store';
import { useEditor } from './editor-store';
import { download } from './file-actions';

export type ProviderKind = 'vmware' | 'linux' | 'incus';

export interface TaskProgress {
  rows: Record<string, VmProgress>;
  log: { at: number; line: string; bad: boolean }[];
}

export interface LabStore {
  /** Lab name → its last status (or the error that prevented it). */
  status: Record<string, { result?: LabStatusResult; error?: string; loading: boolean }>;
  /** Task id → progress built from `lab:step` events. */
  progress: Record<string, TaskProgress>;
  /** Lab name → reports, newest first. */
  reports: Record<string, { list?: DrillReportSummary[]; error?: string }>;
  /** Task id → the drill's summary when it finished. */
  finished: Record<string, DrillReportSummary>;
  /** Lab name → what `up` would meet on this host (VMware: the host's VMnets against the blueprint's), for the provider asked. */
  preflight: Record<string, { provider: ProviderKind; loading: boolean; result?: PreflightResult; error?: { message: string; code?: string } }>;
  /** The Provision screen's choices (kept while the user visits other screens). */
  choice: { provider?: ProviderKind; stage: 'all' | 'vms' };
  setChoice(c: Partial<LabStore['choice']>): void;
  /** The report shown in the Drills screen. */
  open?: { lab: string; id: string; report?: DrillReport; error?: string };
  refreshStatus(): Promise<void>;
  /** Ask `lab:preflight` for the open blueprint; resolves with the result (undefined when the check could not run). */
  runPreflight(provider: ProviderKind): Promise<PreflightResult | undefined>;
  /** `reconfigureVmnet8`: the user said yes to changing the host's vmnet8 (restored by Down). */
  up(provider: ProviderKind, stage: 'all' | 'vms', opts?: { reconfigureVmnet8?: boolean }): Promise<void>;
  down(): Promise<void>;
  cancel(taskId: string): Promise<void>;
  /** `forcePromotion`: db-primary-down promotes even when acknowledged rows would be lost (the student confirmed). */
  runDrill(drill: DrillName, opts?: { forcePromotion?: boolean }): Promise<void>;
  refreshReports(lab: string): Promise<void>;
  openReport(lab: string, id: string): Promise<void>;
  closeReport(): void;
  exportReport(lab: string, id: string, format: 'md' | 'html'): Promise<void>;
  onStep(e: EventPayloads['lab:step']): void;
  onDrillFinished(e: EventPayloads['drill:finished']): void;
}

const LOG_MAX = 1500;
const KEEP_TASKS = 6;

/** The blueprint text and lab name of the open blueprint, or undefined when it does not validate. */
export function currentLab(): { text: string; lab: string } | undefined {
  const ed = useEditor.getState();
  const lab = ed.validation.resolved?.name;
  if (!lab) return undefined;
  return { text: ed.serialize(), lab };
}

/** Tasks of a lab, oldest first. */
export function tasksOf(tasks: Record<string, Task>, lab: string | undefined, kinds: Task['kind'][]): Task[] {
  return Object.values(tasks).filter((t) => t.lab === lab && kinds.includes(t.kind));
}

function failed(e: unknown): void {
  useApp.getState().toast('error', 'error.backend', { message: (e as Error).message });
}

export const useLab = create<LabStore>()((set, get) => ({
  status: {},
  progress: {},
  reports: {},
  finished: {},
  preflight: {},
  choice: { stage: 'all' },

  setChoice(c) {
    set({ choice: { ...get().choice, ...c } });
  },

  async refreshStatus() {
    const cur = currentLab();
    if (!cur) return;
    const prev = get().status[cur.lab];
    set({ status: { ...get().status, [cur.lab]: { ...prev, loading: true } } });
    try {
      const result = await call('lab:status', { text: cur.text });
      set({ status: { ...get().status, [cur.lab]: { result, loading: false } } });
    } catch (e) {
      set({ status: { ...get().status, [cur.lab]: { result: prev?.result, error: (e as Error).message, loading: false } } });
    }
  },

  async runPreflight(provider) {
    const cur = currentLab();
    if (!cur) return undefined;
    set({ preflight: { ...get().preflight, [cur.lab]: { ...get().preflight[cur.lab], provider, loading: true } } });
    try {
      const result = await call('lab:preflight', { text: cur.text, provider });
      set({ preflight: { ...get().preflight, [cur.lab]: { provider, loading: false, result } } });
      return result;
    } catch (e) {
      set({ preflight: { ...get().preflight, [cur.lab]: { provider, loading: false, error: { message: (e as Error).message, code: (e as { code?: string }).code } } } });
      return undefined;
    }
  },

  async up(provider, stage, opts) {
    const cur = currentLab();
    if (!cur) return;
    try {
      const { taskId } = await call('lab:up', { text: cur.text, provider, stage, ...(opts?.reconfigureVmnet8 ? { reconfigureVmnet8: true } : {}) });
      // Every VM starts as a pending row so the table is complete before its first step.
      const vms = useEditor.getState().validation.resolved?.nodes.map((n) => n.hostname) ?? [];
      const p = get().progress[taskId] ?? { rows: {}, log: [] };
      const rows = { ...Object.fromEntries(vms.map((v) => [v, emptyRow(v)])), ...p.rows };
      set({ progress: trim({ ...get().progress, [taskId]: { ...p, rows } }) });
    } catch (e) {
      failed(e);
    }
  },

  async down() {
    const cur = currentLab();
    if (!cur) return;
    try {
      await call('lab:down', { text: cur.text });
    } catch (e) {
      failed(e);
    }
  },

  async cancel(taskId) {
    try {
      await call('task:cancel', { id: taskId });
    } catch (e) {
      failed(e);
    }
  },

  async runDrill(drill, opts) {
    const cur = currentLab();
    if (!cur) return;
    try {
      // The report files beside report.json in the UI's language, as `halab drill --lang` writes them.
      await call('drill:run', { text: cur.text, drill, lang: useApp.getState().language, ...(opts?.forcePromotion ? { forcePromotion: true } : {}) });
    } catch (e) {
      failed(e);
    }
  },

  async refreshReports(lab) {
    try {
      const list = await call('drill:reports', { lab });
      set({ reports: { ...get().reports, [lab]: { list } } });
    } catch (e) {
      set({ reports: { ...get().reports, [lab]: { list: get().reports[lab]?.list, error: (e as Error).message } } });
    }
  },

  async openReport(lab, id) {
    set({ open: { lab, id } });
    try {
      const r = await call('drill:report', { lab, id, format: 'json' });
      if (get().open?.id === id) set({ open: { lab, id, report: r.report } });
    } catch (e) {
      if (get().open?.id === id) set({ open: { lab, id, error: (e as Error).message } });
    }
  },

  closeReport() {
    set({ open: undefined });
  },

  async exportReport(lab, id, format) {
    const app = useApp.getState();
    const name = `${lab}-${id}.${format}`;
    try {
      const { text } = await call('drill:report', { lab, id, format, lang: app.language });
      if (transportMode() === 'web') {
        download(name, text, format === 'md' ? 'text/markdown' : 'text/html');
        app.toast('info', 'file.exported', { name });
        return;
      }
      const r = await call('file:save', { text, suggestedName: name });
      if (r) app.toast('info', 'file.exported', { name: r.path.split(/[\\/]/).pop() ?? name });
    } catch (e) {
      app.toast('error', 'file.saveFailed', { reason: (e as Error).message });
    }
  },

  onStep(e) {
    const p = get().progress[e.taskId] ?? { rows: {}, log: [] };
    // Texts in the UI's language when the event carries a catalog message; a step is named by its title.
    const lang = useApp.getState().language;
    const entry = { at: e.at, line: logLine(e, lang, e.titleMsg ? render(lang, e.titleMsg) : p.rows[e.vm ?? '']?.running[e.step]), bad: e.type === 'failed' };
    const log = p.log.length >= LOG_MAX ? [...p.log.slice(p.log.length - LOG_MAX + 1), entry] : [...p.log, entry];
    set({ progress: trim({ ...get().progress, [e.taskId]: { rows: applyStep(p.rows, e, lang), log } }) });
  },

  onDrillFinished(e) {
    set({ finished: { ...get().finished, [e.taskId]: e.summary } });
    void get().refreshReports(e.lab);
    useApp.getState().toast('info', 'drills.finishedToast', { title: e.summary.title, verdict: e.summary.verdict });
  },
}));

/** Keep the progress of the newest tasks only. */
function trim(p: Record<string, TaskProgress>): Record<string, TaskProgress> {
  const keys = Object.keys(p);
  if (keys.length <= KEEP_TASKS) return p;
  return Object.fromEntries(keys.slice(keys.length - KEEP_TASKS).map((k) => [k, p[k]!]));
}

/** VM steps that change what `lab:status` reports (power, addresses). */
const CHANGES_STATUS = /^vm:[^:]+:(create|start|system)$/;
let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** Listen to the lab events of the backend; returns the unsubscribe function. */
export function subscribeLabEvents(): () => void {
  const offs = [
    api().on('lab:step', (e) => {
      useLab.getState().onStep(e);
      // While the open lab is provisioned, the Power and Addresses columns follow (at most once a second).
      if (e.type === 'done' && CHANGES_STATUS.test(e.step) && useApp.getState().tasks[e.taskId]?.lab === useEditor.getState().validation.resolved?.name && !statusTimer) {
        statusTimer = setTimeout(() => {
          statusTimer = undefined;
          void useLab.getState().refreshStatus();
        }, 1000);
      }
    }),
    api().on('drill:finished', (e) => useLab.getState().onDrillFinished(e)),
    // A finished up/down changes the lab: ask again what is running.
    api().on('task:update', (t) => {
      if (t.state !== 'running' && (t.kind === 'up' || t.kind === 'down') && t.lab === useEditor.getState().validation.resolved?.name) void useLab.getState().refreshStatus();
    }),
  ];
  return () => offs.forEach((off) => off());
}
