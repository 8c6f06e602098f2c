/**
 * `db-primary-down` for MySQL/MariaDB: the primary stops, the replica is
 * promoted only when it has everything (or the student forces it), the apps
 * write to it, and restore fails back to the blueprint's primary.
 */
import { semiSync } from '../configs/mysql-server';
import { gtidMissing } from '../configs/mysql-status';
import { check, exec, joinMsgs, msg, type DrillDef, type Message } from './drill-kit';
import { binlogPosition, failBack, promoteReplica, repointApps, semiSyncStatus } from './promotion';
import type { SemiSyncState } from '../shared/drills/report';

const semiState = (ss: Pick<SemiSyncState, 'active' | 'enabled'>): Message => (ss.active ? msg('drill.semi.on') : ss.enabled ? msg('drill.semi.fellBack') : msg('drill.semi.off'));

export const dbPrimaryDown: DrillDef = {
  name: 'db-primary-down',
  title: msg('drill.title.db-primary-down'),
  hypothesis: (ctx) => msg('drill.hyp.db-primary-down', { primary: ctx.lab.lab.services.database!.primary, replica: ctx.lab.replicas[0]!.node }),
  recoveryTimeoutMs: 60_000,
  inject: async (env) => {
    const db = env.ctx.lab.lab.services.database!;
    const replica = env.ctx.lab.replicas[0]!.node;
    const unit = env.ctx.engine === 'mariadb' ? 'mariadb' : 'mysql';
    // Semi-sync as the primary saw it right before the fault: on, or fallen back to async?
    const ss = semiSync(env.ctx) ? await semiSyncStatus(env.pool, db.primary).catch(() => undefined) : undefined;
    if (ss) {
      env.extra.semiSyncAtFault = { enabled: ss.enabled, active: ss.active, clients: ss.clients, waitPoint: ss.waitPoint, timeoutMs: ss.timeoutMs, yesTx: ss.yesTx, noTx: ss.noTx };
      env.log(msg('drill.log.semiAtFault', { state: ss.active ? msg('drill.semi.onDetail', { waitPoint: ss.waitPoint, clients: ss.clients }) : semiState(ss) }));
    } else if (semiSync(env.ctx)) env.notes.push(msg('drill.note.semiUnread', { node: db.primary }));
    const primaryLast = await binlogPosition(env.pool, env.ctx, db.primary).catch(() => undefined);
    if (primaryLast !== undefined) env.extra.gtidPrimaryAtFault = primaryLast;
    // Debian's MariaDB is socket-activated: stopping only the service lets the next client start it again.
    await exec(env, db.primary, ['sh', '-c', `systemctl stop ${unit}.socket 2>/dev/null; systemctl stop ${unit}.service`]);
    env.log(msg('drill.log.primaryStopped', { primary: db.primary, gtid: primaryLast ?? msg('drill.unknown'), replica }));
    const d = await promoteReplica(env.pool, env.ctx, replica, primaryLast, 20_000, { force: env.forcePromotion, semiSyncAtFault: ss });
    if (d.missingTransactions !== undefined) env.extra.transactionsLost = d.missingTransactions;
    for (const n of d.notes ?? []) env.notes.push(msg('drill.note.promotion', { node: replica, note: n }));
    if (!d.ok) {
      env.refused = d.reasons;
      env.notes.push(msg('drill.note.promotionRefused', { node: replica, reasons: joinMsgs(d.reasons) }));
      return msg('drill.fault.stopDbRefused', { unit, primary: db.primary });
    }
    if (d.forced) env.extra.promotionForced = true;
    if (d.appliedAtPromotion !== undefined) env.extra.gtidReplicaAtPromotion = d.appliedAtPromotion;
    await repointApps(env.pool, env.ctx, replica);
    env.extra.promotedMs = Date.now() - env.faultAt;
    env.log(msg('drill.log.promoted', { replica, ms: env.extra.promotedMs }));
    return msg('drill.fault.stopDb', { unit, primary: db.primary, replica });
  },
  recovered: async (env) => env.refused !== undefined || env.extra.promotedMs !== undefined,
  restore: async (env) => {
    if (env.refused) {
      const unit = env.ctx.engine === 'mariadb' ? 'mariadb' : 'mysql';
      await exec(env, env.ctx.lab.lab.services.database!.primary, ['sh', '-c', `systemctl start ${unit}.service; systemctl start ${unit}.socket 2>/dev/null || true`]);
      return;
    }
    await failBack(env.pool, env.ctx, env.ctx.lab.lab.services.database!.primary, env.ctx.lab.replicas[0]!.node, env.log, (final) => {
      // The old primary's real last position: count what the promoted replica never got from it.
      env.extra.gtidPrimaryFinal = final;
      if (env.extra.gtidReplicaAtPromotion !== undefined) env.extra.transactionsLost = gtidMissing(env.extra.gtidReplicaAtPromotion, final);
    });
  },
  restored: async () => true,
  // RTO: writes accepted through the app again (the load's first success after the fault is a write or a read after promotion).
  recoveryTime: (env, m) => ({ ms: env.refused ? undefined : m.firstSuccessAfterFaultMs, basis: msg('drill.rto.promotion') }),
  expectations: (env, m) => [
    check(msg('drill.check.promoted'), !env.refused, env.refused ? msg('drill.detail.refused', { reasons: joinMsgs(env.refused) }) : msg('drill.detail.promotedAfter', { ms: m.promotedMs ?? '?' })),
    check(msg('drill.check.writesAccepted'), m.firstSuccessAfterFaultMs !== undefined, m.firstSuccessAfterFaultMs !== undefined ? msg('drill.detail.firstSuccess', { ms: m.firstSuccessAfterFaultMs }) : msg('drill.detail.noWrite')),
    check(msg('drill.check.zeroRowsLost'), m.rowsLost === 0, msg('drill.detail.rowsMissing', { lost: m.rowsLost ?? '?', acked: m.rowsAcknowledged })),
    ...(m.transactionsLost !== undefined
      ? [
          check(
            msg('drill.check.noTxLost'),
            m.transactionsLost === 0 || (!!m.semiSyncAtFault?.active && m.rowsLost === 0),
            msg('drill.detail.txMissing', { count: m.transactionsLost, primary: m.gtidPrimaryFinal ?? m.gtidPrimaryAtFault ?? '?', replica: m.gtidReplicaAtPromotion ?? '?', semi: m.transactionsLost > 0 && m.semiSyncAtFault?.active ? msg('drill.detail.txMissingSemi') : '' }),
          ),
        ]
      : []),
    ...(semiSync(env.ctx)
      ? [
          check(
            msg('drill.check.semiSyncOn'),
            !!m.semiSyncAtFault?.active,
            m.semiSyncAtFault
              ? msg('drill.detail.semiSync', { state: semiState(m.semiSyncAtFault), waitPoint: m.semiSyncAtFault.waitPoint || '?', clients: m.semiSyncAtFault.clients, timeout: m.semiSyncAtFault.timeoutMs ?? '?', yes: m.semiSyncAtFault.yesTx ?? '?', no: m.semiSyncAtFault.noTx ?? '?' })
              : msg('drill.detail.statusUnread'),
          ),
          check(msg('drill.check.writesWithin5s'), m.promotedMs !== undefined && m.promotedMs <= 5000, m.promotedMs !== undefined ? msg('drill.detail.promotedTookWrites', { ms: m.promotedMs }) : msg('drill.detail.noPromotion')),
        ]
      : []),
    ...(m.promotionForced ? [check(msg('drill.check.notForced'), false, msg('drill.detail.forced'))] : []),
  ],
};
