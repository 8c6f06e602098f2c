/**
 * Probes of a running lab's virtual IPs: who holds a VIP (over SSH), and a
 * request through it (which app server answered). Used by provisioning's
 * verify step, the monitor and the drills.
 */
import { nicOn, type RenderContext } from '../configs/context';
import type { Guest } from '../guest/guest';
import { judgeHolders, type HolderPoll } from '../shared/monitor/holder-judge';

/** What VIP probing needs of an SSH pool (the lab's `GuestPool`, or a test's stand-in for it). */
export interface VipProbePool {
  get(vm: string, opts?: { staticOnly?: boolean; waitMs?: number; signal?: AbortSignal }): Promise<Pick<Guest, 'exec'>>;
}

/**
 * Ask one member of a VIP group whether the address is on its NIC. Never
 * throws: a member that does not answer within the time limits does not hold it.
 */
export async function pollVipMember(pool: VipProbePool, ctx: RenderContext, vipName: string, node: string, opts: { signal?: AbortSignal; connect?: { staticOnly?: boolean; waitMs?: number }; timeoutMs?: number } = {}): Promise<HolderPoll> {
  const vip = ctx.lab.lab.services.vips.find((v) => v.name === vipName)!;
  const startedAt = Date.now();
  let holds = false;
  try {
    const g = await pool.get(node, { ...opts.connect, signal: opts.signal });
    const r = await g.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', nicOn(ctx, node, vip.network).ifname], { timeoutMs: opts.timeoutMs });
    holds = r.stdout.includes(` ${vip.address}/`);
  } catch {
    holds = false;
  }
  return { kind: 'poll', vip: vipName, node, holds, startedAt, at: Date.now() };
}

/** Who holds a VIP right now: every member polled once, judged by the monitor's own judge. */
export async function vipHolders(pool: VipProbePool, ctx: RenderContext, vipName: string, signal?: AbortSignal): Promise<string[]> {
  const vip = ctx.lab.lab.services.vips.find((v) => v.name === vipName)!;
  const polls = await Promise.all(vip.members.map((m) => pollVipMember(pool, ctx, vipName, m.node, { signal })));
  return judgeHolders([{ name: vip.name, members: vip.members.map((m) => m.node) }], polls).holders[vip.name] ?? [];
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
