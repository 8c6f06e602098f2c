/**
 * The failover drills: for each, the hypothesis, the fault, when the lab
 * counts as recovered, how it is restored, and what is expected of the
 * measurements. The runner (`runner.ts`) does the rest the same way for all.
 */
import { APP_MAINTENANCE_FILE } from '../configs/app';
import type { RenderContext } from '../configs/context';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { LabMonitor } from '../monitor/lab-monitor';
import type { GuestPool } from '../lab/guest-pool';
import type { DrillName } from '../shared/blueprint/schema';
import { masterDownIntervalMs, type Check, type DrillMeasurements } from '../shared/drills/report';
import { binlogPosition, failBack, promoteReplica, repointApps, semiSyncStatus } from './promotion';
import { semiSync } from '../configs/mysql-server';
import { gtidMissing } from '../configs/mysql-status';

export interface DrillEnv {
  hv: Hypervisor;
  lab: LabRef;
  ctx: RenderContext;
  pool: GuestPool;
  monitor: LabMonitor;
  log(line: string): void;
  notes: string[];
  /** Epoch ms of the fault. */
  faultAt: number;
  /** Epoch ms when restore started. */
  restoreAt: number;
  /** Extra measurements a drill records (promotion time, VIP back…). */
  extra: Partial<DrillMeasurements>;
  /** Why a db promotion was refused, if it was. */
  refused?: string[];
  /** App servers that answered requests sent after the fault was in place. */
  servedAfterFault: Set<string>;
  /** db-primary-down: promote despite missing transactions (`--force-promotion`). */
  forcePromotion?: boolean;
}

export interface DrillDef {
  name: DrillName;
  title: string;
  hypothesis(ctx: RenderContext): string;
  /**
   * Which answers are right, by phase: before the fault, while it is being
   * injected (either is accepted there), after it is in place.
   */
  expectStatus?(kind: 'read' | 'write', status: number, phase: 'before' | 'after'): boolean;
  inject(env: DrillEnv): Promise<string>;
  /** True once the lab has absorbed the fault. */
  recovered(env: DrillEnv): Promise<boolean>;
  restore(env: DrillEnv): Promise<void>;
  /** True once restored (checked after restore, bounded). */
  restored(env: DrillEnv): Promise<boolean>;
  expectations(env: DrillEnv, m: DrillMeasurements): Check[];
}

const vip0 = (ctx: RenderContext) => {
  const v = ctx.lab.lab.services.vips[0];
  if (!v) throw new Error('This lab has no VIP group.');
  return v;
};
/** The member that should hold the VIP (highest priority) and the next one. */
export const vipRoles = (ctx: RenderContext) => {
  const sorted = [...vip0(ctx).members].sort((a, b) => b.priority - a.priority);
  return { master: sorted[0]!, backup: sorted[1]! };
};
const holdsOnly = (env: DrillEnv, node: string) => {
  const h = env.monitor.holders(vip0(env.ctx).name);
  return h.length === 1 && h[0] === node;
};
const exec = async (env: DrillEnv, vm: string, argv: string[]) => (await env.pool.get(vm)).exec(argv, { timeoutMs: 120_000 });
const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

function vipMoveChecks(env: DrillEnv, m: DrillMeasurements, margin = 2000): Check[] {
  const { master, backup } = vipRoles(env.ctx);
  const mdi = masterDownIntervalMs(vip0(env.ctx).advertInterval, backup.priority, vip0(env.ctx).version ?? 2);
  return [
    check('VIP moved to the backup', m.vipMoveMs !== undefined, m.vipMoveMs !== undefined ? `${backup.node} took ${vip0(env.ctx).address} after ${m.vipMoveMs} ms` : `${backup.node} never held the VIP`),
    check('within the VRRP master-down interval (+2 s)', m.vipMoveMs !== undefined && m.vipMoveMs <= mdi + margin, `moved in ${m.vipMoveMs ?? '∞'} ms; master-down interval ${mdi} ms`),
    check('requests succeed again', m.firstSuccessAfterFaultMs !== undefined, m.firstSuccessAfterFaultMs !== undefined ? `first success ${m.firstSuccessAfterFaultMs} ms after the fault` : 'no request succeeded after the fault'),
    check('VIP back on the master after restore', m.vipBackMs !== undefined, m.vipBackMs !== undefined ? `${master.node} took it back ${m.vipBackMs} ms after the restore began` : `${master.node} did not take the VIP back`),
  ];
}

