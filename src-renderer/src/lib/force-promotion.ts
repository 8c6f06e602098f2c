/**
 * The Drills screen's "run again and force promotion": read from the last
 * `db-primary-down` report whether the promotion was refused, why (the
 * drill's own reasons, catalog messages), whether semi-sync had fallen back
 * to async at the fault, whether forcing can help (only a refusal for lost
 * rows can be forced; a stopped SQL thread or a node that is not a replica
 * never can) and how many transactions the replica lacked. Pure.
 */
import type { DrillReport, SemiSyncState } from '../../../src-main/shared/drills/report';
import type { DrillReportSummary } from '../../../src-main/shared/ipc/contract';
import type { Message } from '../../../src-main/shared/i18n';

export interface PromotionRefusal {
  reportId: string;
  /** The reasons the drill gave (catalog messages), one each; empty for a report written before the catalog. */
  reasons: Message[];
  /** The refusal in English, for reports written before the catalog. */
  detail: string;
  /** Semi-sync as the primary reported it just before the fault (semi-sync labs). */
  semiSync?: SemiSyncState;
  /** Semi-sync was switched on but had fallen back to async at the fault. */
  fellBack: boolean;
  /** Forcing can promote: every reason is a loss of acknowledged rows. */
  forcible: boolean;
  /** Transactions of the primary the replica lacked, when the report counted them. */
  transactionsLost?: number;
}

/** A `drill.join` chain of messages as its items. */
export function flattenJoin(m: Message | string | number | undefined): Message[] {
  if (m === undefined || typeof m !== 'object') return [];
  if (m.code === 'drill.none') return [];
  if (m.code === 'drill.join') return [...flattenJoin(m.args?.a), ...flattenJoin(m.args?.b)];
  return [m];
}

/** The newest db-primary-down report in a list (newest first, as `drill:reports` answers). */
export function lastPromotionReport(list: readonly DrillReportSummary[] | undefined): DrillReportSummary | undefined {
  return list?.find((r) => r.drill === 'db-primary-down');
}

/** Was the promotion refused in this report, and can forcing help? Undefined when it was not refused. */
export function promotionRefusal(r: DrillReport): PromotionRefusal | undefined {
  if (r.drill !== 'db-primary-down') return undefined;
  const c = r.expectations.find((x) => (x.nameMsg ? x.nameMsg.code === 'drill.check.promoted' : x.name === 'the replica was promoted'));
  if (!c || c.ok) return undefined;
  const refused = c.detailMsg ? c.detailMsg.code === 'drill.detail.refused' : c.detail.startsWith('refused:');
  if (!refused) return undefined;
  const reasons = c.detailMsg ? flattenJoin(c.detailMsg.args?.reasons) : [];
  const ss = r.measurements?.semiSyncAtFault;
  const forcible = reasons.length ? reasons.every((m) => m.code === 'drill.promo.refuseLoss') : /--force-promotion/.test(c.detail) && !/SQL thread|not configured as a replica|GTIDs/.test(c.detail);
  return {
    reportId: r.id,
    reasons,
    detail: c.detail,
    ...(ss ? { semiSync: ss } : {}),
    fellBack: !!ss && ss.enabled && !ss.active,
    forcible,
    ...(r.measurements?.transactionsLost !== undefined ? { transactionsLost: r.measurements.transactionsLost } : {}),
  };
}
