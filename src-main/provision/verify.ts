/**
 * The last step of `halab up`: the lab really works. Each VIP is held by
 * exactly one member, requests through it reach every app server, and every
 * replica replicates. Loops are bounded in count and time.
 */
import { replicaHealthy } from '../configs/mysql-status';
import { nicOn, type RenderContext } from '../configs/context';
import type { StepContext } from './engine';
import type { GuestPool } from './guest-pool';
import { replicaStatus } from './db-steps';

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

export async function verifyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const svc = ctx.lab.lab.services;
  for (const vip of svc.vips) {
    let holders: string[] = [];
    for (let i = 0; i < 30; i++) {
      holders = await vipHolders(pool, ctx, vip.name, s.signal);
      if (holders.length === 1) break;
      await new Promise((ok) => setTimeout(ok, 1000));
    }
    if (holders.length !== 1) throw new Error(`VIP ${vip.address} is held by ${holders.length ? holders.join(' and ') : 'no load balancer'}; expected exactly one. Check keepalived on ${vip.members.map((m) => m.node).join(', ')} (journalctl -u keepalived).`);
    s.log(`VIP ${vip.address} held by ${holders[0]}`);
    if (svc.loadBalancer && svc.app) {
      const url = `http://${vip.address}:${svc.loadBalancer.listen[0]}/`;
      const seen = new Set<string>();
      const want = svc.loadBalancer.upstream.members;
      let last = 0;
      for (let i = 0; i < 40 && seen.size < want.length; i++) {
        const r = await probe(url);
        last = r.status;
        if (r.status === 200 && r.servedBy) seen.add(r.servedBy);
        else await new Promise((ok) => setTimeout(ok, 500));
      }
      if (seen.size < want.length) throw new Error(`Requests through ${url} reached ${seen.size ? [...seen].join(', ') : 'no app server'} (last HTTP status ${last || 'none'}); expected ${want.join(', ')}.`);
      s.log(`${url} answered from ${[...seen].join(', ')}`);
    }
  }
  for (const r of ctx.lab.replicas) {
    const st = await replicaStatus(await pool.get(r.node, { signal: s.signal }));
    if (!st || !replicaHealthy(st)) throw new Error(`${r.node} is not replicating (IO ${st?.ioRunning ?? 'none'}, SQL ${st?.sqlRunning ?? 'none'}${st?.lastIoError ? `: ${st.lastIoError}` : ''}).`);
    s.log(`${r.node} replicates, ${st.secondsBehind} s behind`);
  }
  return 'unchanged';
}
