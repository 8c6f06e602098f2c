/**
 * Blueprint files on disk: reading, validating with this host's memory,
 * and the shipped labs in `lab-blueprints/`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBlueprintYaml } from '../shared/blueprint/yaml-doc';
import type { BlueprintProvider } from '../shared/blueprint/rules-provider';
import { validateBlueprintText, type ValidationResult } from '../shared/blueprint/validate';

export const hostMemoryMiB = (): number => Math.round(totalmem() / 1024 / 1024);

/** Validate blueprint text against this host (and the provider's rules, when one is given). */
export function validateHere(text: string, provider?: BlueprintProvider): ValidationResult {
  return validateBlueprintText(text, { hostMemoryMiB: hostMemoryMiB(), provider });
}

export class BlueprintFileError extends Error {
  override readonly name = 'BlueprintFileError';
}

/** Read a blueprint file, with a clear error when it cannot be read. */
export async function readBlueprintFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BlueprintFileError(`${path}: no such file. Check the path, or start from one in lab-blueprints/.`);
    if (code === 'EISDIR') throw new BlueprintFileError(`${path} is a folder; give the path of a .yaml blueprint file.`);
    throw new BlueprintFileError(`${path}: cannot read it (${code ?? (e as Error).message}).`);
  }
}

/** The app's root folder (where lab-blueprints/ and resources/ are), in dev and packaged builds. */
export function appRoot(): string {
  if (process.env.HALAB_ROOT) return process.env.HALAB_ROOT;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'lab-blueprints'))) return dir;
    dir = dirname(dir);
  }
  const res = (process as { resourcesPath?: string }).resourcesPath;
  return res ?? resolve('.');
}

export const shippedDir = (): string => join(appRoot(), 'lab-blueprints');

/** The shipped labs: id (file name without .yaml), title and file. */
export async function listShipped(dir = shippedDir()): Promise<{ id: string; title: string; file: string }[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => {
      const parsed = parseBlueprintYaml(await readFile(join(dir, f), 'utf8'));
      const meta = (parsed.data as { metadata?: { title?: string; name?: string } } | undefined)?.metadata;
      return { id: f.replace(/\.yaml$/, ''), title: meta?.title ?? meta?.name ?? f, file: join(dir, f) };
    }),
  );
}
