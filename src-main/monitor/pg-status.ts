/**
 * The monitor's view of a PostgreSQL lab: which node Patroni names leader
 * (`GET :8008/cluster`, asked on each DB node over SSH) and, from the
 * leader's `pg_stat_replication`, each standby's state and lag in bytes and
 * time. Folded into the replica cards the dashboard and the drills' steady
 * state already read.
 */
import { pgNodes, slotName, usesPatroni } from '../configs/postgres';
import type { RenderContext } from '../configs/context';
import type { Guest } from '../guest/guest';
import { patroniCluster, streamingStandbys, type PatroniMember } from '../provision/pg-steps';
import type { ReplicaState } from '../shared/monitor/types';

export interface PgStatus {
  leader?: string;
  members: PatroniMember[];
  standbys: ReplicaState[];
}

/** One poll; a node that does not answer counts as not streaming. */
export async function pollPgStatus(ctx: RenderContext, guest: (node: string) => Promise<Pick<Guest, 'exec'>>): Promise<PgStatus> {
  const nodes = pgNodes(ctx);
  let members: PatroniMember[] = [];
  let leader: string | undefined = usesPatroni(ctx) ? undefined : nodes[0];
  if (usesPatroni(ctx)) {
    for (const n of nodes) {
      const m = await guest(n).then((g) => patroniCluster(g)).catch(() => undefined);
      if (!m) continue;
      members = m;
      leader = m.find((x) => x.role === 'leader' || x.role === 'master')?.name;
      if (leader) break;
    }
  }
  const rows = leader ? await guest(leader).then((g) => streamingStandbys(g)).catch(() => undefined) : undefined;
  const standbys: ReplicaState[] = nodes
    .filter((n) => n !== leader && (usesPatroni(ctx) || n !== nodes[0]))
    .map((node) => {
      const r = rows?.find((x) => x.node === node || x.node === slotName(node));
      const streaming = r?.state === 'streaming';
      return {
        node,
        source: leader ?? '',
        ioRunning: streaming ? 'Yes' : 'No',
        sqlRunning: streaming ? 'Yes' : 'No',
        secondsBehind: r?.replayLagMs == null ? (streaming ? 0 : null) : Math.round(r.replayLagMs / 1000),
        readOnly: true,
        lagBytes: r?.lagBytes,
        replayLagMs: r?.replayLagMs ?? null,
        patroniLeader: leader,
        inSync: streaming ? true : undefined,
        lastError: !leader ? 'Patroni names no leader' : !r ? `${node} is not in pg_stat_replication on ${leader}` : streaming ? undefined : `${node} is ${r.state}`,
        healthy: streaming && !!r?.slotActive,
      };
    });
  return { leader, members, standbys };
}
