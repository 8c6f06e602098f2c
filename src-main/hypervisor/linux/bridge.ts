/**
 * Host links: the lab bridges (one per VMnet) and the host ends of the VMs'
 * veth pairs, driven through `ip`.
 */
import { writeFile } from 'node:fs/promises';
import type { OpOptions } from '../types';
import { CommandError } from '../../exec/runner';
import type { Commands } from './commands';

/** The parts of `ip -j -d link show` the provider reads. */
export interface LinkJson {
  ifname: string;
  address?: string;
  operstate?: string;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string };
}

/** All links of the host (or of a namespace with `netns`). */
export async function listLinks(cmd: Commands, opts: OpOptions & { netns?: string } = {}): Promise<LinkJson[]> {
  const ns = opts.netns ? ['-n', opts.netns] : [];
  const res = await cmd.run(['ip', ...ns, '-j', '-d', 'link', 'show'], { ...opts, quiet: true });
  return JSON.parse(res.stdout || '[]') as LinkJson[];
}

/** One link by name, or undefined. */
export async function getLink(cmd: Commands, name: string, opts: OpOptions & { netns?: string } = {}): Promise<LinkJson | undefined> {
  return (await listLinks(cmd, opts)).find((l) => l.ifname === name);
}

/** IPv4 addresses (`a.b.c.d/n`) on a host link. */
export async function linkAddresses(cmd: Commands, name: string, opts: OpOptions = {}): Promise<string[]> {
  const res = await cmd.run(['ip', '-j', '-4', 'addr', 'show', 'dev', name], { ...opts, quiet: true });
  const entries = JSON.parse(res.stdout || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  return entries.flatMap((e) => (e.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
}

/** Create a bridge with a fixed MAC and the host's address, and bring it up (idempotent for the parts present). */
export async function ensureBridge(cmd: Commands, name: string, mac: string, hostCidr: string, opts: OpOptions = {}): Promise<void> {
  const link = await getLink(cmd, name, opts);
  if (!link) {
    await cmd.run(['ip', 'link', 'add', 'name', name, 'address', mac, 'type', 'bridge', 'stp_state', '0'], opts);
    // The host talks IPv4 only on lab bridges: no router solicitations or SLAAC chatter.
    await writeFile(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '1').catch(() => undefined);
  } else if (link.linkinfo?.info_kind !== 'bridge') {
    throw new Error(`${name} exists but is not a bridge`);
  }
  if (!(await linkAddresses(cmd, name, opts)).includes(hostCidr)) {
    await cmd.run(['ip', 'addr', 'add', hostCidr, 'dev', name], opts);
  }
  await cmd.run(['ip', 'link', 'set', 'dev', name, 'up'], opts);
}

/** Delete a host link; no-op when it is absent (or vanishes meanwhile, as a veth does when its namespace goes). */
export async function deleteLink(cmd: Commands, name: string, opts: OpOptions = {}): Promise<void> {
  if (!(await getLink(cmd, name, opts))) return;
  try {
    await cmd.run(['ip', 'link', 'del', 'dev', name], opts);
  } catch (e) {
    if (!(e instanceof CommandError) || !/Cannot find device|No such device/.test(`${e.stderr}${e.stdout}`)) throw e;
  }
}