function lbServiceDrill(name: DrillName, title: string, unit: string, why: string): DrillDef {
  return {
    name,
    title,
    hypothesis: (ctx) => `When ${unit} stops on the VIP owner, ${why}: the backup holds ${vip0(ctx).address} within the master-down interval and requests succeed again.`,
    inject: async (env) => {
      const { master } = vipRoles(env.ctx);
      await exec(env, master.node, ['systemctl', 'stop', unit]);
      return `systemctl stop ${unit} on ${master.node}`;
    },
    recovered: async (env) => holdsOnly(env, vipRoles(env.ctx).backup.node),
    restore: async (env) => void (await exec(env, vipRoles(env.ctx).master.node, ['systemctl', 'start', unit])),
    restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
    expectations: (env, m) => vipMoveChecks(env, m),
  };
}

export const DRILL_DEFS: Record<DrillName, DrillDef> = {
  'lb-master-down': {
    name: 'lb-master-down',
    title: 'Load balancer master loses power',
    hypothesis: (ctx) => `When ${vipRoles(ctx).master.node} is powered off hard, ${vipRoles(ctx).backup.node} takes ${vip0(ctx).address} within VRRP’s master-down interval and requests through the VIP succeed again.`,
    inject: async (env) => {
      const { master } = vipRoles(env.ctx);
      await env.hv.stop(env.lab, master.node, 'hard');
      return `hard power-off of ${master.node} through the ${env.hv.kind} hypervisor`;
    },
    recovered: async (env) => holdsOnly(env, vipRoles(env.ctx).backup.node),
    restore: async (env) => {
      const { master } = vipRoles(env.ctx);
      await env.hv.start(env.lab, master.node);
      await env.pool.get(master.node, { waitMs: 120_000 });
    },
    restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
    expectations: (env, m) => vipMoveChecks(env, m),
  },
  'lb-nginx-stop': lbServiceDrill('lb-nginx-stop', 'nginx stops on the load balancer master', 'nginx', 'the track script fails and keepalived gives up the VIP'),
  'lb-keepalived-stop': lbServiceDrill('lb-keepalived-stop', 'keepalived stops on the load balancer master', 'keepalived', 'keepalived resigns'),
  'app-down': {
    name: 'app-down',
    title: 'An app server goes down',
    hypothesis: (ctx) => `When ${ctx.lab.lab.services.loadBalancer!.upstream.members[0]} stops, nginx routes every request to the other app servers: no request fails beyond those in flight, and the VIP stays where it is.`,
    inject: async (env) => {
      const app = env.ctx.lab.lab.services.loadBalancer!.upstream.members[0]!;
      await exec(env, app, ['systemctl', 'stop', 'halab-app']);
      return `systemctl stop halab-app on ${app}`;
    },
    recovered: async () => true,
    restore: async (env) => void (await exec(env, env.ctx.lab.lab.services.loadBalancer!.upstream.members[0]!, ['systemctl', 'start', 'halab-app'])),
    restored: async (env) => (await exec(env, env.ctx.lab.lab.services.loadBalancer!.upstream.members[0]!, ['systemctl', 'is-active', 'halab-app']).catch(() => ({ stdout: '' }))).stdout.trim() === 'active',
    expectations: (env, m) => {
      const down = env.ctx.lab.lab.services.loadBalancer!.upstream.members[0]!;
      return [
        check('no request lost beyond those in flight', m.failedAfterFault <= m.inFlightAtFault, `${m.failedAfterFault} failed after the fault; ${m.inFlightAtFault} were in flight`),
        check('the VIP did not move', m.vipMoveMs === undefined, m.vipMoveMs === undefined ? 'the VIP stayed on its owner' : `the VIP moved after ${m.vipMoveMs} ms`),
        check(`traffic moved off ${down}`, env.servedAfterFault.size > 0 && !env.servedAfterFault.has(down), `answered after the fault by ${[...env.servedAfterFault].join(', ') || 'nobody'}`),
      ];
    },
  },
  'db-primary-down': {
    name: 'db-primary-down',
    title: 'Database primary fails; the replica is promoted',
    hypothesis: (ctx) => `When ${ctx.lab.lab.services.database!.primary} stops, ${ctx.lab.replicas[0]!.node} — once it has applied everything it received — is promoted, the apps write to it, and no acknowledged reservation is lost.`,
    inject: async (env) => {
      const db = env.ctx.lab.lab.services.database!;
      const replica = env.ctx.lab.replicas[0]!.node;
      const unit = env.ctx.engine === 'mariadb' ? 'mariadb' : 'mysql';
      // Semi-sync as the primary saw it right before the fault: on, or fallen back to async?
      const ss = semiSync(env.ctx) ? await semiSyncStatus(env.pool, db.primary).catch(() => undefined) : undefined;
      if (ss) {
        env.extra.semiSyncAtFault = { enabled: ss.enabled, active: ss.active, clients: ss.clients, waitPoint: ss.waitPoint, timeoutMs: ss.timeoutMs, yesTx: ss.yesTx, noTx: ss.noTx };
        env.log(`semi-sync at the fault: ${ss.active ? `on (${ss.waitPoint}, ${ss.clients} replica(s))` : ss.enabled ? 'fallen back to async' : 'off'}`);
      } else if (semiSync(env.ctx)) env.notes.push(`The semi-sync status of ${db.primary} could not be read before the fault.`);
      const primaryLast = await binlogPosition(env.pool, env.ctx, db.primary).catch(() => undefined);
      if (primaryLast !== undefined) env.extra.gtidPrimaryAtFault = primaryLast;
      // Debian's MariaDB is socket-activated: stopping only the service lets the next client start it again.
      await exec(env, db.primary, ['sh', '-c', `systemctl stop ${unit}.socket 2>/dev/null; systemctl stop ${unit}.service`]);
      env.log(`${db.primary} stopped (last seen at ${primaryLast ?? 'unknown'}); checking ${replica} before promotion`);
      const d = await promoteReplica(env.pool, env.ctx, replica, primaryLast, 20_000, { force: env.forcePromotion, semiSyncAtFault: ss });
      if (d.missingTransactions !== undefined) env.extra.transactionsLost = d.missingTransactions;
      for (const n of d.notes ?? []) env.notes.push(`Promotion of ${replica}: ${n}.`);
      if (!d.ok) {
        env.refused = d.reasons;
        env.notes.push(`Promotion of ${replica} was refused: ${d.reasons.join('; ')}.`);
        return `systemctl stop ${unit} on ${db.primary}; promotion refused`;
      }
      if (d.forced) env.extra.promotionForced = true;
      if (d.appliedAtPromotion !== undefined) env.extra.gtidReplicaAtPromotion = d.appliedAtPromotion;
      await repointApps(env.pool, env.ctx, replica);
      env.extra.promotedMs = Date.now() - env.faultAt;
      env.log(`${replica} promoted and the apps repointed after ${env.extra.promotedMs} ms`);
      return `systemctl stop ${unit} on ${db.primary} (clean shutdown), ${replica} promoted, apps repointed`;
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
    expectations: (env, m) => [
      check('the replica was promoted', !env.refused, env.refused ? `refused: ${env.refused.join('; ')}` : `promoted ${m.promotedMs} ms after the fault`),
      check('writes accepted after promotion', m.firstSuccessAfterFaultMs !== undefined, m.firstSuccessAfterFaultMs !== undefined ? `first success ${m.firstSuccessAfterFaultMs} ms after the fault` : 'no write succeeded'),
      check('zero acknowledged rows lost', m.rowsLost === 0, `${m.rowsLost} of ${m.rowsAcknowledged} acknowledged reservations missing`),
      ...(m.transactionsLost !== undefined
        ? [
            check(
              'no acknowledged transaction lost (GTID sets)',
              m.transactionsLost === 0 || (!!m.semiSyncAtFault?.active && m.rowsLost === 0),
              `${m.transactionsLost} transaction(s) of the old primary (${m.gtidPrimaryFinal ?? m.gtidPrimaryAtFault ?? '?'}) missing on the promoted replica (${m.gtidReplicaAtPromotion ?? '?'})${m.transactionsLost > 0 && m.semiSyncAtFault?.active ? '; semi-sync was on, so none of them had been acknowledged' : ''}`,
            ),
          ]
        : []),
      ...(semiSync(env.ctx)
        ? [
            check(
              'semi-sync on at the fault',
              !!m.semiSyncAtFault?.active,
              m.semiSyncAtFault
                ? `${m.semiSyncAtFault.active ? 'on' : m.semiSyncAtFault.enabled ? 'fallen back to async' : 'off'}: wait point ${m.semiSyncAtFault.waitPoint || '?'}, ${m.semiSyncAtFault.clients} semi-sync replica(s), timeout ${m.semiSyncAtFault.timeoutMs ?? '?'} ms, ${m.semiSyncAtFault.yesTx ?? '?'} commits acknowledged / ${m.semiSyncAtFault.noTx ?? '?'} not`
                : 'its status could not be read',
            ),
            check('writes accepted again within 5 s', m.promotedMs !== undefined && m.promotedMs <= 5000, m.promotedMs !== undefined ? `the promoted replica took writes ${m.promotedMs} ms after the fault` : 'no promotion'),
          ]
        : []),
      ...(m.promotionForced ? [check('promotion not forced', false, 'promoted with --force-promotion although the replica lacked transactions of the primary')] : []),
    ],
  },
  'split-brain': {
    name: 'split-brain',
    title: 'Split brain: VRRP between the load balancers is cut',
    hypothesis: (ctx) => `When ${vipRoles(ctx).backup.node} stops hearing VRRP adverts, it takes ${vip0(ctx).address} too; the monitor reports both holders (split brain) within the master-down interval plus a second, and the lab returns to one holder when the link is back.`,
    inject: async (env) => {
      const { backup } = vipRoles(env.ctx);
      await exec(env, backup.node, ['iptables', '-I', 'INPUT', '1', '-p', '112', '-j', 'DROP', '-m', 'comment', '--comment', 'halab-split-brain-drill']);
      return `VRRP (IP protocol 112) dropped on ${backup.node}`;
    },
    recovered: async (env) => env.monitor.holders(vip0(env.ctx).name).length > 1,
    restore: async (env) => void (await exec(env, vipRoles(env.ctx).backup.node, ['iptables', '-D', 'INPUT', '-p', '112', '-j', 'DROP', '-m', 'comment', '--comment', 'halab-split-brain-drill'])),
    restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
    expectations: (env, m) => {
      const split = env.monitor.eventsSince(env.faultAt).find((e) => e.kind === 'vip-split');
      const { backup } = vipRoles(env.ctx);
      const mdi = masterDownIntervalMs(vip0(env.ctx).advertInterval, backup.priority, vip0(env.ctx).version ?? 2);
      return [
        check('split brain detected', !!split, split ? `${split.message} after ${split.at - env.faultAt} ms` : 'both load balancers never held the VIP at once'),
        check('detected within the master-down interval (+3 s)', !!split && split.at - env.faultAt <= mdi + 3000, `master-down interval ${mdi} ms`),
        check('one holder again after the link is back', m.vipBackMs !== undefined, m.vipBackMs !== undefined ? `after ${m.vipBackMs} ms` : 'still split'),
      ];
    },
  },
  maintenance: {
    name: 'maintenance',
    title: 'Maintenance mode',
    hypothesis: () => 'In maintenance mode new reservations are refused with a clear reason (HTTP 503) while look-ups are still served.',
    expectStatus: (kind, status, phase) => (kind === 'write' ? status === (phase === 'after' ? 503 : 201) : status === 200),
    inject: async (env) => {
      await Promise.all((env.ctx.lab.lab.services.app?.members ?? []).map(async (a) => (await env.pool.get(a)).writeFile(APP_MAINTENANCE_FILE, 'Maintenance drill: new reservations are paused; look-ups still work.\n')));
      return `maintenance file written on ${(env.ctx.lab.lab.services.app?.members ?? []).join(', ')}`;
    },
    recovered: async () => true,
    restore: async (env) => void (await Promise.all((env.ctx.lab.lab.services.app?.members ?? []).map((a) => exec(env, a, ['rm', '-f', APP_MAINTENANCE_FILE])))),
    restored: async () => true,
    expectations: (_env, m) => [check('writes refused and look-ups served as expected', m.failedAfterFault <= m.inFlightAtFault, `${m.failedAfterFault} requests after the switch got an unexpected answer (${m.inFlightAtFault} in flight)`)],
  },
};
