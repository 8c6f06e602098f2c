/**
 * Promoting a replica when the primary is gone — and, as important, saying
 * why a promotion must be refused (the seed-004 project's orchestrator never
 * promoted and nobody knew why). The decision is a pure function of what
 * the replica reports; the actions run over SSH.
 */
import { reach, type RenderContext } from '../configs/context';
import { APP_PRIMARY_OVERRIDE_FILE } from '../configs/app';
import { demoteToReplicaSql, promoteReplicaSql } from '../configs/mysql-sql';
import { gtidCovers, gtidMissing, parseSemiSync, replicaCaughtUp, type ReplicaStatus, type SemiSyncStatus } from '../configs/mysql-status';
import { SEMI_SYNC_STATUS_SQL } from '../configs/mysql-sql';
import type { GuestPool } from '../lab/guest-pool';
import { replicaStatus, sql, waitForServer } from '../lab/sql';
import { msg, type Message } from '../shared/i18n';
import { DrillError } from './drill-kit';

export interface PromotionFacts {
  status?: ReplicaStatus;
  /** @@gtid_current_pos (MariaDB) / Executed set (MySQL): what the replica has applied. */
  applied?: string;
  /** Gtid_IO_Pos / Retrieved set, what it has received. */
  received?: string;
  readOnly?: boolean;
  /** The primary's own position last seen before it failed, when known. */
  primaryLast?: string;
  /** The primary's semi-sync status read just before the fault (semi-sync labs). */
  semiSyncAtFault?: SemiSyncStatus;
}

export interface PromotionDecision {
  ok: boolean;
  /** Why it is refused (catalog messages; `render('en', …)` for the English). */
  reasons: Message[];
  /** Transactions the primary had written that this replica does not have (from the GTID sets), when known. */
  missingTransactions?: number;
  /** Promoted although rows would be lost, because the user forced it. */
  forced?: boolean;
  /** Said but not refusing (e.g. unacknowledged transactions in flight under semi-sync). */
  notes?: Message[];
}

/**
 * Can this replica become the primary without losing what it received, and
 * without losing rows the primary acknowledged? A gap between the primary's
 * last GTID and the replica's is data loss unless semi-sync was on at the
 * fault (AFTER_SYNC: a missing transaction was never acknowledged to its
 * client). `force` promotes despite a gap (never despite a stopped SQL
 * thread or a node that is not a replica).
 */
export function promotionDecision(f: PromotionFacts, opts: { force?: boolean } = {}): PromotionDecision {
  const reasons: Message[] = [];
  const notes: Message[] = [];
  const s = f.status;
  if (!s) return { ok: false, reasons: [msg('drill.promo.notReplica')] };
  if (s.sqlRunning !== 'Yes') reasons.push(msg('drill.promo.sqlStopped', { error: s.lastSqlError ? msg('drill.promo.paren', { text: s.lastSqlError }) : '' }));
  if (!s.usingGtid) reasons.push(msg('drill.promo.noGtid'));
  let missingTransactions: number | undefined;
  let forced = false;
  if (f.primaryLast && f.received !== undefined) {
    const have = `${f.received},${f.applied ?? ''}`;
    missingTransactions = gtidMissing(have, f.primaryLast);
    if (!gtidCovers(have, f.primaryLast)) {
      const ss = f.semiSyncAtFault;
      const what = msg('drill.promo.gap', { primary: f.primaryLast, received: f.received || msg('drill.nothing'), missing: missingTransactions });
      if (ss?.enabled && ss.active) {
        notes.push(msg('drill.promo.gapSemiOn', { gap: what, waitPoint: ss.waitPoint || msg('drill.promo.waitPointUnknown') }));
      } else {
        const why = ss?.enabled ? msg('drill.promo.whyFellBack', { clients: ss.clients, noTx: ss.noTx ?? '?' }) : msg('drill.promo.whyAsync');
        const loss = msg('drill.promo.loss', { gap: what, why });
        if (opts.force) {
          forced = true;
          notes.push(msg('drill.promo.forced', { loss }));
        } else reasons.push(msg('drill.promo.refuseLoss', { loss }));
      }
    }
  }
  if (f.received !== undefined && f.applied !== undefined && !gtidCovers(f.applied, f.received)) {
    reasons.push(msg('drill.promo.notApplied', { received: f.received, applied: f.applied }));
  } else if (f.received === undefined && !replicaCaughtUp(s)) {
    reasons.push(msg('drill.promo.applying', { state: s.sqlState || msg('drill.promo.stateUnknown') }));
  }
  const d: PromotionDecision = { ok: reasons.length === 0, reasons };
  if (missingTransactions !== undefined) d.missingTransactions = missingTransactions;
  if (forced && d.ok) d.forced = true;
  if (notes.length) d.notes = notes;
  return d;
}

/** The semi-sync status variables of one database node (undefined without semi-sync). */
export async function semiSyncStatus(pool: GuestPool, node: string): Promise<SemiSyncStatus | undefined> {
  return parseSemiSync(await sql(await pool.get(node), SEMI_SYNC_STATUS_SQL));
}

async function facts(pool: GuestPool, ctx: RenderContext, replica: string): Promise<PromotionFacts> {
  const g = await pool.get(replica);
  const status = await replicaStatus(g);
  const appliedVar = ctx.engine === 'mariadb' ? '@@global.gtid_current_pos' : '@@global.gtid_executed';
  const row = (await sql(g, `SELECT ${appliedVar}, @@global.read_only;\n`)).trim().split('\n').at(-1)?.split('\t') ?? [];
  return { status, applied: row[0] ?? '', received: status?.receivedGtids, readOnly: row[1] === '1' };
}

