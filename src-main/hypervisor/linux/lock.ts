/**
 * A cross-process lock made of a directory (mkdir is atomic) holding the
 * owner's PID and start time; a lock whose owner died is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, procStat } from './proc';

/** Take the lock at `path`, waiting up to `timeoutMs`; returns the release function. */
export async function acquireLock(
  path: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onWait?: (owner: string) => void },
): Promise<() => Promise<void>> {
  const me = await procStat(process.pid);
  const until = Date.now() + opts.timeoutMs;
  let told = false;
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'owner.json'), JSON.stringify({ pid: process.pid, starttime: me?.starttime ?? 0 }));
      return async () => {
        await rm(path, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: { pid: number; starttime: number } | undefined;
    try {
      owner = JSON.parse(await readFile(join(path, 'owner.json'), 'utf8')) as { pid: number; starttime: number };
    } catch {
      owner = undefined;
    }
    if (owner && !(await isAlive(owner))) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (!owner) {
      // Between mkdir and writeFile of another process; a crash there leaves an empty lock.
      await new Promise((r) => setTimeout(r, 500));
      try {
        await readFile(join(path, 'owner.json'), 'utf8');
      } catch {
        await rm(path, { recursive: true, force: true });
        continue;
      }
    }
    if (!told) {
      opts.onWait?.(owner ? `process ${owner.pid}` : 'another process');
      told = true;
    }
    if (opts.signal?.aborted) throw new Error('Canceled while waiting for the lock.');
    if (Date.now() > until) throw new Error(`Timed out waiting for the lock ${path} (held by process ${owner?.pid ?? '?'}).`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
