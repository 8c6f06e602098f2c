/**
 * A VM's NICs: its network namespace and one veth pair per NIC, the host end
 * enslaved to the VMnet's bridge, the guest end inside the namespace named
 * ens33, ens34, … with the blueprint's MAC.
 */
import { existsSync } from 'node:fs';
import type { OpOptions } from '../types';
import type { Commands } from './commands';
import { getLink, listLinks } from './bridge';
import { parseBriefAddr, type BriefAddr } from './parse';
import type { NicState } from './state';

/** Path systemd-nspawn is given for a namespace. */
export const netnsPath = (netns: string): string => `/run/netns/${netns}`;

/** Names of all network namespaces on the host. */
export async function listNetns(cmd: Commands, opts: OpOptions = {}): Promise<string[]> {
  const res = await cmd.run(['ip', '-j', 'netns', 'list'], { ...opts, quiet: true });
  const list = JSON.parse(res.stdout.trim() || '[]') as { name: string }[];
  return list.map((n) => n.name);
}

/** Create the namespace (with loopback up) unless it exists. */
export async function ensureNetns(cmd: Commands, netns: string, opts: OpOptions = {}): Promise<void> {
  if (!existsSync(netnsPath(netns))) await cmd.run(['ip', 'netns', 'add', netns], opts);
  await cmd.run(['ip', '-n', netns, 'link', 'set', 'dev', 'lo', 'up'], opts);
}

/** Delete the namespace (its guest NICs go with it, and so do their host ends). */
export async function deleteNetns(cmd: Commands, netns: string, opts: OpOptions = {}): Promise<void> {
  if (existsSync(netnsPath(netns)) || (await listNetns(cmd, opts)).includes(netns)) {
    await cmd.run(['ip', 'netns', 'del', netns], opts);
  }
}

/**
 * Wire one NIC: create the veth pair if it is missing (guest end straight into
 * the namespace under its ens name and MAC), then enslave the host end to the
 * bridge and bring it up. Safe to repeat (start() re-wires after a bridge was
 * re-created).
 */
export async function wireNic(cmd: Commands, netns: string, nic: NicState, opts: OpOptions = {}): Promise<void> {
  let host = await getLink(cmd, nic.hostVeth, opts);
  const guest = await getLink(cmd, nic.guestNic, { ...opts, netns });
  if (host && !guest) {
    await cmd.run(['ip', 'link', 'del', 'dev', nic.hostVeth], opts);
    host = undefined;
  }
  if (!host) {
    if (guest) await cmd.run(['ip', '-n', netns, 'link', 'del', 'dev', nic.guestNic], opts);
    await cmd.run(
      ['ip', 'link', 'add', 'name', nic.hostVeth, 'type', 'veth', 'peer', 'name', nic.guestNic, 'address', nic.mac, 'netns', netns],
      opts,
    );
  }
  await cmd.run(['ip', 'link', 'set', 'dev', nic.hostVeth, 'master', nic.bridge, 'up'], opts);
}

/** Is the NIC's cable plugged (host end administratively up)? */
export async function nicConnected(cmd: Commands, nic: NicState, opts: OpOptions = {}): Promise<boolean> {
  const link = await getLink(cmd, nic.hostVeth, opts);
  return !!link?.flags?.includes('UP');
}

/** Pull or plug a NIC's cable: the host end of its veth goes down or up. */
export async function setNicLink(cmd: Commands, nic: NicState, connected: boolean, opts: OpOptions = {}): Promise<void> {
  await cmd.run(['ip', 'link', 'set', 'dev', nic.hostVeth, connected ? 'up' : 'down'], opts);
}

/**
 * A powered-off VM is silent on the wire. The namespace outlives the guest
 * (it belongs to the provider, not to nspawn), so without this it would keep
 * answering ARP and TCP (RST) for every address the guest had, the VIP
 * included: clients then fail at once instead of retrying until the VIP's
 * new owner answers, and the guest boots with stale addresses. Before a hard
 * stop the guest NICs lose their carrier (like a real power cut, the guest
 * sends nothing more); after any stop their addresses go. The guest's
 * networkd brings the links up and sets the addresses again at boot.
 */
export function nicsDownArgv(netns: string, nics: Pick<NicState, 'guestNic'>[]): string[][] {
  return nics.map((n) => ['ip', '-n', netns, 'link', 'set', 'dev', n.guestNic, 'down']);
}

/** See nicsDownArgv: drop every address of the guest NICs (the guest is off). */
export function nicsFlushArgv(netns: string, nics: Pick<NicState, 'guestNic'>[]): string[][] {
  return nics.flatMap((n) => [
    ['ip', '-n', netns, 'link', 'set', 'dev', n.guestNic, 'down'],
    ['ip', '-n', netns, 'addr', 'flush', 'dev', n.guestNic],
    ['ip', '-n', netns, 'neigh', 'flush', 'dev', n.guestNic],
  ]);
}

/** Run nicsDownArgv or nicsFlushArgv's commands; a missing namespace or NIC is not an error (nothing to silence). */
export async function silenceNics(cmd: Commands, argvs: string[][], netns: string, opts: OpOptions = {}): Promise<void> {
  if (!existsSync(netnsPath(netns))) return;
  for (const argv of argvs) await cmd.tryRun(argv, { ...opts, quiet: true });
}

/** `ip -4 -br addr` inside a namespace. */
export async function netnsAddresses(cmd: Commands, netns: string, opts: OpOptions = {}): Promise<BriefAddr[]> {
  if (!existsSync(netnsPath(netns))) return [];
  const res = await cmd.tryRun(['ip', '-n', netns, '-4', '-br', 'addr', 'show'], { ...opts, quiet: true });
  return res ? parseBriefAddr(res.stdout) : [];
}

/** Host links whose names start with a prefix (a lab's veths or bridges). */
export async function linksWithPrefix(cmd: Commands, prefix: string, opts: OpOptions = {}): Promise<string[]> {
  return (await listLinks(cmd, opts)).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
}