/**
 * Wait (bounded) until the replica may be promoted, then promote it.
 * Returns the decision; promotes only when it is ok.
 */
export async function promoteReplica(
  pool: GuestPool,
  ctx: RenderContext,
  replica: string,
  primaryLast?: string,
  waitMs = 20_000,
  opts: { force?: boolean; semiSyncAtFault?: SemiSyncStatus } = {},
): Promise<PromotionDecision & { appliedAtPromotion?: string }> {
  const until = Date.now() + waitMs;
  let d: PromotionDecision;
  let f: PromotionFacts;
  for (;;) {
    f = await facts(pool, ctx, replica);
    // Not forced while waiting: the replica may still receive the missing transactions.
    d = promotionDecision({ ...f, primaryLast, semiSyncAtFault: opts.semiSyncAtFault });
    if (d.ok || Date.now() > until) break;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  if (!d.ok && opts.force) d = promotionDecision({ ...f, primaryLast, semiSyncAtFault: opts.semiSyncAtFault }, { force: true });
  if (!d.ok) return d;
  // A node promoted because the primary died has no replica to acknowledge: semi-sync off until failback.
  await sql(await pool.get(replica), `${promoteReplicaSql(ctx).join('\n')}\n`);
  return { ...d, appliedAtPromotion: [f.received, f.applied].filter(Boolean).join(',') };
}

/** Point every app server's writes at `primary` (the app re-reads the file on each request). */
export async function repointApps(pool: GuestPool, ctx: RenderContext, primary: string | undefined): Promise<void> {
  await Promise.all(
    (ctx.lab.lab.services.app?.members ?? []).map(async (app) => {
      const g = await pool.get(app);
      if (primary) await g.writeFile(APP_PRIMARY_OVERRIDE_FILE, `${reach(ctx, app, primary)}:3306\n`, { mode: '0644' });
      else await g.exec(['rm', '-f', APP_PRIMARY_OVERRIDE_FILE]);
    }),
  );
}

/** Current GTID position of a server's own binlog (for switchovers and before a failure). */
export async function binlogPosition(pool: GuestPool, ctx: RenderContext, node: string): Promise<string> {
  const v = ctx.engine === 'mariadb' ? '@@global.gtid_binlog_pos' : '@@global.gtid_executed';
  return (await sql(await pool.get(node), `SELECT ${v};\n`)).trim().split('\n').at(-1) ?? '';
}

/** Wait until `replica` has applied `target`. */
async function waitApplied(pool: GuestPool, ctx: RenderContext, replica: string, target: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const f = await facts(pool, ctx, replica);
    if (f.status?.sqlRunning === 'Yes' && gtidCovers(f.applied ?? '', target)) return;
    if (Date.now() > until) throw new DrillError(msg('drill.promo.notCaughtUp', { node: replica, target, applied: f.applied ?? '?', io: f.status?.ioRunning ?? '?', sql: f.status?.sqlRunning ?? '?', error: f.status?.lastIoError ? msg('drill.promo.paren', { text: f.status.lastIoError }) : '' }));
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

/**
 * After a failover: bring the old primary back as a replica of the new one,
 * then switch the roles back (controlled, no writes lost) so the lab is as
 * the blueprint says again.
 */
export async function failBack(pool: GuestPool, ctx: RenderContext, oldPrimary: string, newPrimary: string, log: (l: Message) => void, onOldPrimaryBack?: (binlogPos: string) => void): Promise<void> {
  const unit = ctx.engine === 'mariadb' ? 'mariadb' : 'mysql';
  const og = await pool.get(oldPrimary);
  await og.exec(['sh', '-c', `systemctl start ${unit}.service; systemctl start ${unit}.socket 2>/dev/null || true`], { timeoutMs: 120_000 });
  await waitForServer(og);
  // What the old primary really had written when it went down (before it replicates anything new).
  if (onOldPrimaryBack) onOldPrimaryBack(await binlogPosition(pool, ctx, oldPrimary));
  await sql(og, `${demoteToReplicaSql(ctx, oldPrimary, newPrimary).join('\n')}\n`);
  log(msg('drill.log.rejoined', { old: oldPrimary, new: newPrimary }));
  // Switch back: freeze writes on the new primary, let the old one catch up, swap.
  const readOnly = ctx.engine === 'mysql8' ? 'SET GLOBAL super_read_only = ON;' : 'SET GLOBAL read_only = ON;';
  await sql(await pool.get(newPrimary), `${readOnly}\n`);
  await waitApplied(pool, ctx, oldPrimary, await binlogPosition(pool, ctx, newPrimary));
  await sql(og, `${promoteReplicaSql(ctx, { semiSyncSource: true }).join('\n')}\n`);
  await repointApps(pool, ctx, undefined);
  await sql(await pool.get(newPrimary), `${demoteToReplicaSql(ctx, newPrimary, oldPrimary).join('\n')}\n`);
  await waitApplied(pool, ctx, newPrimary, await binlogPosition(pool, ctx, oldPrimary));
  log(msg('drill.log.primaryAgain', { old: oldPrimary, new: newPrimary }));
}
