/**
 * The plan/apply engine: a graph of steps with dependencies, run with a
 * bounded concurrency. Every step is idempotent (it checks before it
 * changes) and reports whether it changed anything. Progress is journaled
 * (`journal.jsonl` in the lab folder) so a killed run is visible and the next
 * run picks up from where it stopped; every step emits events (start, log
 * lines, done, failed with the reason) for the CLI and the UI. Cancel with
 * an AbortSignal: running steps get it, no new step starts.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { msg, render, type Message } from '../shared/i18n';
import { messageOf } from '../shared/i18n/message-error';

export interface StepContext {
  signal: AbortSignal;
  /** A log line: plain text (a command, a program's output) or a catalog message (rendered in the reader's language). */
  log(line: string | Message): void;
  /** The same for catalog messages only (a hypervisor's `OpOptions.logMsg`: the context can be passed as its options). */
  logMsg?(line: Message): void;
}

export interface Step {
  id: string;
  /** English title, for logs and the journal. */
  title: string;
  /** The same title from the message catalog, rendered in the reader's language (CLI, window). */
  titleMsg?: Message;
  /** The VM this step works on, for per-VM progress. */
  vm?: string;
  deps: string[];
  /**
   * Mostly waiting, not working on this computer (a VM booting, an SSH
   * login, a read-only check): not counted against the concurrency limit,
   * only against {@link LIGHT_LIMIT}, so a re-apply reaches all VMs at once.
   */
  light?: boolean;
  /** About how long it takes, in any unit (default 1): steps on the longest remaining chain start first. */
  cost?: number;
  /** Do the work if needed; return 'changed' or 'unchanged'. */
  run(ctx: StepContext): Promise<'changed' | 'unchanged'>;
}

export type StepEvent =
  | { type: 'start'; step: string; title: string; titleMsg?: Message; vm?: string; at: number }
  | { type: 'log'; step: string; vm?: string; line: string; lineMsg?: Message; at: number }
  | { type: 'done'; step: string; vm?: string; changed: boolean; ms: number; at: number }
  /** `errorMsg`: the error's catalog message when it carries one (a `MessageError`); `error` stays English. */
  | { type: 'failed'; step: string; vm?: string; error: string; errorMsg?: Message; at: number }
  /** `reasonMsg`: the reason from the catalog, naming the step that did not complete by its title; `titleMsg`: the skipped step's own title (it never started). */
  | { type: 'skipped'; step: string; vm?: string; reason: string; reasonMsg?: Message; titleMsg?: Message; at: number };

export interface ApplyOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (e: StepEvent) => void;
  /** Append-only JSON lines journal. */
  journalPath?: string;
}

export interface ApplyResult {
  ok: boolean;
  canceled: boolean;
  changed: string[];
  unchanged: string[];
  failed: { step: string; error: string; errorMsg?: Message }[];
  /** Steps not run because a dependency failed or the run was canceled. */
  skipped: string[];
  ms: number;
}

/** At most this many light steps run at once (beside the concurrency limit's others). */
export const LIGHT_LIMIT = 16;

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/** Check ids are unique, dependencies exist and there is no cycle. */
export function checkGraph(steps: Step[]): void {
  const ids = new Map(steps.map((s) => [s.id, s]));
  if (ids.size !== steps.length) throw new PlanError('Two steps have the same id.');
  for (const s of steps) for (const d of s.deps) if (!ids.has(d)) throw new PlanError(`Step ${s.id} depends on unknown step ${d}.`);
  const state = new Map<string, 1 | 2>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) throw new PlanError(`Steps depend on each other in a circle: ${[...path, id].join(' → ')}`);
    state.set(id, 1);
    for (const d of ids.get(id)!.deps) visit(d, [...path, id]);
    state.set(id, 2);
  };
  for (const s of steps) visit(s.id, []);
}

/**
 * The order the engine tries ready steps in: the longest remaining chain
 * first (a step's cost plus the most expensive chain of steps that wait for
 * it), ties in the given order. Without this, the first VMs in the list went
 * through their whole chains while the last VM, at the head of the database
 * chain, was not even created: the run ended with one VM's chain alone.
 */
export function scheduleOrder(steps: Step[]): Step[] {
  const dependents = new Map<string, Step[]>();
  for (const s of steps) for (const d of s.deps) dependents.set(d, [...(dependents.get(d) ?? []), s]);
  const rank = new Map<string, number>();
  const rankOf = (s: Step): number => {
    const hit = rank.get(s.id);
    if (hit !== undefined) return hit;
    const r = (s.cost ?? 1) + Math.max(0, ...(dependents.get(s.id) ?? []).map(rankOf));
    rank.set(s.id, r);
    return r;
  };
  const index = new Map(steps.map((s, i) => [s.id, i]));
  return [...steps].sort((a, b) => rankOf(b) - rankOf(a) || index.get(a.id)! - index.get(b.id)!);
}

