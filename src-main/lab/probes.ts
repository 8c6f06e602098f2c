/**
 * Probes of a running lab's virtual IPs: who holds a VIP (over SSH), and a
 * request through it (which app server answered). Used by provisioning's
 * verify step, the monitor and the drills.
 */
import { nicOn, type RenderContext } from '../configs/context';
import type { GuestPool } from './guest-pool';

/** Who holds a VIP right now (members that have the address on their NIC). */
export async function vipHolders(pool: GuestPool, ctx: RenderContext, vipName: string, signal?: AbortSignal): Promise<string[]> {
  const vip = ctx.lab.lab.services.vips.find((v) => v.name === vipName)!;
  const held = await Promise.all(
    vip.members.map(async (m) => {
      const g = await pool.get(m.node, { signal });
      const r = await g.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', nicOn(ctx, m.node, vip.network).ifname]);
      return r.stdout.includes(` ${vip.address}/`) ? m.node : undefined;
    }),
  );
  return held.filter((h): h is string => !!h);
}

/** GET through a URL; the answering server from X-Served-By. */
export async function probe(url: string, timeoutMs = 3000): Promise<{ status: number; servedBy?: string; ms: number }> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Connection: 'close' } });
    await r.arrayBuffer();
    return { status: r.status, servedBy: r.headers.get('x-served-by') ?? undefined, ms: performance.now() - t0 };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}
