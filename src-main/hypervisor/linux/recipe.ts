/**
 * The base image recipe: `resources/linux-lab/` (recipe.json, packages.txt,
 * units.txt and a rootfs/ overlay tree). Its hash is the cache key of the
 * built image, so any change to a file there means a rebuild.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump to force a rebuild when the build steps in code change. */
export const RECIPE_VERSION = 1;

/** A loaded recipe. */
export interface Recipe {
  dir: string;
  suite: string;
  variant: string;
  components: string[];
  packages: string[];
  units: { action: 'enable' | 'disable' | 'mask'; unit: string }[];
  /** Folders to create after the packages: path, owner, group, mode. */
  dirs: RecipeDir[];
  /** Every recipe file, relative path → content (sorted by path). */
  files: [string, string][];
}

/** One line of dirs.txt. */
export interface RecipeDir {
  path: string;
  owner: string;
  group: string;
  mode: number;
}

/** Parse dirs.txt (`/abs/path OWNER:GROUP MODE` per line). */
export function parseDirs(text: string): RecipeDir[] {
  return listLines(text).map((line) => {
    const m = /^(\/\S+)\s+([a-z_][a-z0-9_-]*):([a-z_][a-z0-9_-]*)\s+([0-7]{3,4})$/.exec(line);
    if (!m || m[1]?.includes('..')) throw new Error(`dirs.txt: "${line}" should be "/absolute/path OWNER:GROUP MODE" (like /var/log/mysql mysql:adm 2750)`);
    return { path: m[1] as string, owner: m[2] as string, group: m[3] as string, mode: parseInt(m[4] as string, 8) };
  });
}

/** Lines of a list file without comments and blanks. */
export function listLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

/** Parse units.txt (`enable UNIT`, `disable UNIT`, `mask UNIT`). */
export function parseUnits(text: string): Recipe['units'] {
  return listLines(text).map((line) => {
    const [action, unit, extra] = line.split(/\s+/);
    if ((action !== 'enable' && action !== 'disable' && action !== 'mask') || !unit || extra) {
      throw new Error(`units.txt: "${line}" should be "enable UNIT", "disable UNIT" or "mask UNIT"`);
    }
    return { action, unit };
  });
}

/** The cache key: a hash over the version, the target architecture and every recipe file. */
export function recipeHash(files: [string, string][], arch: string): string {
  const h = createHash('sha256');
  h.update(`halab-base v${RECIPE_VERSION} ${arch}\n`);
  for (const [path, content] of [...files].sort((a, b) => a[0].localeCompare(b[0]))) {
    h.update(`${path}\0${content.length}\0${content}\0`);
  }
  return h.digest('hex').slice(0, 16);
}

/** Debian's name for this machine's architecture. */
export function debianArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}

/**
 * Where the recipe lives: `HALAB_LINUX_RECIPE_DIR`, else `resources/linux-lab`
 * found by walking up from this file (works from the source tree and from a
 * bundle next to `resources/`).
 */
export function findRecipeDir(): string {
  const fromEnv = process.env.HALAB_LINUX_RECIPE_DIR;
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'resources', 'linux-lab');
    if (existsSync(join(candidate, 'packages.txt'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('The Linux lab recipe (resources/linux-lab/packages.txt) was not found. Set HALAB_LINUX_RECIPE_DIR to its folder.');
}

async function walk(root: string, dir: string, out: [string, string][]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(root, full, out);
    else if (e.isFile()) out.push([relative(root, full), await readFile(full, 'utf8')]);
  }
}

/** Load and check the recipe folder. */
export async function loadRecipe(dir: string = findRecipeDir()): Promise<Recipe> {
  const files: [string, string][] = [];
  await walk(dir, dir, files);
  files.sort((a, b) => a[0].localeCompare(b[0]));
  const get = (name: string): string => {
    const f = files.find(([p]) => p === name);
    if (!f) throw new Error(`The Linux lab recipe in ${dir} has no ${name}.`);
    return f[1];
  };
  const meta = JSON.parse(get('recipe.json')) as { suite?: string; variant?: string; components?: string[] };
  const packages = listLines(get('packages.txt'));
  for (const p of packages) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new Error(`packages.txt: "${p}" is not a Debian package name`);
  return {
    dir,
    suite: meta.suite ?? 'bookworm',
    variant: meta.variant ?? 'minbase',
    components: meta.components ?? ['main'],
    packages,
    units: parseUnits(files.some(([p]) => p === 'units.txt') ? get('units.txt') : ''),
    dirs: parseDirs(files.some(([p]) => p === 'dirs.txt') ? get('dirs.txt') : ''),
    files,
  };
}
