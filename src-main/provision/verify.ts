/**
 * The last step of `halab up`: the lab really works. No VM has a failed
 * unit or runs another role's service, every VRRP member's running firewall
 * accepts its peers, each VIP is held by exactly one member, requests through
 * it reach every app server, and every replica replicates. Loops are bounded in count and time.
 */
import { replicaHealthy } from '../configs/mysql-status';
import type { RenderContext } from '../configs/context';
import type { GuestPool } from '../lab/guest-pool';
import type { ResolvedLab } from '../shared/blueprint/model';
import { probe, vipHolders } from '../lab/probes';
import { replicaStatus } from '../lab/sql';
import { unwantedUnits } from '../configs/node-files';
import { missingVrrpRules, vrrpRules } from '../configs/ufw';
import type { StepContext } from './engine';
import { list, msg, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import { joinMessages } from '../shared/i18n/message-list';

/**
 * What is wrong with the guest side of one VM: failed units, other roles'
 * units running, VRRP rules missing from the running filter. Empty when fine.
 */
export async function guestProblems(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<Message[]> {
  const g = await pool.get(vm, { signal });
  const unwanted = unwantedUnits(ctx, vm);
  // One `systemctl is-active` over all units prints one state per unit, in order (one process, not one per unit).
  const r = await g.exec(['sh', '-c', 'systemctl --failed --no-legend --plain | cut -d" " -f1; echo "##"; if [ $# -gt 0 ]; then systemctl is-active -- "$@"; fi; echo "##"; iptables-save -t filter', 'sh', ...unwanted], { okCodes: [0, 1, 3] });
  const [failed = '', active = '', save = ''] = r.stdout.split('##\n');
  const problems: Message[] = [];
  const failedUnits = failed.split('\n').map((l) => l.trim()).filter(Boolean);
  if (failedUnits.length) problems.push(msg('prov.problem.failedUnits', { vm, units: list(failedUnits), unit: failedUnits[0]! }));
  const running = runningUnits(unwanted, active);
  if (running.length) problems.push(msg('prov.problem.foreignUnits', { vm, units: list(running as string[]) }));
  if (vrrpRules(ctx, vm).length) {
    const missing = missingVrrpRules(ctx, vm, save);
    for (const m of missing) problems.push(msg('prov.problem.vrrpRule', { vm, source: m.source, iface: m.iface, group: m.group, chain: m.chain }));
  }
  return problems;
}

/** Units `systemctl is-active u1 u2 …` (one state per line, in order) says are running or starting. */
export function runningUnits(units: string[], isActiveOut: string): string[] {
  const states = isActiveOut.split('\n');
  return units.filter((_, i) => ['active', 'activating', 'reloading'].includes((states[i] ?? '').trim()));
}

/** One VIP: exactly one holder, and requests through it reach every app server. Log lines, or throws what is wrong. */
async function checkVip(pool: GuestPool, ctx: RenderContext, vip: ResolvedLab['lab']['services']['vips'][number], signal: AbortSignal): Promise<Message[]> {
  const svc = ctx.lab.lab.services;
  const lines: Message[] = [];
  let holders: string[] = [];
  // Polled every 0.25 s for up to ~30 s (an election takes about 3 adverts; a 1 s poll overshot it by up to a second).
  for (let i = 0; i < 120; i++) {
    holders = await vipHolders(pool, ctx, vip.name, signal);
    if (holders.length === 1) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  const members = list(vip.members.map((m) => m.node));
  if (holders.length > 1) throw new MessageError(msg('prov.err.vipHolders', { address: vip.address, holders: list(holders), members }));
  if (holders.length === 0) throw new MessageError(msg('prov.err.vipNoHolder', { address: vip.address, members }));
  lines.push(msg('prov.log.vipHeld', { address: vip.address, vm: holders[0]! }));
  if (svc.loadBalancer && svc.app) {
    const url = `http://${vip.address}:${svc.loadBalancer.listen[0]}/`;
    const seen = new Set<string>();
    const want = svc.loadBalancer.upstream.members;
    let last = 0;
    // Bounded by time, not by count: an app server that refused one early request (its app still
    // starting) is left out by nginx for fail_timeout (5 s in the seed lab) while the other answers at once.
    const until = Date.now() + 25_000;
    while (seen.size < want.length && Date.now() < until && !signal.aborted) {
      const r = await probe(url);
      last = r.status;
      if (r.status === 200 && r.servedBy) seen.add(r.servedBy);
      if (seen.size < want.length) await new Promise((ok) => setTimeout(ok, r.status === 200 ? 100 : 200));
    }
    if (seen.size < want.length) {
      const status = last ? String(last) : msg('prov.none');
      throw new MessageError(seen.size ? msg('prov.err.requests', { url, seen: list([...seen]), status, want: list(want) }) : msg('prov.err.requestsNone', { url, status, want: list(want) }));
    }
    lines.push(msg('prov.log.answeredFrom', { url, servers: list([...seen]) }));
  }
  return lines;
}

/** One replica replicates (MySQL/MariaDB; PostgreSQL standbys are checked by the pg:verify step). */
async function checkReplica(pool: GuestPool, vm: string, signal: AbortSignal): Promise<Message> {
  const st = await replicaStatus(await pool.get(vm, { signal }));
  if (!st || !replicaHealthy(st)) {
    const none = msg('prov.none');
    throw new MessageError(msg('prov.err.notReplicating', { vm, io: st?.ioRunning ?? none, sql: st?.sqlRunning ?? none, error: st?.lastIoError ? `: ${st.lastIoError}` : '' }));
  }
  return msg('prov.log.replicaLag', { vm, seconds: st.secondsBehind ?? '?' });
}

/**
 * Every check only reads the lab, so all start at once (the units of every
 * VM, each VIP with its requests, each replica); they are reported, and the
 * first failure thrown, in the usual order: units, VIPs, replicas.
 */
export async function verifyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const svc = ctx.lab.lab.services;
  const vips = svc.vips.map((vip) => checkVip(pool, ctx, vip, s.signal));
  const replicas = (ctx.lab.lab.services.database?.engine === 'postgresql' ? [] : ctx.lab.replicas).map((r) => checkReplica(pool, r.node, s.signal));
  // Awaited below in order; a failure not reached because an earlier one is thrown is not an unhandled rejection.
  for (const p of [...vips, ...replicas]) p.catch(() => undefined);
  const problems = (await Promise.all(ctx.lab.nodes.map((n) => guestProblems(pool, ctx, n.hostname, s.signal)))).flat();
  if (problems.length) throw new MessageError(msg('prov.err.guestsDiffer', { problems: joinMessages(problems, 'bullets') }));
  s.log(msg(svc.vips.length && svc.firewall.enabled ? 'prov.log.unitsOkVrrp' : 'prov.log.unitsOk'));
  for (const v of vips) for (const line of await v) s.log(line);
  for (const r of replicas) s.log(await r);
  return 'unchanged';
}
