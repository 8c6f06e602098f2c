/**
 * The lab's project on Incus/LXD: `halab-<lab>`, sharing images, profiles
 * and storage with the default project, with limits from the blueprint's
 * totals (the classroom sets them before `up`; `up` raises them to cover
 * the VMs it creates, counting those still being created).
 */
import type { LabRef, VmSpec } from '../types';
import { HypervisorError } from '../types';
import { IncusApiError, type IncusClient } from './client';
import type { Instance } from './instance';
import { projectName } from './names';

export interface Totals {
  instances: number;
  vcpus: number;
  memoryMiB: number;
}

export const isNotFound = (e: unknown): boolean => e instanceof IncusApiError && e.notFound;

/** Project config: images, profiles and storage shared from the default project; limits from the totals. */
export function projectConfig(labId: string, totals?: Totals): Record<string, string> {
  const cfg: Record<string, string> = {
    'features.images': 'false',
    'features.profiles': 'false',
    'features.storage.volumes': 'false',
    'user.halab.lab': labId,
  };
  if (totals) {
    cfg['limits.instances'] = String(totals.instances);
    cfg['limits.cpu'] = String(totals.vcpus);
    cfg['limits.memory'] = `${totals.memoryMiB}MiB`;
  }
  return cfg;
}

/** Make the lab's project (idempotent) and, when given, set its limits to `totals`. */
export async function ensureProject(c: IncusClient, lab: LabRef, totals?: Totals): Promise<void> {
  const project = projectName(lab.id);
  const have = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (!have) {
    const made = await c.sync('POST', '/1.0/projects', { body: { name: project, description: `HA Lab Studio lab ${lab.id}`, config: projectConfig(lab.id, totals) } }).then(
      () => true,
      // Made meanwhile by another halab process (a classroom, a second window): then it is checked as an existing one.
      async (e: unknown) => {
        if (e instanceof IncusApiError && /already exists/i.test(e.message) && (await c.get(`/1.0/projects/${project}`).then(() => true, () => false))) return false;
        throw e;
      },
    );
    if (made) return;
    return ensureProject(c, lab, totals);
  }
  if (have.config['user.halab.lab'] !== lab.id) throw new HypervisorError(`The project ${project} exists but was not made by HA Lab Studio.`, 'conflict', `Pick another lab name, or remove the project ${project}.`);
  if (totals) await c.sync('PATCH', `/1.0/projects/${project}`, { body: { config: projectConfig(lab.id, totals) } });
}

/**
 * The limits the project needs for its instances plus those being created
 * (`pending`), or undefined when the current ones already cover them. Never lowers a limit.
 */
export function raisedLimits(have: Instance[], pending: Map<string, VmSpec>, current: Record<string, string>): Totals | undefined {
  let vcpus = 0;
  let mem = 0;
  const names = new Set<string>();
  for (const i of have) {
    names.add(i.name);
    vcpus += Number(i.config['limits.cpu'] ?? 1);
    mem += mib(i.config['limits.memory'] ?? '0');
  }
  for (const [n, s] of pending) {
    if (names.has(n)) continue;
    names.add(n);
    vcpus += s.vcpus;
    mem += s.memoryMiB;
  }
  const cur = { instances: Number(current['limits.instances'] ?? 0), vcpus: Number(current['limits.cpu'] ?? 0), memoryMiB: mib(current['limits.memory'] ?? '0') };
  if (cur.instances >= names.size && cur.vcpus >= vcpus && cur.memoryMiB >= mem) return undefined;
  return { instances: Math.max(cur.instances, names.size), vcpus: Math.max(cur.vcpus, vcpus), memoryMiB: Math.max(cur.memoryMiB, mem) };
}

/** `1024MiB` / `1GiB` / `512MB` / bytes → MiB. */
export function mib(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B)?$/i.exec(v.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'B').toUpperCase();
  const f: Record<string, number> = { B: 1 / 2 ** 20, KB: 1000 / 2 ** 20, KIB: 1 / 1024, MB: 1e6 / 2 ** 20, MIB: 1, GB: 1e9 / 2 ** 20, GIB: 1024, TB: 1e12 / 2 ** 20, TIB: 1024 * 1024 };
  return Math.round(n * (f[unit] ?? 0));
}
