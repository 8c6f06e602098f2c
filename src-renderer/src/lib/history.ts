/**
 * Undo/redo of immutable snapshots. Consecutive edits of the same field
 * within `coalesceMs` merge into one step, so typing a hostname is undone
 * as a whole, not letter by letter. Pure (time is passed in).
 */
export interface History<T> {
  past: T[];
  future: T[];
  /** Coalescing key and time of the last recorded edit. */
  last?: { key: string; at: number };
}

export const HISTORY_LIMIT = 200;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [] };
}

/**
 * Record that the state `before` is being replaced. With a `key` equal to the
 * previous edit's and within `coalesceMs`, no new step is added.
 */
export function record<T>(h: History<T>, before: T, key: string | undefined, now: number, coalesceMs = 1000): History<T> {
  if (key !== undefined && h.last && h.last.key === key && now - h.last.at <= coalesceMs && h.past.length > 0) {
    return { past: h.past, future: [], last: { key, at: now } };
  }
  const past = h.past.length >= HISTORY_LIMIT ? [...h.past.slice(1), before] : [...h.past, before];
  return { past, future: [], last: key === undefined ? undefined : { key, at: now } };
}

/** Step back: the state to show and the new history; undefined when there is nothing to undo. */
export function undo<T>(h: History<T>, current: T): { state: T; history: History<T> } | undefined {
  const state = h.past[h.past.length - 1];
  if (state === undefined) return undefined;
  return { state, history: { past: h.past.slice(0, -1), future: [current, ...h.future] } };
}

/** Step forward again after an undo. */
export function redo<T>(h: History<T>, current: T): { state: T; history: History<T> } | undefined {
  const state = h.future[0];
  if (state === undefined) return undefined;
  return { state, history: { past: [...h.past, current], future: h.future.slice(1) } };
}
