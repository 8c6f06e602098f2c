/**
 * Provisioning figures from the engine's journal (journal.jsonl in the lab
 * folder): each step's time, the critical path of the step graph (the
 * slowest chain of dependent steps, each step taking the time it took when
 * it ran alone), each VM's own chain, and the per-step split of a run.
 * Pure functions; used by bench/lab-provision.bench.ts and unit-tested.
 */
import type { StepEvent } from '../src-main/provision/engine';

/** A step as the critical path needs it: its id, VM and dependencies. */
export interface StepNode {
  id: string;
  vm?: string;
  deps: string[];
}

/** The journal lines of one run (JSON lines; unreadable lines are skipped). */
export function parseJournal(text: string): StepEvent[] {
  const out: StepEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as StepEvent);
    } catch {
      // a line cut by a killed run
    }
  }
  return out;
}

/** Each finished step's time in ms (the last run of a step wins). */
export function stepDurations(events: StepEvent[]): Map<string, number> {
  const ms = new Map<string, number>();
  for (const e of events) if (e.type === 'done') ms.set(e.step, e.ms);
  return ms;
}

/** The engine's own wall time for one run: first step start to last step end. */
export function engineMs(events: StepEvent[]): number {
  const starts = events.filter((e) => e.type === 'start').map((e) => e.at);
  const ends = events.filter((e) => e.type !== 'start' && e.type !== 'log').map((e) => e.at);
  return starts.length && ends.length ? Math.max(...ends) - Math.min(...starts) : 0;
}

export interface Chain {
  /** When the chain's last step would end if every step took its given time and started as soon as its dependencies ended. */
  ms: number;
  /** The steps of the chain, first to last. */
  path: string[];
}

export interface CriticalPath extends Chain {
  /** Per VM: the chain ending at that VM's last step (its own steps and every step they wait for). Slowest first. */
  perVm: ({ vm: string } & Chain)[];
}

/**
 * The longest path through the step graph with the given step times (a step
 * without a time counts 0). This is the floor for a run with unlimited
 * concurrency and no contention: no schedule can finish sooner.
 */
export function criticalPath(steps: StepNode[], ms: Map<string, number>): CriticalPath {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const memo = new Map<string, Chain>();
  const visiting = new Set<string>();
  const finish = (id: string): Chain => {
    const hit = memo.get(id);
    if (hit) return hit;
    const s = byId.get(id);
    if (!s) throw new Error(`Step ${id} is not in the graph.`);
    if (visiting.has(id)) throw new Error(`Steps depend on each other in a circle at ${id}.`);
    visiting.add(id);
    let before: Chain = { ms: 0, path: [] };
    for (const d of s.deps) {
      const c = finish(d);
      if (c.ms > before.ms || (c.ms === before.ms && c.path.length > before.path.length)) before = c;
    }
    visiting.delete(id);
    const c = { ms: before.ms + (ms.get(id) ?? 0), path: [...before.path, id] };
    memo.set(id, c);
    return c;
  };
  let all: Chain = { ms: 0, path: [] };
  const perVm = new Map<string, Chain>();
  for (const s of steps) {
    const c = finish(s.id);
    if (c.ms > all.ms) all = c;
    if (s.vm) {
      const prev = perVm.get(s.vm);
      if (!prev || c.ms > prev.ms) perVm.set(s.vm, c);
    }
  }
  return { ...all, perVm: [...perVm].map(([vm, c]) => ({ vm, ...c })).sort((a, b) => b.ms - a.ms || a.vm.localeCompare(b.vm)) };
}

/** The kind of a step, from its id: `vm:lb1:packages` → packages, `db:db1:init` → db init, `net:vmnet8` → network, `lab:verify` → verify. */
export function stepKind(id: string): string {
  const parts = id.split(':');
  if (parts[0] === 'vm') return parts[2] ?? 'vm';
  if (parts[0] === 'net') return 'network';
  if (parts[0] === 'db') return `db ${parts[2] ?? ''}`.trim();
  if (parts[0] === 'lab') return parts[1] ?? 'lab';
  return parts[0] ?? id;
}

export interface KindSplit {
  kind: string;
  steps: number;
  /** Sum of the steps' times (work). */
  sumMs: number;
  /** The slowest step of the kind (what it adds to a parallel run at least). */
  maxMs: number;
}

/** Per-step-kind split of one run, in the engine's order of first appearance. */
export function splitByKind(events: StepEvent[]): KindSplit[] {
  const out = new Map<string, KindSplit>();
  for (const [id, ms] of stepDurations(events)) {
    const kind = stepKind(id);
    const k = out.get(kind) ?? { kind, steps: 0, sumMs: 0, maxMs: 0 };
    k.steps++;
    k.sumMs += ms;
    k.maxMs = Math.max(k.maxMs, ms);
    out.set(kind, k);
  }
  return [...out.values()];
}

/** Fraction of all CPUs busy between two readings of /proc/stat's first line. */
export function cpuBusy(before: string, after: string): number {
  const nums = (l: string) => l.trim().split(/\s+/).slice(1).map(Number);
  const a = nums(before);
  const b = nums(after);
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0);
  // idle + iowait are the 4th and 5th fields.
  const idle = (d[3] ?? 0) + (d[4] ?? 0);
  return total > 0 ? (total - idle) / total : 0;
}

/** One process from `/proc/<pid>/stat`: its parent and CPU ticks (own user+system, and its reaped children's). */
export interface ProcTicks {
  pid: number;
  ppid: number;
  /** utime + stime. */
  own: number;
  /** cutime + cstime: every child it waited for, with their own reaped children. */
  reaped: number;
}

/** Parse `/proc/<pid>/stat` (the command name may hold spaces and parentheses: fields are counted after the last ')'). */
export function parseProcStat(text: string): ProcTicks | undefined {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  // After ") ": state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
  const f = text.slice(close + 2).trim().split(/\s+/);
  const n = (i: number) => Number(f[i - 3]);
  if ([4, 14, 15, 16, 17].some((i) => !Number.isFinite(n(i)))) return undefined;
  return { pid, ppid: n(4), own: n(14) + n(15), reaped: n(16) + n(17) };
}

/**
 * CPU ticks spent by the process trees under `roots` (a VM's systemd-nspawn,
 * say), dead processes included: each dead process is in the `reaped` count
 * of exactly one live ancestor (inside a VM, its init reaps orphans), so the
 * sum over the live tree of own + reaped counts everything once.
 */
export function treeTicks(procs: ProcTicks[], roots: number[]): number {
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const seen = new Set<number>();
  const stack = roots.filter((r) => byPid.has(r));
  let sum = 0;
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const p = byPid.get(pid)!;
    sum += p.own + p.reaped;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}
