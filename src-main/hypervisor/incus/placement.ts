/**
 * Placement on Incus/LXD: where each VM of a lab runs. A VM the blueprint
 * pins (`placement.target`) is created with `?target=<member>`; any other is
 * placed by the cluster. On a single (non-clustered) server every VM runs on
 * it: a pin naming that server is accepted and sent without `target`, a pin
 * naming anything else is refused before anything is made, naming the VM
 * and what to do. Pure but for `serverPlace`, which asks the server once.
 */
import { list, msg, render, type Message } from '../../shared/i18n';
import { checkLine } from '../../shared/i18n/check-line';
import { HypervisorError, withMsg } from '../types';
import type { CheckLine } from '../../shared/ipc/contract';
import type { IncusClient } from './client';

/** What placement needs to know about the server. */
export interface ServerPlace {
  label: string;
  version: string;
  where: string;
  clustered: boolean;
  /** This server's own name (`environment.server_name`). */
  serverName: string;
  /** The cluster's members (empty on a single server). */
  members: string[];
}

/** The server's facts for placement (one `GET /1.0`, and `/1.0/cluster/members` on a cluster). */
export async function serverPlace(c: IncusClient): Promise<ServerPlace> {
  const info = await c.server();
  const f = await c.facts();
  const clustered = info.environment?.server_clustered === true;
  const members = clustered ? (await c.get<{ server_name: string }[]>('/1.0/cluster/members', { query: { recursion: '1' } })).map((m) => m.server_name) : [];
  return { label: f.label, version: info.environment?.server_version ?? '?', where: c.where, clustered, serverName: info.environment?.server_name ?? '', members };
}

/** Why a pinned VM cannot be placed on this server (undefined: it can). */
function refusal(vm: string, target: string, s: ServerPlace): { title: Message; detail: Message; fix: Message } | undefined {
  if (!s.clustered) {
    if (target === s.serverName) return undefined;
    return {
      title: msg('inc.pre.placeNotCluster', { vm, target, where: s.where }),
      detail: msg('inc.pre.placeNotCluster.detail', { server: s.serverName || '?' }),
      fix: msg('inc.pre.placeNotCluster.fix', { vm, server: s.serverName || '?' }),
    };
  }
  if (s.members.includes(target)) return undefined;
  return { title: msg('inc.pre.placeUnknown', { vm, target }), detail: msg('inc.pre.placeUnknown.detail', { members: list(s.members) }), fix: msg('inc.pre.placeUnknown.fix', { vm }) };
}

/**
 * The `target` to create `vm` with: the pinned member on a cluster, nothing
 * for an unpinned VM or on a single server (whose own name a pin may give).
 * Throws (a HypervisorError with its catalog message) naming the VM and what to do when the pin cannot be met.
 */
export function createTarget(vm: string, target: string | undefined, s: ServerPlace): string | undefined {
  if (!target) return undefined;
  const no = refusal(vm, target, s);
  if (no) throw withMsg(new HypervisorError(render('en', no.title), 'failed', render('en', no.fix)), msg('inc.err.placement', { reason: no.title, fix: no.fix }));
  return s.clustered ? target : undefined;
}

/** One line per VM: where it runs (or why it cannot), for `lab:preflight` and `halab plan`. Without a server: what the blueprint asks for. */
export function placementLines(nodes: { hostname: string; target?: string }[], s?: ServerPlace): CheckLine[] {
  return nodes.map((n) => {
    const id = `place:${n.hostname}`;
    if (!n.target) {
      if (s && !s.clustered) return checkLine(id, 'ok', msg('inc.pre.placeLocal', { vm: n.hostname, server: s.serverName || s.where }), msg('inc.pre.single'));
      return checkLine(id, 'ok', msg('inc.pre.placeCluster', { vm: n.hostname }), msg('inc.pre.placeCluster.detail'));
    }
    const no = s ? refusal(n.hostname, n.target, s) : undefined;
    if (no) return checkLine(id, 'error', no.title, no.detail, no.fix);
    if (s && !s.clustered) return checkLine(id, 'ok', msg('inc.pre.placeLocal', { vm: n.hostname, server: s.serverName }), msg('inc.pre.placeLocal.detail', { target: n.target }));
    return checkLine(id, 'ok', msg('inc.pre.placeTarget', { vm: n.hostname, target: n.target }), msg('inc.pre.placeTarget.detail'));
  });
}
