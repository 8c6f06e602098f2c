/**
 * Lab traffic stays on this computer: before the first packet to a guest,
 * ask the host how it would reach that address. A lab VM sits on a network
 * of this machine (a VMware VMnet's host adapter, a Linux-lab bridge, or
 * loopback in tests), so the route is direct. A route through a gateway
 * means the lab's network is not here (VMware's VMnet is not up, a bridge is
 * gone, a test runs a fake vmrun with no guests): connecting would send the
 * packets out of the machine to whatever answers at that address, so it is
 * refused with what to do.
 *
 * Linux hosts only (`ip -j route get`); elsewhere the check is skipped
 * (Windows/macOS VMnet adapters are managed by VMware itself).
 * `HALAB_ALLOW_ROUTED_GUESTS=1` allows guests behind a router on purpose.
 */
import { isIPv4 } from 'node:net';
import { CommandError, run } from '../exec/runner';

export interface RouteVerdict {
  ok: boolean;
  /** Why not, and what to do. */
  reason?: string;
}

interface RouteEntry {
  dst?: string;
  gateway?: string;
  dev?: string;
  type?: string;
}

/** Judge one `ip -j route get ADDR` answer (pure, for tests). */
export function judgeRoute(address: string, entries: RouteEntry[]): RouteVerdict {
  const r = entries[0];
  if (!r) return { ok: false, reason: `this computer has no route to ${address}` };
  if (r.type === 'unreachable' || r.type === 'blackhole' || r.type === 'prohibit') return { ok: false, reason: `the lab network of ${address} is guarded but not up on this computer (${r.type} route)` };
  if (r.gateway) return { ok: false, reason: `${address} is not on a network of this computer: packets would leave through ${r.gateway} on ${r.dev ?? '?'}` };
  return { ok: true };
}

const cache = new Map<string, Promise<RouteVerdict>>();

/** Whether `address` is reached directly from this host. Cached for a few seconds per address. */
export async function checkGuestRoute(address: string, signal?: AbortSignal): Promise<RouteVerdict> {
  if (process.platform !== 'linux' || process.env.HALAB_ALLOW_ROUTED_GUESTS === '1' || !isIPv4(address)) return { ok: true };
  let p = cache.get(address);
  if (!p) {
    p = run(['ip', '-j', 'route', 'get', address], { timeoutMs: 5000, signal, quiet: true })
      .then((r) => judgeRoute(address, JSON.parse(r.stdout || '[]') as RouteEntry[]))
      .catch((e: unknown) => {
        if (e instanceof CommandError && e.reason === 'not-found') return { ok: true }; // no iproute2: cannot tell
        if (e instanceof CommandError && e.reason === 'exit') return { ok: false, reason: `this computer has no route to ${address} (${e.stderr.trim() || 'ip route get failed'})` };
        throw e;
      });
    cache.set(address, p);
    setTimeout(() => cache.delete(address), 5000).unref();
  }
  return p;
}
