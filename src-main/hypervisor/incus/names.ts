/**
 * Names of what a lab makes on Incus/LXD. Bridge networks live in the
 * server's default project (LXD 5.0 keeps bridges there) and become host
 * interfaces, so they fit 15 characters: `hi<lab tag>-<vmnet>`; a different
 * prefix from the Linux lab's `hl…` so both providers can hold the same lab
 * name side by side.
 */
import { labTag, MAX_IFNAME, shortHash } from '../linux/names';

/** The lab's project: `halab-<lab id>`. */
export function projectName(labId: string): string {
  return `halab-${labId}`;
}

/** The lab id a project stands for, or undefined for any other project. */
export function labOfProject(project: string): string | undefined {
  return project.startsWith('halab-') ? project.slice('halab-'.length) : undefined;
}

/** Managed bridge for one VMnet of one lab. */
export function networkName(labId: string, vmnet: string): string {
  const prefix = `hi${labTag(labId)}-`;
  const room = MAX_IFNAME - prefix.length;
  const part = /^[a-z0-9]+$/.test(vmnet) && vmnet.length <= room ? vmnet : shortHash(`net:${vmnet}`, room);
  return prefix + part;
}

/** Guest NIC name, as on VMware's Ubuntu guests and the Linux lab: ens33, ens34, … */
export function guestNic(index: number): string {
  return `ens${33 + index}`;
}
