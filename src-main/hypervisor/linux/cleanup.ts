/**
 * Remove everything a lab created on the host, even after a crash: found
 * through the lab folder's state files AND through the lab's deterministic
 * names (netns `halab-<lab>-`, links `hl<tag>-` / `hv<tag>`, processes whose
 * root or pid file lies in the lab folder). Also a report of what is left.
 */
import { readdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LabRef, OpOptions } from '../types';
import { deleteLink } from './bridge';
import type { Commands } from './commands';
import { stopDnsmasq } from './dnsmasq';
import { NSPAWN_RUN_DIR, releaseMachine, stopMachine } from './machine';
import { bridgePrefix, labTag, machineName, netnsPrefix, vethPrefix } from './names';
import { deleteNetns, linksWithPrefix, listNetns } from './netns';
import { forwardBlockedBridges, guardPresent, guardsOfLab, releaseGuard, unblockForwarding } from './net-guard';
import { allProcs, mountsUnder, procCmdline, removeTree, signalTree, type ProcRef } from './proc';
import { netDir, readJson, subdirs, vmDir, type NetworkState } from './state';
import { formatCidr, parseCidr, type Cidr } from './subnet';

/** What of a lab is still on the host. Empty lists mean nothing is left. */
export interface LabLeftovers {
  netns: string[];
  links: string[];
  mounts: string[];
  processes: string[];
  forwardRules: string[];
  guards: string[];
  /** systemd-nspawn per-machine folders under /run/systemd/nspawn/propagate. */
  nspawnState: string[];
}

async function nspawnStateDirs(lab: LabRef): Promise<string[]> {
  const prefix = `halab-${labTag(lab.id)}-`;
  return (await readdir(join(NSPAWN_RUN_DIR, 'propagate')).catch(() => [] as string[])).filter((d) => d.startsWith(prefix));
}

/** Live (non-zombie) processes that belong to this lab: nspawn of its VMs, dnsmasq of its networks. */
export async function labProcesses(lab: LabRef): Promise<(ProcRef & { argv: string[] })[]> {
  const root = resolve(lab.dir);
  const brPrefix = bridgePrefix(lab.id);
  const out: (ProcRef & { argv: string[] })[] = [];
  for (const st of (await allProcs()).values()) {
    if (st.state === 'Z' || st.state === 'X') continue;
    if (!/nspawn|dnsmasq/.test(st.comm)) continue;
    const argv = (await procCmdline(st.pid)) ?? [];
    const mine = argv.some((a) => (a.includes(root + '/') && /^--(directory|pid-file|dhcp-leasefile)=/.test(a)) || a.startsWith(`--interface=${brPrefix}`));
    if (mine) out.push({ pid: st.pid, starttime: st.starttime, argv });
  }
  return out;
}

async function labSubnets(lab: LabRef): Promise<Cidr[]> {
  const out = await guardsOfLab(lab.id);
  for (const n of await subdirs(join(lab.dir, 'networks'))) {
    const s = await readJson<NetworkState>(join(netDir(lab, n), 'network.json')).catch(() => undefined);
    if (s) out.push(parseCidr(s.subnet));
  }
  return out;
}

/**
 * Tear down everything of the lab: VMs (killed hard), overlay mounts,
 * namespaces, veths, bridges, dnsmasq, forwarding rules, and (unless
 * `keepGuards`) its subnets' guard routes where no other lab holds them.
 * Deletes the lab folder's `vms/` and `networks/`. Safe to repeat.
 */
export async function cleanupLabResources(cmd: Commands, lab: LabRef, opts: OpOptions & { keepGuards?: boolean } = {}): Promise<void> {
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  const subnets = await labSubnets(lab);
  for (const vm of await subdirs(join(lab.dir, 'vms'))) {
    await attempt(`stop ${vm}`, () => stopMachine(vmDir(lab, vm), 'hard', opts));
  }
  for (const p of await labProcesses(lab)) await attempt(`kill ${p.pid}`, () => signalTree(p.pid, 'SIGKILL'));
  for (const vm of await subdirs(join(lab.dir, 'vms'))) {
    await attempt(`unmount ${vm}`, () => releaseMachine(cmd, vmDir(lab, vm), machineName(lab.id, vm), opts));
  }
  for (const m of (await mountsUnder(lab.dir)).reverse()) await attempt(`umount ${m.target}`, () => cmd.run(['umount', '-l', m.target], opts));
  for (const ns of await listNetns(cmd, opts)) {
    if (ns.startsWith(netnsPrefix(lab.id))) await attempt(`netns ${ns}`, () => deleteNetns(cmd, ns, opts));
  }
  for (const net of await subdirs(join(lab.dir, 'networks'))) {
    const s = await readJson<NetworkState>(join(netDir(lab, net), 'network.json')).catch(() => undefined);
    if (s) await attempt(`dnsmasq ${net}`, () => stopDnsmasq(netDir(lab, net), s.bridge));
  }
  for (const prefix of [vethPrefix(lab.id), bridgePrefix(lab.id)]) {
    for (const link of await linksWithPrefix(cmd, prefix, opts)) await attempt(`link ${link}`, () => deleteLink(cmd, link, opts));
  }
  for (const br of await forwardBlockedBridges(cmd, opts)) {
    if (br.startsWith(bridgePrefix(lab.id))) await attempt(`rule ${br}`, () => unblockForwarding(cmd, br, opts));
  }
  for (const d of await nspawnStateDirs(lab)) await attempt(`nspawn state ${d}`, () => rmdir(join(NSPAWN_RUN_DIR, 'propagate', d)));
  if (!opts.keepGuards) {
    for (const c of subnets) await attempt('guard', () => releaseGuard(cmd, lab.id, c, opts));
  }
  for (const sub of ['vms', 'networks']) await attempt(`remove ${sub}`, () => removeTree(join(lab.dir, sub)));
  if (errors.length > 0) throw new Error(`Cleanup of lab ${lab.id} left problems: ${errors.join('; ')}`);
}

/** What of the lab is still on the host (for `halab down` checks and tests). */
export async function labLeftovers(cmd: Commands, lab: LabRef, subnets: string[] = []): Promise<LabLeftovers> {
  const guards: string[] = [];
  for (const s of [...subnets.map(parseCidr), ...(await guardsOfLab(lab.id))]) {
    if (await guardPresent(cmd, s)) guards.push(formatCidr(s));
  }
  const vmsLeft = await readdir(join(lab.dir, 'vms')).catch(() => [] as string[]);
  return {
    netns: (await listNetns(cmd)).filter((n) => n.startsWith(netnsPrefix(lab.id))),
    links: [...(await linksWithPrefix(cmd, vethPrefix(lab.id))), ...(await linksWithPrefix(cmd, bridgePrefix(lab.id)))],
    mounts: [...(await mountsUnder(lab.dir)).map((m) => m.target), ...vmsLeft.map((v) => `(folder) vms/${v}`)],
    processes: (await labProcesses(lab)).map((p) => `${p.pid} ${p.argv.slice(0, 3).join(' ')}`),
    forwardRules: (await forwardBlockedBridges(cmd)).filter((b) => b.startsWith(bridgePrefix(lab.id))),
    guards,
    nspawnState: await nspawnStateDirs(lab),
  };
}
