/**
 * Per-VM provisioning progress from `lab:step` events: one row per VM (and
 * one for lab-wide steps such as networks), its running step, counts of
 * finished steps and a state for the row's icon. Pure, so it is unit-tested.
 */
import type { EventPayloads } from '../../../src-main/shared/ipc/contract';

export type StepEvent = EventPayloads['lab:step'];

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

/** Apply one event; returns a new map with a new row object only for the VM it touches. */
export function applyStep(rows: Record<string, VmProgress>, e: StepEvent): Record<string, VmProgress> {
  if (e.type === 'log') return rows;
  const key = e.vm ?? LAB_ROW;
  const prev = rows[key] ?? emptyRow(key);
  const running = { ...prev.running };
  const r: VmProgress = { ...prev, running, at: e.at };
  if (e.type === 'start') {
    running[e.step] = e.text;
    r.current = e.text;
  } else {
    const title = running[e.step] ?? e.step;
    delete running[e.step];
    if (e.type === 'done') r.done++;
    else if (e.type === 'skipped') r.skipped++;
    else {
      r.failed++;
      r.error = `${title}: ${e.text}`;
    }
    const still = Object.values(running);
    r.current = still.length ? still[still.length - 1] : title;
  }
  r.state = stateOf(r);
  return { ...rows, [key]: r };
}

/** One line of the live log for an event. */
export function logLine(e: StepEvent): string {
  const who = e.vm ? `[${e.vm}] ` : '';
  switch (e.type) {
    case 'start':
      return `${who}▶ ${e.text}`;
    case 'done':
      return `${who}✓ ${e.step} (${e.text})`;
    case 'failed':
      return `${who}✗ ${e.step}: ${e.text}`;
    case 'skipped':
      return `${who}– ${e.step}: ${e.text}`;
    default:
      return `${who}${e.text}`;
  }
}
