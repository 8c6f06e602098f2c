/**
 * Learning a guest's IPv4 address from more than one source, because
 * `getGuestIPAddress` alone is unreliable on headless starts and can return a
 * docker/`.1` address: (1) `getGuestIPAddress -wait` under our own timeout
 * (first NIC only), (2) `readVariable guestVar local-ipv4` published by
 * cloud-init (first NIC only), (3) the VMnet DHCP lease for the NIC's MAC.
 * Answers ending in `.1`, equal to the host's address, or outside the NIC's
 * subnet are discarded.
 */
import { readFile } from 'node:fs/promises';
import { HypervisorError } from '../types.js';
import { activeLeaseFor, parseDhcpLeases } from './dhcp-leases.js';
import { inCidr } from './ipv4.js';
import type { VmrunClient } from './vmrun-client.js';
import { VmrunError } from './vmrun-errors.js';
import { isIpv4 } from './vmrun-parsers.js';

export interface GuestAddressQuery {
  client: VmrunClient;
  vmx: string;
  vmName: string;
  network: string;
  nicIndex: number;
  mac: string;
  /** The NIC's subnet (CIDR), when known. */
  subnet?: string;
  hostAddress?: string;
  leaseFiles: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  isRunning: () => Promise<boolean>;
  pollMs?: number;
  log?: (line: string) => void;
}

/** Is `ip` a plausible address for this NIC? */
export function acceptableAddress(ip: string, q: Pick<GuestAddressQuery, 'subnet' | 'hostAddress'>): boolean {
  if (!isIpv4(ip) || ip.endsWith('.1') || ip === q.hostAddress || ip.startsWith('169.254.')) return false;
  return q.subnet ? inCidr(ip, q.subnet) : true;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

async function fromLeases(q: GuestAddressQuery): Promise<string | undefined> {
  for (const file of q.leaseFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lease = activeLeaseFor(parseDhcpLeases(text), q.mac);
    if (lease && acceptableAddress(lease.ip, q)) return lease.ip;
  }
  return undefined;
}

/** Wait for the address; rejects with a HypervisorError on timeout, cancel, or a VM that stopped. */
export async function waitForGuestAddress(q: GuestAddressQuery): Promise<string> {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  q.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const deadline = Date.now() + q.timeoutMs;
  const pollMs = q.pollMs ?? 500;
  let found: string | undefined;
  let discarded: string | undefined;

  const viaTools = async (): Promise<void> => {
    while (!found && !stop.signal.aborted && Date.now() < deadline) {
      try {
        const ips = await q.client.getGuestIPAddress(q.vmx, { wait: true, timeoutMs: Math.max(1000, deadline - Date.now()), signal: stop.signal });
        const good = ips.find((ip) => acceptableAddress(ip, q));
        if (good) found ??= good;
        else discarded = ips.join(', ') || discarded;
      } catch (e) {
        if (!(e instanceof VmrunError) || e.kind === 'aborted' || e.kind === 'timeout') return;
      }
      if (!found) await pause(2000, stop.signal);
    }
  };
  const tools = q.nicIndex === 0 ? viaTools() : Promise.resolve();

  try {
    let lastRunningCheck = Date.now();
    while (!found) {
      if (q.signal?.aborted) throw new HypervisorError(`Waiting for ${q.vmName}'s address was canceled.`, 'failed');
      const lease = await fromLeases(q);
      if (lease) found ??= lease;
      if (!found && q.nicIndex === 0) {
        const published = await q.client.readVariable(q.vmx, 'guestVar', 'local-ipv4', { quiet: true, signal: stop.signal, timeoutMs: 10_000 }).catch(() => '');
        if (published && acceptableAddress(published, q)) found ??= published;
      }
      if (found) break;
      if (Date.now() >= deadline) {
        const extra = discarded ? ` VMware Tools reported ${discarded}, which is not on ${q.network}.` : '';
        throw new HypervisorError(
          `${q.vmName} got no address on ${q.network} within ${Math.round(q.timeoutMs / 1000)} s.${extra}`,
          'failed',
          `Open the VM's console in VMware Workstation and check it booted; make sure ${q.network} has DHCP (or the address was set), and that the template has open-vm-tools and cloud-init.`,
        );
      }
      if (Date.now() - lastRunningCheck > 5000) {
        lastRunningCheck = Date.now();
        if (!(await q.isRunning())) throw new HypervisorError(`${q.vmName} is not running, so it has no address.`, 'bad-state', 'Start the VM first.');
      }
      await pause(pollMs, stop.signal);
    }
    q.log?.(`${q.vmName} ${q.network}: ${found}`);
    return found;
  } finally {
    stop.abort();
    q.signal?.removeEventListener('abort', onOuterAbort);
    await tools;
  }
}
