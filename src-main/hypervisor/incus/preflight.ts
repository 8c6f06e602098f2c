/**
 * `lab:preflight` and `halab plan` on Incus/LXD, before anything is made:
 * whether the provider is usable here (its reasons from the catalog), which
 * server answers (a single server or a cluster and its members), each lab
 * network (on the local daemon: against this computer's routes, as `up`
 * checks), room for its containers under this computer's kernel limits
 * (`host-limits.ts`), and where each VM would run (`placement.ts`). Never throws for a
 * host problem: it becomes a line.
 */
import type { ResolvedLab } from '../../shared/blueprint/model';
import { list, msg } from '../../shared/i18n';
import { checkLine } from '../../shared/i18n/check-line';
import type { CheckLine, PreflightResult } from '../../shared/ipc/contract';
import { Commands } from '../linux/commands';
import { conflictingRoutes } from '../linux/net-guard';
import { parseCidr } from '../linux/subnet';
import type { LabRef } from '../types';
import type { IncusProvider } from './incus-provider';
import { hostLimitsCheck } from './host-limits';
import { networkName } from './names';
import { placementLines, serverPlace, type ServerPlace } from './placement';

export async function incusPreflight(hv: IncusProvider, resolved: ResolvedLab, lab: LabRef): Promise<PreflightResult> {
  const lines: CheckLine[] = [];
  const u = await hv.checkUsable();
  let place: ServerPlace | undefined;
  if (!u.usable) {
    lines.push(checkLine('provider', 'error', u.reasonMsg ?? msg('raw.english', { text: u.reason ?? '' }), msg('raw.english', { text: u.details ?? '' }), u.fixMsg ?? (u.fix ? msg('raw.english', { text: u.fix }) : undefined)));
  } else {
    try {
      const c = await hv.client();
      place = await serverPlace(c);
      const kind = place.clustered ? msg('inc.pre.cluster', { count: place.members.length, members: list(place.members) }) : msg('inc.pre.single');
      lines.push(checkLine('incus-server', 'ok', msg('inc.pre.server', { server: place.label, version: place.version, where: place.where }), msg('inc.pre.server.detail', { kind })));
      const local = c.endpoint.kind === 'unix';
      // On this computer: room under the kernel's per-user limits that all containers share.
      const mine = local ? (await hv.list(lab).catch(() => [])).filter((v) => v.state === 'running').length : 0;
      const room = await hostLimitsCheck(c, hv.instanceType, Math.max(0, resolved.nodes.length - mine));
      if (room) lines.push(room);
      const cmd = new Commands();
      for (const n of resolved.networks) {
        if (!local) {
          lines.push(checkLine(`net:${n.name}`, 'ok', msg('inc.pre.netRemote', { name: n.name, subnet: n.subnet }), msg('inc.pre.netRemote.detail')));
          continue;
        }
        const clash = await conflictingRoutes(cmd, parseCidr(n.subnet), networkName(lab.id, n.name));
        lines.push(
          clash.length
            ? checkLine(`net:${n.name}`, 'error', msg('inc.pre.netClash', { name: n.name, subnet: n.subnet }), msg('inc.pre.netClash.detail', { routes: list(clash) }), msg('inc.pre.netClash.fix', { name: n.name }))
            : checkLine(`net:${n.name}`, 'ok', msg('inc.pre.netOk', { name: n.name, subnet: n.subnet }), msg('inc.pre.netOk.detail')),
        );
      }
    } catch (e) {
      place = undefined;
      lines.push(checkLine('incus-server', 'warning', msg('inc.pre.noServer'), msg('inc.pre.noServer.detail', { reason: (e as Error).message }), msg('inc.pre.noServer.fix')));
    }
  }
  lines.push(...placementLines(resolved.nodes, place));
  return { provider: 'incus', clashes: [], lines };
}
