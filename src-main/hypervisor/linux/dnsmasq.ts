/**
 * DHCP on a lab bridge, the way VMware's DHCP serves NAT and host-only
 * VMnets: one dnsmasq per network (DNS off, bound to that bridge only, no
 * router handed out so guests stay offline), with its pid, lease and log files
 * in the network's folder of the lab.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpOptions } from '../types';
import type { Commands } from './commands';
import { parseLeases, type Lease } from './parse';
import { isAlive, procStat, waitGone, type ProcRef } from './proc';

/** Files of one network's dnsmasq. */
export const dnsmasqFiles = (dir: string): { pid: string; leases: string; log: string } => ({
  pid: join(dir, 'dnsmasq.pid'),
  leases: join(dir, 'dnsmasq.leases'),
  log: join(dir, 'dnsmasq.log'),
});

/** The dnsmasq serving `bridge` per its pid file, if it is alive and really that dnsmasq. */
export async function runningDnsmasq(dir: string, bridge: string): Promise<ProcRef | undefined> {
  const text = await readFile(dnsmasqFiles(dir).pid, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const st = await procStat(pid);
  if (!st) return undefined;
  const ref = { pid, starttime: st.starttime };
  const ok = await isAlive(ref, (argv) => /dnsmasq$/.test(argv[0] ?? '') && argv.includes(`--interface=${bridge}`));
  return ok ? ref : undefined;
}

/** argv of the dnsmasq for one lab network. */
export function dnsmasqArgv(bridge: string, dhcp: { start: string; end: string }, dir: string): string[] {
  const f = dnsmasqFiles(dir);
  return [
    'dnsmasq',
    '--conf-file=/dev/null',
    '--port=0',
    '--bind-interfaces',
    `--interface=${bridge}`,
    '--except-interface=lo',
    `--dhcp-range=${dhcp.start},${dhcp.end},12h`,
    '--dhcp-authoritative',
    // No ping before an offer: dnsmasq waits up to 3 s for an echo, one client at a time, so six
    // VMs booting together got their addresses up to 18 s late. The range is the lab's own.
    '--no-ping',
    // An empty router option: guests get no default route (labs are offline).
    '--dhcp-option=option:router',
    '--no-resolv',
    '--no-hosts',
    `--dhcp-leasefile=${f.leases}`,
    `--pid-file=${f.pid}`,
    `--log-facility=${f.log}`,
    '--log-dhcp',
  ];
}

/** Start dnsmasq (it daemonizes itself) unless it already runs for this bridge. */
export async function ensureDnsmasq(cmd: Commands, bridge: string, dhcp: { start: string; end: string }, dir: string, opts: OpOptions = {}): Promise<ProcRef> {
  const running = await runningDnsmasq(dir, bridge);
  if (running) return running;
  await cmd.run(dnsmasqArgv(bridge, dhcp, dir), { ...opts, timeoutMs: 15_000, resolveOnExit: true });
  for (let i = 0; i < 50; i++) {
    const ref = await runningDnsmasq(dir, bridge);
    if (ref) return ref;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = await readFile(dnsmasqFiles(dir).log, 'utf8').catch(() => '');
  throw new Error(`dnsmasq did not stay running on ${bridge}. ${log.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Stop this network's dnsmasq (SIGTERM, then SIGKILL) and remove its pid file. */
export async function stopDnsmasq(dir: string, bridge: string, signal?: AbortSignal): Promise<void> {
  const ref = await runningDnsmasq(dir, bridge);
  if (ref) {
    process.kill(ref.pid, 'SIGTERM');
    if (!(await waitGone(ref, 5000, signal))) {
      try {
        process.kill(ref.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitGone(ref, 5000, signal);
    }
  }
  await rm(dnsmasqFiles(dir).pid, { force: true });
}

/** Current leases of a network (empty when there is no lease file). */
export async function readLeases(dir: string): Promise<Lease[]> {
  return parseLeases(await readFile(dnsmasqFiles(dir).leases, 'utf8').catch(() => ''));
}
