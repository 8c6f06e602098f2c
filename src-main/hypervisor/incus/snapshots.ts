/**
 * Snapshots of a lab VM on Incus/LXD (stateless; a revert hard-stops the
 * instance first). The provider serialises them per VM.
 */
import type { LabRef, OpOptions } from '../types';
import { HypervisorError } from '../types';
import type { IncusClient } from './client';
import { projectName } from './names';

/** The instance's snapshot names. */
export async function snapshotNames(c: IncusClient, lab: LabRef, name: string): Promise<string[]> {
  const urls = await c.get<string[]>(`/1.0/instances/${name}/snapshots`, { project: projectName(lab.id) });
  return urls.map((u) => decodeURIComponent(u.split('?')[0]?.split('/').pop() ?? u));
}

/** Take `snapshot` (replacing one of the same name). */
export async function takeSnapshot(c: IncusClient, lab: LabRef, name: string, snapshot: string, opts: OpOptions): Promise<void> {
  if ((await snapshotNames(c, lab, name)).includes(snapshot)) await c.op('DELETE', `/1.0/instances/${name}/snapshots/${snapshot}`, { project: projectName(lab.id) });
  await c.op('POST', `/1.0/instances/${name}/snapshots`, { project: projectName(lab.id), body: { name: snapshot, stateful: false }, timeoutMs: 15 * 60_000, signal: opts.signal });
}

/** Refuse a revert to a snapshot the instance does not have. */
export async function requireSnapshot(c: IncusClient, lab: LabRef, name: string, snapshot: string): Promise<void> {
  if (!(await snapshotNames(c, lab, name)).includes(snapshot)) {
    throw new HypervisorError(`${name} has no snapshot named ${snapshot}.`, 'not-found', 'List the snapshots and pick one of them.');
  }
}

/** Restore a stopped instance to `snapshot`. */
export async function restoreSnapshot(c: IncusClient, lab: LabRef, name: string, snapshot: string, opts: OpOptions): Promise<void> {
  await c.op('PUT', `/1.0/instances/${name}`, { project: projectName(lab.id), body: { restore: snapshot }, timeoutMs: 15 * 60_000, signal: opts.signal });
}

/** Delete `snapshot` if it exists. */
export async function dropSnapshot(c: IncusClient, lab: LabRef, name: string, snapshot: string): Promise<void> {
  if (!(await snapshotNames(c, lab, name)).includes(snapshot)) return;
  await c.op('DELETE', `/1.0/instances/${name}/snapshots/${snapshot}`, { project: projectName(lab.id) });
}
