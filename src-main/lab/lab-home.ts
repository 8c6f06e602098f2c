/**
 * Where a lab lives on this computer: its folder (VM files, keys, journal,
 * state), the provider it was created with, and its generated secrets
 * (mode 0600, never in the blueprint).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSecrets, type LabSecrets } from '../configs/context';
import type { LabRef, ProviderKind } from '../hypervisor/types';
import { readHostSettingsSync } from './host-settings';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

/**
 * Root of all labs: the labs folder setting (HALAB_LABS_DIR wins over the
 * settings file), else /var/lib/halab/labs for root, else
 * ~/.local/share/halab/labs.
 */
export function labsRoot(o: { dataDir?: string } = {}): string {
  return readHostSettingsSync(o).labsDir;
}

/** A lab's folder under `root` (default: `labsRoot()`). */
export function labRef(labName: string, root: string = labsRoot()): LabRef {
  return { id: labName, dir: join(root, labName) };
}

export interface LabState {
  provider: ProviderKind;
  /** When the lab was first brought up. */
  created: string;
  /** Blueprint file it was last applied from. */
  blueprint?: string;
  /** When `down` last removed everything (the next `up` may then pick another provider). */
  downAt?: string;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MessageError(msg('lab.err.stateDamaged', { file, error: (e as Error).message }), { cause: e });
  }
}

async function writeJson(file: string, value: unknown, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  await rename(tmp, file);
}

export async function readLabState(lab: LabRef): Promise<LabState | undefined> {
  return readJson<LabState>(join(lab.dir, 'lab.json'));
}

export async function writeLabState(lab: LabRef, state: LabState): Promise<void> {
  await mkdir(lab.dir, { recursive: true });
  await writeJson(join(lab.dir, 'lab.json'), state);
}

/** The lab's secrets, generated on first use. */
export async function ensureSecrets(lab: LabRef): Promise<LabSecrets> {
  const file = join(lab.dir, 'secrets.json');
  const have = await readJson<LabSecrets>(file);
  // A lab made before a service's secrets existed (the cache's, …) gets them now; its older ones are kept.
  const missing = have ? Object.keys(generateSecrets((n) => new Uint8Array(n))).filter((k) => !(k in have)) : [];
  if (have && !missing.length) return have;
  await mkdir(lab.dir, { recursive: true, mode: 0o700 });
  const fresh = generateSecrets((n) => randomBytes(n));
  const secrets = have ? { ...have, ...Object.fromEntries(missing.map((k) => [k, fresh[k as keyof LabSecrets]])) } : fresh;
  await writeJson(file, secrets, 0o600);
  return secrets;
}

export const journalPath = (lab: LabRef) => join(lab.dir, 'journal.jsonl');
