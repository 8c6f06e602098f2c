/**
 * Per-VM provisioning progress from `lab:step` events: one row per VM (and
 * one for lab-wide steps such as networks), its running step, counts of
 * finished steps and a state for the row's icon. Pure, so it is unit-tested.
 */
import type { EventPayloads, TaskInfo } from '../../../src-main/shared/ipc/contract';
import { render, type Lang } from '../../../src-main/shared/i18n';

export type StepEvent = EventPayloads['lab:step'];

/** An event's text in `lang`: its catalog message when it carries one, else its (English) text. */
export function stepText(e: StepEvent, lang: Lang = 'en'): string {
  return e.msg ? render(lang, e.msg) : e.text;
}

/** A task's title, current step or error in `lang` (its catalog message when it has one). */
export function taskText(task: TaskInfo, field: 'title' | 'step' | 'error', lang: Lang): string | undefined {
  const m = field === 'title' ? task.titleMsg : field === 'step' ? task.stepMsg : task.errorMsg;
  return m ? render(lang, m) : task[field];
}

export type RowState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface VmProgress {
  /** The VM, or '' for steps of the whole lab (networks, keys). */
  vm: string;
  state: RowState;
  /** Titles of steps started and not finished yet, by step id. */
  running: Record<string, string>;
  /** The step to show: the newest running one, else the last one that ended. */
  current?: string;
  done: number;
  failed: number;
  skipped: number;
  /** The last failure's text. */
  error?: string;
  at?: number;
}

/** The key of the row for steps that are not about one VM. */
export const LAB_ROW = '';

export function emptyRow(vm: string): VmProgress {
  return { vm, state: 'pending', running: {}, done: 0, failed: 0, skipped: 0 };
}

function stateOf(r: VmProgress): RowState {
  if (r.failed > 0) return 'failed';
  if (Object.keys(r.running).length > 0) return 'running';
  if (r.done > 0) return 'done';
  if (r.skipped > 0) return 'skipped';
  return 'pending';
}

/** Apply one event (its texts in `lang`); returns a new map with a new row object only for the VM it touches. */
export function applyStep(rows: Record<string, VmProgress>, e: StepEvent, lang: Lang = 'en'): Record<string, VmProgress> {
  if (e.type === 'log') return rows;
  const key = e.vm ?? LAB_ROW;
  const prev = rows[key] ?? emptyRow(key);
  const running = { ...prev.running };
  const r: VmProgress = { ...prev, running, at: e.at };
  const text = stepText(e, lang);
  if (e.type === 'start') {
    running[e.step] = text;
    r.current = text;
  } else {
    const title = running[e.step] ?? e.step;
    delete running[e.step];
    if (e.type === 'done') r.done++;
    else if (e.type === 'skipped') r.skipped++;
    else {
      r.failed++;
      r.error = `${title}: ${text}`;
    }
    const still = Object.values(running);
    r.current = still.length ? still[still.length - 1] : title;
  }
  r.state = stateOf(r);
  return { ...rows, [key]: r };
}

/**
 * One line of the live log for an event, in `lang`. `title`: the step's
 * title (from its start event) to name it by, else its id.
 */
export function logLine(e: StepEvent, lang: Lang = 'en', title?: string): string {
  const who = e.vm ? `[${e.vm}] ` : '';
  const text = stepText(e, lang);
  const name = title ?? e.step;
  switch (e.type) {
    case 'start':
      return `${who}▶ ${text}`;
    case 'done':
      return `${who}✓ ${name} (${text})`;
    case 'failed':
      return `${who}✗ ${name}: ${text}`;
    case 'skipped':
      return `${who}– ${name}: ${text}`;
    default:
      return `${who}${text}`;
  }
}
