/**
 * The lab image on Incus/LXD: the Linux lab's base root filesystem (same
 * recipe, `linux/base-image.ts`) packed once as a unified image tarball
 * (`metadata.yaml` + `rootfs/`) and uploaded under the alias
 * `halab-base-<recipe hash>`. The tarball is written next to the cache and
 * deleted after the upload; the image stays on the server (a cache shared by
 * every lab). Each lab then points its own alias (`halab-lab-<id>`) at it, and
 * `down` removes only that alias.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { arch } from 'node:os';
import type { OpOptions } from '../types';
import type { Commands } from '../linux/commands';
import type { IncusClient } from './client';

/** Alias of the shared image built from one base rootfs folder (`…/base-<hash>`). */
export function baseAlias(baseDir: string): string {
  return `halab-${basename(baseDir)}`;
}

/** Alias a lab makes for itself, pointing at the shared image; removed by `down`. */
export function labAlias(labId: string): string {
  return `halab-lab-${labId}`;
}

/** The image's `metadata.yaml` (unified tarball). */
export function imageMetadata(baseDir: string, now = new Date()): string {
  const a = arch() === 'arm64' ? 'aarch64' : 'x86_64';
  return [
    `architecture: ${a}`,
    `creation_date: ${Math.floor(now.getTime() / 1000)}`,
    'properties:',
    `  description: HA Lab Studio base (${basename(baseDir)})`,
    '  os: debian',
    '  release: bookworm',
    '  halab: "true"',
    '',
  ].join('\n');
}

/** `tar` argv that packs a base rootfs as a unified image tarball (numeric owners, xattrs kept, symlink targets untouched). */
export function tarArgv(out: string, metaDir: string, baseDir: string): string[] {
  return ['tar', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-cf', out, '-C', metaDir, 'metadata.yaml', '-C', baseDir, '--transform', 'flags=rh;s,^\\.,rootfs,', '.'];
}

/** Fingerprint of the image an alias points at, or undefined. */
export async function aliasTarget(client: IncusClient, alias: string): Promise<string | undefined> {
  try {
    return (await client.get<{ target: string }>(`/1.0/images/aliases/${encodeURIComponent(alias)}`)).target;
  } catch (e) {
    if ((e as { notFound?: boolean }).notFound) return undefined;
    throw e;
  }
}

/**
 * Make sure the base image is on the server under its alias; returns the
 * fingerprint. Uploads only when the alias is missing.
 */
export async function ensureImage(client: IncusClient, cmd: Commands, baseDir: string, opts: OpOptions & { workDir?: string } = {}): Promise<string> {
  const alias = baseAlias(baseDir);
  const have = await aliasTarget(client, alias);
  if (have) return have;
  const work = await mkdtemp(join(opts.workDir ?? join(baseDir, '..'), '.incus-image-'));
  try {
    await writeFile(join(work, 'metadata.yaml'), imageMetadata(baseDir));
    const tarball = join(work, 'image.tar');
    opts.log?.(`Packing ${baseDir} as an image for ${client.where} (once per base image)`);
    await cmd.run(tarArgv(tarball, work, baseDir), { ...opts, timeoutMs: 20 * 60_000 });
    const f = await client.facts();
    opts.log?.(`Uploading the image to ${f.label} at ${client.where}`);
    const op = await client.op('POST', '/1.0/images', { file: tarball, headers: { [`${f.headerPrefix}-Public`]: '0' }, timeoutMs: 30 * 60_000, signal: opts.signal });
    const fp = String((op.metadata as { fingerprint?: string } | null)?.fingerprint ?? '');
    if (!fp) throw new Error('the server did not report the new image fingerprint');
    await client.sync('POST', '/1.0/images/aliases', { body: { name: alias, target: fp, description: `HA Lab Studio base image ${basename(baseDir)}` } }).catch(async (e: unknown) => {
      if ((await aliasTarget(client, alias)) !== fp) throw e;
    });
    return fp;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Point the lab's own alias at the image (idempotent). */
export async function ensureLabAlias(client: IncusClient, labId: string, fingerprint: string): Promise<string> {
  const alias = labAlias(labId);
  const cur = await aliasTarget(client, alias);
  if (cur === fingerprint) return alias;
  if (cur) await client.sync('PUT', `/1.0/images/aliases/${alias}`, { body: { target: fingerprint, description: `HA Lab Studio lab ${labId}` } });
  else {
    // Another process may make the same alias at the same moment: fine if it points at the same image.
    await client.sync('POST', '/1.0/images/aliases', { body: { name: alias, target: fingerprint, description: `HA Lab Studio lab ${labId}` } }).catch(async (e: unknown) => {
      if ((await aliasTarget(client, alias)) !== fingerprint) throw e;
    });
  }
  return alias;
}

/** Remove the lab's alias (no-op when absent). The shared image stays. */
export async function removeLabAlias(client: IncusClient, labId: string): Promise<boolean> {
  if (!(await aliasTarget(client, labAlias(labId)))) return false;
  await client.sync('DELETE', `/1.0/images/aliases/${labAlias(labId)}`);
  return true;
}
