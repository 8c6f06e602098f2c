/**
 * The monitor's view of MySQL/MariaDB semi-sync on the blueprint's primary
 * (labs with `database.replication: semi-sync`): switched on, really
 * waiting for a replica or fallen back to async after its timeout, the
 * timeout, connected semi-sync replicas and the commit counters — the same
 * status variables the db-primary-down drill reads before its fault
 * (`SEMI_SYNC_STATUS_SQL`, `parseSemiSync`). The dashboard's semi-sync card
 * shows it; a fallback to async is its warning.
 */
import type { RenderContext } from '../configs/context';
import { SEMI_SYNC_STATUS_SQL } from '../configs/mysql-sql';
import { parseSemiSync } from '../configs/mysql-status';
import type { Guest } from '../guest/guest';
import { sql } from '../lab/sql';
import type { SemiSyncCard } from '../shared/monitor/types';

/** One read of the primary's semi-sync variables; a primary that does not answer is shown as such. */
export async function pollSemiSync(ctx: RenderContext, guest: (node: string) => Promise<Pick<Guest, 'exec'>>): Promise<SemiSyncCard> {
  const node = ctx.lab.lab.services.database!.primary;
  try {
    const s = parseSemiSync(await sql(await guest(node), SEMI_SYNC_STATUS_SQL));
    if (!s) return { node, error: 'no rpl_semi_sync_* variables: the semi-sync plugin is not loaded' };
    return { node, status: { enabled: s.enabled, active: s.active, clients: s.clients, waitPoint: s.waitPoint, ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}), ...(s.yesTx !== undefined ? { yesTx: s.yesTx } : {}), ...(s.noTx !== undefined ? { noTx: s.noTx } : {}) } };
  } catch (e) {
    return { node, error: (e as Error).message.slice(0, 200) };
  }
}