export async function applySteps(steps: Step[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  checkGraph(steps);
  const order = scheduleOrder(steps);
  const started = Date.now();
  const limit = Math.max(1, opts.concurrency ?? 4);
  const signal = opts.signal ?? new AbortController().signal;
  const result: ApplyResult = { ok: true, canceled: false, changed: [], unchanged: [], failed: [], skipped: [], ms: 0 };
  const status = new Map<string, 'pending' | 'running' | 'ok' | 'failed' | 'skipped'>(steps.map((s) => [s.id, 'pending']));
  const byId = new Map(steps.map((s) => [s.id, s]));
  let journal = Promise.resolve();
  if (opts.journalPath) await mkdir(dirname(opts.journalPath), { recursive: true });

  const emit = (e: StepEvent) => {
    opts.onEvent?.(e);
    if (opts.journalPath && e.type !== 'log') {
      const path = opts.journalPath;
      journal = journal.then(() => appendFile(path, `${JSON.stringify(e)}\n`)).catch(() => undefined);
    }
  };

  await new Promise<void>((finish) => {
    let running = 0;
    let runningLight = 0;
    const pump = () => {
      if (signal.aborted) result.canceled = true;
      // Anything whose dependency failed or was skipped is skipped too.
      let progressed = true;
      while (progressed) {
        progressed = false;
        for (const s of steps) {
          if (status.get(s.id) !== 'pending') continue;
          const bad = s.deps.find((d) => status.get(d) === 'failed' || status.get(d) === 'skipped');
          if (bad || result.canceled) {
            status.set(s.id, 'skipped');
            result.skipped.push(s.id);
            const reasonMsg = result.canceled || !bad ? msg('prov.skip.canceled') : msg('prov.skip.dependency', { step: byId.get(bad)?.titleMsg ?? bad });
            emit({ type: 'skipped', step: s.id, vm: s.vm, reason: result.canceled ? 'canceled' : `${bad} did not complete`, reasonMsg, ...(s.titleMsg ? { titleMsg: s.titleMsg } : {}), at: Date.now() });
            progressed = true;
          }
        }
      }
      for (const s of order) {
        // Concurrency 1 is one step at a time, light or not (the benchmarks' "alone" times).
        const light = s.light && limit > 1;
        if (light ? runningLight >= Math.max(limit, LIGHT_LIMIT) : running >= limit) continue;
        if (status.get(s.id) !== 'pending' || !s.deps.every((d) => status.get(d) === 'ok')) continue;
        status.set(s.id, 'running');
        if (light) runningLight++;
        else running++;
        const t0 = Date.now();
        emit({ type: 'start', step: s.id, title: s.title, titleMsg: s.titleMsg, vm: s.vm, at: t0 });
        const log = (line: string | Message) =>
          emit(typeof line === 'string' ? { type: 'log', step: s.id, vm: s.vm, line, at: Date.now() } : { type: 'log', step: s.id, vm: s.vm, line: render('en', line), lineMsg: line, at: Date.now() });
        s.run({ signal, log, logMsg: log })
          .then((r) => {
            status.set(s.id, 'ok');
            (r === 'changed' ? result.changed : result.unchanged).push(s.id);
            emit({ type: 'done', step: s.id, vm: s.vm, changed: r === 'changed', ms: Date.now() - t0, at: Date.now() });
          })
          .catch((e: unknown) => {
            status.set(s.id, 'failed');
            // What to do comes along: an error's `fix` (a HypervisorError's) follows its message, as its catalog message says too.
            const message = (e as Error)?.message ?? String(e);
            const fix = (e as { fix?: unknown } | undefined)?.fix;
            const error = typeof fix === 'string' && fix && !message.includes(fix) ? `${message} ${fix}` : message;
            const errorMsg = messageOf(e);
            result.failed.push(errorMsg ? { step: s.id, error, errorMsg } : { step: s.id, error });
            emit(errorMsg ? { type: 'failed', step: s.id, vm: s.vm, error, errorMsg, at: Date.now() } : { type: 'failed', step: s.id, vm: s.vm, error, at: Date.now() });
          })
          .finally(() => {
            if (light) runningLight--;
            else running--;
            pump();
          });
      }
      if (running === 0 && runningLight === 0 && [...status.values()].every((v) => v !== 'pending' && v !== 'running')) finish();
    };
    signal.addEventListener('abort', pump, { once: true });
    pump();
  });
  await journal;
  result.ok = result.failed.length === 0 && result.skipped.length === 0;
  result.ms = Date.now() - started;
  return result;
}
