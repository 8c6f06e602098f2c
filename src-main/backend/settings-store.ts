/**
 * User settings and recent files, kept as small JSON files in the app's data
 * folder (Electron's userData, or ~/.config/halab for the CLI and web mode).
 * Writes are atomic (temp file + rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, readSettingsFile } from '../lab/host-settings';
import type { Settings } from '../shared/ipc/contract';

export { DEFAULT_SETTINGS, defaultDataDir } from '../lab/host-settings';
const MAX_RECENT = 10;

async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}

export class SettingsStore {
  constructor(private readonly dir: string) {}

  /** The file's settings (the legacy `vmware: {…}` object lifted to the top level); the defaults when it is missing or damaged. */
  async get(): Promise<Settings> {
    return readSettingsFile(this.dir).catch(() => ({ ...DEFAULT_SETTINGS, templates: {} }));
  }

  /** Merge `patch` (undefined: keep, null: clear) and write atomically. */
  async set(patch: { [K in keyof Settings]?: Settings[K] | null }): Promise<Settings> {
    const next: Record<string, unknown> = { ...(await this.get()) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete next[k];
      else if (v !== undefined) next[k] = v;
    }
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, 'settings.json'), JSON.stringify(next, null, 2));
    return next as unknown as Settings;
  }

  async recent(): Promise<string[]> {
    return readJson<string[]>(join(this.dir, 'recent.json'), []);
  }

  async addRecent(path: string): Promise<void> {
    const list = [path, ...(await this.recent()).filter((p) => p !== path)].slice(0, MAX_RECENT);
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, 'recent.json'), JSON.stringify(list, null, 2));
  }
}
