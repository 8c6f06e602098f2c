/**
 * Processes and mounts seen through /proc: is a recorded PID still the
 * process we started, what is its whole tree, and signalling that tree at
 * once. Reading /proc is not running a program, so no command runner here.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { parseMounts, parseProcStat, type MountEntry, type ProcStat } from './parse';

/** What a VM's state file records about its systemd-nspawn process. */
export interface ProcRef {
  pid: number;
  starttime: number;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone. */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The argv of a process, or undefined when it is gone. */
export async function procCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

/**
 * Is `ref` still the same live process (not a zombie, not a recycled PID),
 * and does its command line satisfy `matches`?
 */
export async function isAlive(ref: ProcRef, matches?: (argv: string[]) => boolean): Promise<ProcStat | undefined> {
  const st = await procStat(ref.pid);
  if (!st || st.starttime !== ref.starttime || st.state === 'Z' || st.state === 'X') return undefined;
  if (matches) {
    const argv = await procCmdline(ref.pid);
    if (!argv || !matches(argv)) return undefined;
  }
  return st;
}

/** Every process on the machine (pid → stat). */
export async function allProcs(): Promise<Map<number, ProcStat>> {
  const out = new Map<number, ProcStat>();
  const entries = await readdir('/proc');
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const st = await procStat(Number(e));
        if (st) out.set(st.pid, st);
      }),
  );
  return out;
}

/** The process and all its descendants, root first. */
export async function processTree(rootPid: number): Promise<number[]> {
  const procs = await allProcs();
  const children = new Map<number, number[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  if (!procs.has(rootPid)) return [];
  const out: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0 && out.length < 100_000) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

const signalQuietly = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
};

/**
 * Signal a whole process tree "at once": every process is first frozen with
 * SIGSTOP (so nothing can fork behind our back), the tree is re-read until it
 * stops growing, then each gets `signal`. With SIGKILL this is a pulled plug.
 */
export async function signalTree(rootPid: number, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<number[]> {
  if (signal === 'SIGCONT') {
    const tree = await processTree(rootPid);
    for (const pid of tree) signalQuietly(pid, 'SIGCONT');
    return tree;
  }
  const seen = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const tree = await processTree(rootPid);
    const fresh = tree.filter((p) => !seen.has(p));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signalQuietly(pid, 'SIGSTOP');
      seen.add(pid);
    }
  }
  if (signal === 'SIGKILL') for (const pid of seen) signalQuietly(pid, 'SIGKILL');
  return [...seen];
}

/** Wait until the process is gone (or a zombie), at most `timeoutMs`. True if it went. */
export async function waitGone(ref: ProcRef, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!(await isAlive(ref))) return true;
    if (signal?.aborted) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !(await isAlive(ref));
}

/** Current mounts. */
export async function mounts(): Promise<MountEntry[]> {
  return parseMounts(await readFile('/proc/mounts', 'utf8'));
}

/** Mount points at or below `dir`. */
export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  const root = resolve(dir);
  return (await mounts()).filter((m) => m.target === root || m.target.startsWith(root + sep));
}

/**
 * `rm -rf` that refuses to descend into anything mounted below the folder
 * (a leftover bind mount of /dev or /proc must never be emptied through it).
 */
export async function removeTree(dir: string): Promise<void> {
  const inside = await mountsUnder(dir);
  if (inside.length > 0) {
    throw new Error(`Refusing to delete ${dir}: ${inside.map((m) => m.target).join(', ')} is still mounted. Unmount it first (umount -l PATH).`);
  }
  await rm(dir, { recursive: true, force: true });
}
