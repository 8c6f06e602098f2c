/**
 * The last step of `halab up`: the lab really works. No VM has a failed
 * unit or runs another role's service, every VRRP member's running firewall
 * accepts its peers, each VIP is held by exactly one member, requests through
 * it reach every app server, and every replica replicates. Loops are bounded in count and time.
 */
import { replicaHealthy } from '../configs/mysql-status';
import type { RenderContext } from '../configs/context';
import type { GuestPool } from '../lab/guest-pool';
import { probe, vipHolders } from '../lab/probes';
import { replicaStatus } from '../lab/sql';
import { unwantedUnits } from '../configs/node-files';
import { missingVrrpRules, vrrpRules } from '../configs/ufw';
import type { StepContext } from './engine';

/**
 * What is wrong with the guest side of one VM: failed units, other roles'
 * units running, VRRP rules missing from the running filter. Empty when fine.
 */
export async function guestProblems(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<string[]> {
  const g = await pool.get(vm, { signal });
  const unwanted = unwantedUnits(ctx, vm);
  const r = await g.exec(['sh', '-c', 'systemctl --failed --no-legend --plain | cut -d" " -f1; echo "##"; for u; do printf "%s %s\\n" "$u" "$(systemctl is-active -- "$u")"; done; echo "##"; iptables-save -t filter', 'sh', ...unwanted], { okCodes: [0, 1, 3] });
  const [failed = '', active = '', save = ''] = r.stdout.split('##\n');
  const problems: string[] = [];
  const failedUnits = failed.split('\n').map((l) => l.trim()).filter(Boolean);
  if (failedUnits.length) problems.push(`${vm}: failed units ${failedUnits.join(', ')} (see "systemctl status ${failedUnits[0]}" and "journalctl -b -u ${failedUnits[0]}" on ${vm})`);
  const running = active.split('\n').filter((l) => / (active|activating|reloading)$/.test(l)).map((l) => l.split(' ')[0]);
  if (running.length) problems.push(`${vm}: ${running.join(', ')} ${running.length > 1 ? 'run' : 'runs'} although no role of ${vm} needs ${running.length > 1 ? 'them' : 'it'}; run "halab up" again to stop and mask ${running.length > 1 ? 'them' : 'it'}`);
  if (vrrpRules(ctx, vm).length) {
    const missing = missingVrrpRules(ctx, vm, save);
    for (const m of missing) problems.push(`${vm}: the running firewall has no VRRP rule from ${m.source} on ${m.iface} (group ${m.group}); run "halab up" again, and check "iptables-save | grep ${m.chain}" on ${vm}`);
  }
  return problems;
}

export async function verifyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const svc = ctx.lab.lab.services;
  const problems = (await Promise.all(ctx.lab.nodes.map((n) => guestProblems(pool, ctx, n.hostname, s.signal)))).flat();
  if (problems.length) throw new Error(`The guests are not as the blueprint says:\n- ${problems.join('\n- ')}`);
  s.log(`every VM runs only its roles' units, none failed${svc.vips.length && svc.firewall.enabled ? '; VRRP rules are live in every firewall' : ''}`);
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
