/**
 * The Linux lab's "template VM": one Debian root filesystem made with
 * debootstrap from the recipe in `resources/linux-lab/`, cached under
 * `${HALAB_CACHE_DIR:-/var/cache/halab}/base-<recipe hash>`, built into a
 * temporary folder and renamed into place atomically, under a lock so two
 * builds never collide. Rebuilt only when the recipe changes.
 */
import { chmod, chown, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpOptions } from '../types';
import { Commands } from './commands';
import { acquireLock } from './lock';
import { pickDebianMirror, parseAptSources } from './parse';
import { mounts, mountsUnder, removeTree } from './proc';
import { debianArch, loadRecipe, recipeHash, type Recipe } from './recipe';

/** What ensureBaseImage found or built. */
export interface BaseImage {
  path: string;
  hash: string;
  /** True when the image was already in the cache. */
  cached: boolean;
  durationMs: number;
}

/** Options of ensureBaseImage. */
export interface BaseImageOptions extends OpOptions {
  /** Cache folder (default `HALAB_CACHE_DIR` or /var/cache/halab). */
  cacheDir?: string;
  /** Recipe folder (default resources/linux-lab). */
  recipeDir?: string;
  /** Debian mirror (default `HALAB_DEBIAN_MIRROR`, else the one apt uses). */
  mirror?: string;
  commands?: Commands;
}

/** The cache folder for base images. */
export function baseCacheDir(): string {
  return process.env.HALAB_CACHE_DIR || '/var/cache/halab';
}

/** The Debian mirror apt itself uses (its `URIs:` / `deb` lines), for debootstrap. */
export async function findDebianMirror(suite: string): Promise<string> {
  if (process.env.HALAB_DEBIAN_MIRROR) return process.env.HALAB_DEBIAN_MIRROR;
  const texts: string[] = [];
  for (const file of ['/etc/apt/sources.list']) texts.push(await readFile(file, 'utf8').catch(() => ''));
  const dir = '/etc/apt/sources.list.d';
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f.endsWith('.sources') || f.endsWith('.list')) texts.push(await readFile(join(dir, f), 'utf8').catch(() => ''));
  }
  const mirror = pickDebianMirror(texts.flatMap(parseAptSources), suite);
  return mirror ?? 'http://deb.debian.org/debian';
}

const inFlight = new Map<string, Promise<BaseImage>>();

/** Make sure the base image for the current recipe exists; returns its folder. */
export async function ensureBaseImage(opts: BaseImageOptions = {}): Promise<string> {
  return (await ensureBaseImageDetailed(opts)).path;
}

