/**
 * Test support for the config renderers: load a shipped blueprint, a fixed
 * render context, and a guard that fails (never skips) when a checking tool
 * is missing.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateBlueprintText } from '../../../../src-main/shared/blueprint/validate';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import { generateSecrets, type RenderContext } from '../../../../src-main/configs/index';

export const REPO = join(import.meta.dirname, '..', '..', '..', '..');
export const BLUEPRINTS = ['vmware-3tier-ha', 'vmware-3tier-ha-fast', 'k8s-ha-platform', 'lb-pair-minimal'] as const;

/** The resolved lab of a shipped blueprint (throws if it does not validate). */
export function loadLab(name: string): ResolvedLab {
  const r = validateBlueprintText(readFileSync(join(REPO, 'lab-blueprints', `${name}.yaml`), 'utf8'));
  if (!r.resolved) throw new Error(`${name} does not validate: ${JSON.stringify(r.issues)}`);
  return r.resolved;
}

/** A deterministic random source (a simple LCG), so secrets and goldens are stable. */
export function fixedRandom(seed = 7): (n: number) => Uint8Array {
  let s = seed;
  return (n) => Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) >>> 16) & 0xff);
}

export function makeCtx(lab: ResolvedLab, engine: RenderContext['engine'], extra: Partial<RenderContext> = {}): RenderContext {
  return { lab, secrets: generateSecrets(fixedRandom()), engine, ...extra };
}

/** Fail with the package to install when `cmd` is not on PATH. */
export function requireTool(cmd: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`"${cmd}" is missing: install the Debian package "${pkg}" (listed in scripts/ci-apt-packages.txt).`);
}

/** Run a command without a shell; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000 });
}
