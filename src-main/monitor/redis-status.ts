/**
 * The monitor's view of Redis with Sentinel: which node each Sentinel names
 * as the primary (`SENTINEL get-master-addr-by-name`, asked on each Sentinel
 * VM over SSH), and whether they agree. The dashboard's cache card shows it;
 * a change of primary is recorded as an event.
 */
import type { RenderContext } from '../configs/context';
import { cacheOf, nodeByAddress, sentinelNodes } from '../configs/redis';
import type { Guest } from '../guest/guest';
import { askSentinel } from '../provision/cache-steps';
import type { CacheState } from '../shared/monitor/types';

/** One poll of every Sentinel; one that does not answer is shown as such. */
export async function pollRedisStatus(ctx: RenderContext, guest: (node: string) => Promise<Pick<Guest, 'exec'>>): Promise<CacheState> {
  const views = await Promise.all(sentinelNodes(ctx).map((vm) => guest(vm).then((g) => askSentinel(g, ctx, vm)).catch((e: unknown) => ({ vm, error: (e as Error).message, master: undefined }))));
  const sentinels = views.map((v) => {
    const address = v.master?.split(':')[0];
    return { node: v.vm, master: address ? (nodeByAddress(ctx, address) ?? address) : undefined, ok: !!v.master, ...(v.error ? { error: v.error.slice(0, 200) } : {}) };
  });
  const named = new Set(sentinels.filter((s) => s.master).map((s) => s.master));
  return { masterName: cacheOf(ctx).masterName, primary: named.size === 1 ? [...named][0] : undefined, agreed: named.size === 1 && sentinels.every((s) => s.ok), sentinels };
}