/** ensureBaseImage with the cache key, whether it was cached, and the time taken. */
export async function ensureBaseImageDetailed(opts: BaseImageOptions = {}): Promise<BaseImage> {
  const started = Date.now();
  const recipe = await loadRecipe(opts.recipeDir);
  const arch = debianArch();
  const hash = recipeHash(recipe.files, arch);
  const cache = opts.cacheDir ?? baseCacheDir();
  const path = join(cache, `base-${hash}`);
  if (await isComplete(path)) {
    const durationMs = Date.now() - started;
    opts.log?.(`Base image ${path} is cached (checked in ${durationMs} ms).`);
    return { path, hash, cached: true, durationMs };
  }
  const key = path;
  let job = inFlight.get(key);
  if (!job) {
    job = buildLocked(recipe, cache, hash, path, arch, opts).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  const built = await job;
  return { ...built, durationMs: Date.now() - started };
}

async function isComplete(path: string): Promise<boolean> {
  return stat(join(path, 'etc', 'halab-base.json')).then(
    () => true,
    () => false,
  );
}

async function buildLocked(recipe: Recipe, cache: string, hash: string, path: string, arch: string, opts: BaseImageOptions): Promise<BaseImage> {
  await mkdir(cache, { recursive: true });
  const release = await acquireLock(join(cache, `.lock-${hash}`), {
    timeoutMs: 30 * 60_000,
    signal: opts.signal,
    onWait: (owner) => opts.log?.(`Waiting for ${owner}, which is building the base image…`),
  });
  try {
    if (await isComplete(path)) return { path, hash, cached: true, durationMs: 0 };
    const started = Date.now();
    await build(recipe, cache, hash, path, arch, opts);
    const durationMs = Date.now() - started;
    opts.log?.(`Base image built in ${(durationMs / 1000).toFixed(1)} s: ${path}`);
    return { path, hash, cached: false, durationMs };
  } finally {
    await release();
  }
}

async function build(recipe: Recipe, cache: string, hash: string, finalPath: string, arch: string, opts: BaseImageOptions): Promise<void> {
  const cmd = opts.commands ?? new Commands();
  const log = opts.log;
  // We hold this hash's lock, so any temp folder of this hash is a crashed build.
  for (const name of await readdir(cache)) {
    if (name.startsWith(`.build-${hash}-`)) await discardBuildDir(cmd, join(cache, name));
  }
  const tmp = join(cache, `.build-${hash}-${process.pid}`);
  const debs = join(cache, 'debs');
  await mkdir(debs, { recursive: true });
  const mirror = opts.mirror ?? (await findDebianMirror(recipe.suite));
  log?.(`Building the Linux lab base image (${recipe.packages.length} packages, Debian ${recipe.suite} from ${mirror}); this takes a few minutes once.`);
  try {
    await cmd.run(
      [
        'debootstrap',
        `--variant=${recipe.variant}`,
        `--arch=${arch}`,
        `--components=${recipe.components.join(',')}`,
        `--include=${recipe.packages.join(',')}`,
        `--cache-dir=${debs}`,
        recipe.suite,
        tmp,
        mirror,
      ],
      { timeoutMs: 45 * 60_000, signal: opts.signal, log, env: { DEBIAN_FRONTEND: 'noninteractive' } },
    );
    await customize(cmd, recipe, tmp, hash, opts);
    const left = await mountsUnder(tmp);
    for (const m of left.reverse()) await cmd.tryRun(['umount', '-l', m.target], { log });
    await rename(tmp, finalPath);
  } catch (e) {
    await discardBuildDir(cmd, tmp).catch(() => undefined);
    throw e;
  }
}

async function customize(cmd: Commands, recipe: Recipe, root: string, hash: string, opts: BaseImageOptions): Promise<void> {
  const log = opts.log;
  await cp(join(recipe.dir, 'rootfs'), root, { recursive: true, force: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  for (const { action, unit } of recipe.units) {
    await cmd.run(['systemctl', `--root=${root}`, action, unit], { log, signal: opts.signal });
  }
  const etc = join(root, 'etc');
  const ids = async (file: string): Promise<Map<string, number>> =>
    new Map((await readFile(join(etc, file), 'utf8')).split('\n').map((l) => l.split(':')).filter((f) => f.length > 2).map((f) => [f[0] ?? '', Number(f[2])]));
  const users = await ids('passwd');
  const groups = await ids('group');
  for (const d of recipe.dirs) {
    const uid = users.get(d.owner);
    const gid = groups.get(d.group);
    if (uid === undefined || gid === undefined) throw new Error(`dirs.txt: ${d.owner}:${d.group} for ${d.path} does not exist in the image (is its package in packages.txt?)`);
    const target = join(root, d.path);
    await mkdir(target, { recursive: true });
    await chown(target, uid, gid);
    await chmod(target, d.mode);
  }
  // Clones must not share identities: host keys are made at first boot, machine-id per VM.
  for (const f of await readdir(join(etc, 'ssh')).catch(() => [] as string[])) {
    if (f.startsWith('ssh_host_')) await rm(join(etc, 'ssh', f), { force: true });
  }
  await writeFile(join(etc, 'machine-id'), '');
  await rm(join(root, 'var', 'lib', 'dbus', 'machine-id'), { force: true });
  await writeFile(join(etc, 'hostname'), 'halab-base\n');
  await writeFile(join(etc, 'hosts'), '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n');
  await writeFile(join(etc, 'resolv.conf'), '# HA Lab guests are offline: no DNS server.\n');
  await rm(join(root, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
  await mkdir(join(root, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
  await writeFile(
    join(etc, 'halab-base.json'),
    JSON.stringify({ hash, suite: recipe.suite, variant: recipe.variant, packages: recipe.packages, builtAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

async function discardBuildDir(cmd: Commands, dir: string): Promise<void> {
  for (const m of (await mountsUnder(dir)).reverse()) await cmd.tryRun(['umount', '-l', m.target]);
  await removeTree(dir);
}

/**
 * Delete cached base images other than `keep` that no mounted VM uses right
 * now. A stopped VM cloned from a deleted image must be created again.
 * Returns the folders removed.
 */
export async function pruneBaseImages(keep: string, opts: { cacheDir?: string; log?: (line: string) => void } = {}): Promise<string[]> {
  const cache = opts.cacheDir ?? baseCacheDir();
  const inUse = (await mounts()).filter((m) => m.fstype === 'overlay').map((m) => m.options);
  const removed: string[] = [];
  for (const name of await readdir(cache).catch(() => [] as string[])) {
    const path = join(cache, name);
    if (!/^base-[0-9a-f]{16}$/.test(name) || path === keep) continue;
    if (inUse.some((o) => o.includes(`lowerdir=${path},`) || o.includes(`lowerdir=${path}:`))) {
      opts.log?.(`Keeping ${path}: a running lab VM uses it.`);
      continue;
    }
    await removeTree(path);
    removed.push(path);
    opts.log?.(`Removed the old base image ${path}`);
  }
  return removed;
}
