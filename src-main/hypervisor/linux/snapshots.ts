/**
 * Snapshots of a Linux lab VM: a copy of its overlay upper layer (the
 * clone's own disk changes), made with `cp -a` so owners, overlay whiteouts
 * and xattrs survive. Disk only, no memory: reverting always leaves the VM off.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpOptions } from '../types';
import { HypervisorError } from '../types';
import type { Commands } from './commands';
import { vmPaths } from './machine';
import { checkName } from './names';
import { removeTree } from './proc';
import { readJson, subdirs, writeJson } from './state';

/** snapshots/<name>/snapshot.json */
export interface SnapshotMeta {
  name: string;
  takenAt: string;
  /** Was the VM running (frozen for the copy) when the snapshot was taken? */
  whileRunning: boolean;
}

const snapDir = (vmDir: string, name: string): string => join(vmPaths(vmDir).snapshots, name);

/** Names of the VM's snapshots, oldest first. */
export async function listSnapshotNames(vmDir: string): Promise<string[]> {
  const out: { name: string; at: string }[] = [];
  for (const d of await subdirs(vmPaths(vmDir).snapshots)) {
    const meta = await readJson<SnapshotMeta>(join(snapDir(vmDir, d), 'snapshot.json'));
    if (meta) out.push({ name: meta.name, at: meta.takenAt });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at)).map((s) => s.name);
}

/** Copy the upper layer into a new snapshot. The caller makes sure nothing writes meanwhile. */
export async function takeSnapshot(cmd: Commands, vmDir: string, name: string, whileRunning: boolean, opts: OpOptions = {}): Promise<void> {
  checkName('snapshot name', name);
  const dir = snapDir(vmDir, name);
  if (existsSync(dir)) {
    throw new HypervisorError(`A snapshot named ${name} already exists.`, 'conflict', 'Delete it first or pick another name.');
  }
  const tmp = `${dir}.partial`;
  await removeTree(tmp);
  await mkdir(tmp, { recursive: true });
  await cmd.run(['cp', '-a', vmPaths(vmDir).upper, join(tmp, 'upper')], { ...opts, timeoutMs: 15 * 60_000 });
  await writeJson(join(tmp, 'snapshot.json'), { name, takenAt: new Date().toISOString(), whileRunning } satisfies SnapshotMeta);
  await rename(tmp, dir);
}

/** Replace the (unmounted) upper layer with the snapshot's copy and empty the overlay work dir. */
export async function restoreSnapshot(cmd: Commands, vmDir: string, name: string, opts: OpOptions = {}): Promise<void> {
  const dir = snapDir(vmDir, name);
  if (!existsSync(join(dir, 'snapshot.json'))) {
    throw new HypervisorError(`This VM has no snapshot named ${name}.`, 'not-found', 'List the snapshots (listSnapshots) and pick one of them.');
  }
  const p = vmPaths(vmDir);
  const fresh = `${p.upper}.restoring`;
  const old = `${p.upper}.old`;
  await removeTree(fresh);
  await removeTree(old);
  await cmd.run(['cp', '-a', join(dir, 'upper'), fresh], { ...opts, timeoutMs: 15 * 60_000 });
  if (existsSync(p.upper)) await rename(p.upper, old);
  await rename(fresh, p.upper);
  await removeTree(old);
  await removeTree(p.work);
  await mkdir(p.work, { recursive: true });
}

/** Delete one snapshot. */
export async function removeSnapshot(vmDir: string, name: string): Promise<void> {
  checkName('snapshot name', name);
  const dir = snapDir(vmDir, name);
  if (!existsSync(dir)) {
    throw new HypervisorError(`This VM has no snapshot named ${name}.`, 'not-found', 'List the snapshots (listSnapshots) and pick one of them.');
  }
  await removeTree(dir);
}
