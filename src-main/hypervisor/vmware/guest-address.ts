/**
 * Learning a guest's IPv4 address from more than one source, because
 * `getGuestIPAddress` alone is unreliable on headless starts and can return a
 * docker/`.1` address: (1) `getGuestIPAddress -wait` under our own timeout
 * (first NIC only), (2) `readVariable guestVar local-ipv4` published by
 * cloud-init (first NIC only), (3) the VMnet DHCP lease for the NIC's MAC.
 * Answers ending in `.1`, equal to the host's address, or outside the NIC's
 * subnet are discarded.
 *
 * Rate: all vmrun calls of one wait share one gate, so a VM costs at most
 * one vmrun call per second (the lease file is read more often; it is only
 * a file). A transient vmrun failure (the Workstation UI was busy) is simply
 * tried again at the next slot, for as long as the wait lasts.
 *
 * Why no `network:` key in the clone's cloud-init metadata: the first boot
 * takes DHCP on the first NIC, which works with any template (also one whose
 * cloud-init ignores guestinfo network config, e.g. a leftover
 * 99-installer.cfg); the lab's static addresses are then written by the
 * provisioner's system step over SSH as netplan matched by MAC, the same
 * rendered files on both providers, and cloud-init's network rendering is
 * disabled there. So netplan over SSH is the one source of the lab
 * addresses; this wait only has to find the first-boot DHCP address.
 */
import { readFile } from 'node:fs/promises';
import { HypervisorError } from '../types.js';
import { activeLeaseFor, parseDhcpLeases } from './dhcp-leases.js';
import { inCidr } from './ipv4.js';
import { sleep, type VmrunClient } from './vmrun-client.js';
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
  /** Is the VM still running? May throw a transient VmrunError (then asked again later). */
  isRunning: () => Promise<boolean>;
  /** How often the lease file is read (default 500 ms). */
  pollMs?: number;
  /** Least time between two vmrun calls of this wait (default 1000 ms). */
  minCallGapMs?: number;
  /** The VM's call gate, shared by every wait on that VM (default: this wait's own). */
  slot?: { next: number };
  /** How often the VM's power state is checked (default 5 s). */
  runningCheckMs?: number;
  log?: (line: string) => void;
}

/** Is `ip` a plausible address for this NIC? */
export function acceptableAddress(ip: string, q: Pick<GuestAddressQuery, 'subnet' | 'hostAddress'>): boolean {
  if (!isIpv4(ip) || ip.endsWith('.1') || ip === q.hostAddress || ip.startsWith('169.254.')) return false;
  return q.subnet ? inCidr(ip, q.subnet) : true;
}

async function fromLeases(q: GuestAddressQuery): Promise<string | undefined> {
  for (const file of q.leaseFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lease = activeLeaseFor(parseDhcpLeases(text), q.mac);
    if (lease && acceptableAddress(lease.ip, q)) return lease.ip;
  }
  return undefined;
}

/** A transient vmrun failure (or our own per-call timeout) that the wait simply tries again later. */
const retryable = (e: unknown): boolean => e instanceof VmrunError && (e.transient || e.kind === 'timeout');

/** Wait for the address; rejects with a HypervisorError on timeout, cancel, or a VM that stopped. */
export async function waitForGuestAddress(q: GuestAddressQuery): Promise<string> {
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  if (q.signal?.aborted) stop.abort();
  q.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const deadline = Date.now() + q.timeoutMs;
  const pollMs = q.pollMs ?? 500;
  const gap = q.minCallGapMs ?? 1000;
  const runningEvery = q.runningCheckMs ?? 5000;
  let found: string | undefined;
  let discarded: string | undefined;

  // One gate for every vmrun call of this wait (and of other waits on the same VM).
  const slot = q.slot ?? { next: 0 };
  const slotFree = () => Date.now() >= slot.next;
  const takeSlot = async (): Promise<boolean> => {
    const now = Date.now();
    const at = Math.max(now, slot.next);
    slot.next = at + gap;
    if (at > now) await sleep(at - now, stop.signal);
    return !stop.signal.aborted && !found;
  };

  const viaTools = async (): Promise<void> => {
    while (!found && !stop.signal.aborted && Date.now() < deadline) {
      if (!(await takeSlot())) return;
      try {
        const ips = await q.client.getGuestIPAddress(q.vmx, { wait: true, quiet: true, retries: 0, timeoutMs: Math.max(1000, deadline - Date.now()), signal: stop.signal });
        const good = ips.find((ip) => acceptableAddress(ip, q));
        if (good) found ??= good;
        else discarded = ips.join(', ') || discarded;
      } catch (e) {
        if (!(e instanceof VmrunError) || e.kind === 'aborted' || e.kind === 'timeout') return;
      }
      // -wait answered without a usable address: ask again later, not in a tight loop.
      if (!found) await sleep(2000, stop.signal);
    }
  };
  const tools = q.nicIndex === 0 ? viaTools() : Promise.resolve();

  try {
    let lastRunningCheck = Date.now();
    while (!found) {
      if (q.signal?.aborted) throw new HypervisorError(`Waiting for ${q.vmName}'s address was canceled.`, 'canceled');
      const lease = await fromLeases(q);
      if (lease) found ??= lease;
      if (found) break;
      if (Date.now() >= deadline) {
        const extra = discarded ? ` VMware Tools reported ${discarded}, which is not on ${q.network}.` : '';
        throw new HypervisorError(
          `${q.vmName} got no address on ${q.network} within ${Math.round(q.timeoutMs / 1000)} s.${extra}`,
          'failed',
          `Open the VM's console in VMware Workstation and check it booted; make sure ${q.network} has DHCP (or the address was set), and that the template has open-vm-tools and cloud-init.`,
        );
      }
      if (slotFree()) {
        if (Date.now() - lastRunningCheck >= runningEvery) {
          if (await takeSlot()) {
            lastRunningCheck = Date.now();
            let running = true;
            try {
              running = await q.isRunning();
            } catch (e) {
              if (!retryable(e)) throw e;
              q.log?.(`${q.vmName}: VMware was busy (${(e as Error).message}); asking again`);
            }
            if (!running) throw new HypervisorError(`${q.vmName} is not running, so it has no address.`, 'bad-state', 'Start the VM first.');
          }
        } else if (q.nicIndex === 0 && (await takeSlot())) {
          const published = await q.client
            .readVariable(q.vmx, 'guestVar', 'local-ipv4', { quiet: true, retries: 0, signal: stop.signal, timeoutMs: 10_000 })
            .catch(() => '');
          if (published && acceptableAddress(published, q)) found ??= published;
        }
      }
      if (!found) await sleep(pollMs, stop.signal);
    }
    q.log?.(`${q.vmName} ${q.network}: ${found}`);
    return found;
  } finally {
    stop.abort();
    q.signal?.removeEventListener('abort', onOuterAbort);
    await tools;
  }
}
