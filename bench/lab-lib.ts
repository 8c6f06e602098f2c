/** Shared pieces of the lab benchmarks: the CLI as a child process, timed. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';

export const ROOT = join(import.meta.dirname, '..');
/** Benchmarks keep their labs apart from a user's. */
export const LABS_DIR = process.env.HALAB_LABS_DIR ?? mkdtempSync(join(tmpdir(), 'halab-bench-labs-'));

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    console.error(`${what} needs root (it boots real Linux-lab VMs). Run it as root.`);
    process.exit(2);
  }
}

/** Run `halab ARGS`; resolves with the wall time in ms. Throws with the tail of the output on failure. */
export async function halab(...args: string[]): Promise<number> {
  const t = performance.now();
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, timeoutMs: 1_800_000, okExitCodes: [0, 1, 2, 3], env: { HALAB_LABS_DIR: LABS_DIR, NO_COLOR: '1' } });
  if (r.exitCode !== 0) throw new Error(`halab ${args.join(' ')} exited ${r.exitCode}:\n${(r.stderr + r.stdout).slice(-3000)}`);
  return performance.now() - t;
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
