/**
 * Deterministic, short names for what the Linux lab provider creates on the
 * host. Interface names must fit IFNAMSIZ (15 characters), so bridges and
 * veths carry a short hash of the lab id; every name of one lab starts with a
 * prefix derived from that lab alone, which is how a cleanup after a crash
 * finds them again.
 */
import { createHash } from 'node:crypto';

/** Longest interface name Linux accepts (IFNAMSIZ - 1). */
export const MAX_IFNAME = 15;

/** First `len` hex characters of SHA-256 over `text`. */
export function shortHash(text: string, len: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

/** Five hex characters that stand for a lab in its interface names. */
export function labTag(labId: string): string {
  return shortHash(`lab:${labId}`, 5);
}

/** Prefix of every bridge of this lab (`hl<tag>-`). */
export function bridgePrefix(labId: string): string {
  return `hl${labTag(labId)}-`;
}

/** Prefix of every host-side veth of this lab (`hv<tag>`). */
export function vethPrefix(labId: string): string {
  return `hv${labTag(labId)}`;
}

/**
 * Bridge for one VMnet of one lab: `hl<tag>-<vmnet>` (e.g. `hl3fa2c-vmnet8`),
 * the VMnet part replaced by a hash when it is not short and plain.
 */
export function bridgeName(labId: string, network: string): string {
  const prefix = bridgePrefix(labId);
  const room = MAX_IFNAME - prefix.length;
  const part = /^[a-z0-9]+$/.test(network) && network.length <= room ? network : shortHash(`net:${network}`, room);
  return prefix + part;
}

/** Host end of the veth pair that is NIC `nicIndex` of a VM: `hv<tag><vmhash>n<i>`. */
export function hostVethName(labId: string, vm: string, nicIndex: number): string {
  if (!Number.isInteger(nicIndex) || nicIndex < 0 || nicIndex > 99) throw new Error(`NIC index ${nicIndex} is out of range (0–99)`);
  return `${vethPrefix(labId)}${shortHash(`vm:${vm}`, 5)}n${nicIndex}`;
}

/** Guest NIC name, as VMware NICs are named on Ubuntu: ens33, ens34, … */
export function guestNicName(nicIndex: number): string {
  return `ens${33 + nicIndex}`;
}

/** Prefix of every network namespace of this lab. */
export function netnsPrefix(labId: string): string {
  return `halab-${labId}-`;
}

/** Network namespace of one VM: `halab-<lab>-<vm>`. */
export function netnsName(labId: string, vm: string): string {
  return `${netnsPrefix(labId)}${vm}`;
}

/**
 * The machine name given to systemd-nspawn: unique per lab and VM (nspawn keeps
 * per-machine state in /run/systemd/nspawn under it), at most 52 characters.
 * The guest's hostname still comes from its /etc/hostname.
 */
export function machineName(labId: string, vm: string): string {
  return `halab-${labTag(labId)}-${vm}`;
}

/** A stable, locally administered MAC for a lab bridge (so it never changes as ports come and go). */
export function bridgeMac(labId: string, network: string): string {
  const h = shortHash(`mac:${labId}/${network}`, 10);
  return ['02', ...(h.match(/../g) ?? [])].join(':');
}

/** Lab ids and VM names end up in file, namespace and host names: keep them plain. */
export function checkName(kind: 'lab id' | 'VM name' | 'network name' | 'snapshot name', name: string): void {
  const ok = kind === 'snapshot name' ? /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/ : /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
  if (!ok.test(name)) {
    throw new Error(
      kind === 'snapshot name'
        ? `Snapshot name "${name}" is not usable: use letters, digits, ".", "_" or "-" (at most 64).`
        : `The ${kind} "${name}" is not usable here: use lower-case letters, digits and "-" (at most 40, not starting or ending with "-").`,
    );
  }
}
