/**
 * The end of a lab on Incus/LXD: after its VMs, what else it made (its
 * bridges, its image alias, its project, the guard routes on this computer)
 * removed, and what of it is still on the server (every list empty after `down`).
 */
import { guardsOfLab, releaseGuard } from '../linux/net-guard';
import type { LabRef, OpOptions } from '../types';
import { deleteBridge, labNetworks, type HostSide } from './bridges';
import type { IncusClient } from './client';
import { aliasTarget, labAlias, removeLabAlias } from './image';
import { projectName } from './names';
import { isNotFound } from './project';

/** After the VMs: the lab's bridges, image alias and project; the guard routes too unless `keepGuards`. Safe to repeat. */
export async function removeLabRest(c: IncusClient, host: HostSide, lab: LabRef, opts: OpOptions & { keepGuards?: boolean }): Promise<void> {
  const project = projectName(lab.id);
  for (const net of await labNetworks(c, lab)) await deleteBridge(c, host, net.name, opts);
  if (await removeLabAlias(c, lab.id)) opts.log?.(`Removed the image alias ${labAlias(lab.id)}`);
  const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });
  if (proj && proj.config['user.halab.lab'] === lab.id) {
    opts.log?.(`Removing the project ${project}`);
    await c.sync('DELETE', `/1.0/projects/${project}`);
  }
  if (!opts.keepGuards && host.local) for (const g of await guardsOfLab(lab.id)) await releaseGuard(host.cmd, lab.id, g, opts);
}

export interface Leftovers {
  instances: string[];
  networks: string[];
  aliases: string[];
  project: string[];
}

export async function leftovers(c: IncusClient, lab: LabRef): Promise<Leftovers> {
  const project = projectName(lab.id);
  const proj = await c.get(`/1.0/projects/${project}`).then(
    () => [project],
    () => [],
  );
  const instances = proj.length ? (await c.get<string[]>('/1.0/instances', { project }).catch(() => [] as string[])).map((u) => u.split('?')[0]?.split('/').pop() ?? u) : [];
  return { instances, networks: (await labNetworks(c, lab)).map((n) => n.name), aliases: (await aliasTarget(c, labAlias(lab.id))) ? [labAlias(lab.id)] : [], project: proj };
}
