/**
 * The drills that move the VIP between the load balancers: the master loses
 * power, nginx or keepalived stops on it, and VRRP between them is cut
 * (split brain). Texts: `drill.*` in `shared/i18n/messages-drill.ts`.
 */
import { masterDownIntervalMs } from '../shared/drills/report';
import type { RenderContext } from '../configs/context';
import { lbEngine } from '../configs/haproxy';
import { check, exec, holdsOnly, msg, vip0, vipRoles, type Check, type DrillDef, type DrillEnv, type DrillMeasurements } from './drill-kit';

/** The four checks of a drill that moves the VIP to the backup and back. */
export function vipMoveChecks(env: DrillEnv, m: DrillMeasurements, margin = 2000): Check[] {
  const { master, backup } = vipRoles(env.ctx);
  const vip = vip0(env.ctx);
  const mdi = masterDownIntervalMs(vip.advertInterval, backup.priority, vip.version ?? 2);
  return [
    check(msg('drill.check.vipMoved'), m.vipMoveMs !== undefined, m.vipMoveMs !== undefined ? msg('drill.detail.vipTook', { node: backup.node, vip: vip.address, ms: m.vipMoveMs }) : msg('drill.detail.vipNeverHeld', { node: backup.node })),
    check(msg('drill.check.withinMasterDown', { margin: margin / 1000 }), m.vipMoveMs !== undefined && m.vipMoveMs <= mdi + margin, msg('drill.detail.movedIn', { ms: m.vipMoveMs ?? '∞', mdi })),
    check(msg('drill.check.requestsSucceed'), m.firstSuccessAfterFaultMs !== undefined, m.firstSuccessAfterFaultMs !== undefined ? msg('drill.detail.firstSuccess', { ms: m.firstSuccessAfterFaultMs }) : msg('drill.detail.noSuccess')),
    check(msg('drill.check.vipBack'), m.vipBackMs !== undefined, m.vipBackMs !== undefined ? msg('drill.detail.tookBack', { node: master.node, ms: m.vipBackMs }) : msg('drill.detail.notBack', { node: master.node })),
  ];
}

export const lbMasterDown: DrillDef = {
  name: 'lb-master-down',
  title: msg('drill.title.lb-master-down'),
  hypothesis: (ctx) => msg('drill.hyp.lb-master-down', { master: vipRoles(ctx).master.node, backup: vipRoles(ctx).backup.node, vip: vip0(ctx).address }),
  inject: async (env) => {
    const { master } = vipRoles(env.ctx);
    await env.hv.stop(env.lab, master.node, 'hard');
    return msg('drill.fault.powerOff', { node: master.node, hypervisor: env.hv.kind });
  },
  recovered: async (env) => holdsOnly(env, vipRoles(env.ctx).backup.node),
  restore: async (env) => {
    const { master } = vipRoles(env.ctx);
    await env.hv.start(env.lab, master.node);
    await env.pool.get(master.node, { waitMs: 120_000 });
  },
  restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
  vipBack: true,
  expectations: (env, m) => vipMoveChecks(env, m),
};

/**
 * A systemd unit stops on the VIP owner (the load balancer engine, nginx or
 * haproxy as the blueprint says: its track script fails; keepalived: it resigns).
 */
function lbServiceDrill(name: 'lb-nginx-stop' | 'lb-keepalived-stop', unitOf: (ctx: RenderContext) => string, hypothesis: DrillDef['hypothesis']): DrillDef {
  return {
    name,
    title: msg(`drill.title.${name}`),
    hypothesis,
    inject: async (env) => {
      const { master } = vipRoles(env.ctx);
      const unit = unitOf(env.ctx);
      await exec(env, master.node, ['systemctl', 'stop', unit]);
      return msg('drill.fault.stopUnit', { unit, node: master.node });
    },
    recovered: async (env) => holdsOnly(env, vipRoles(env.ctx).backup.node),
    restore: async (env) => void (await exec(env, vipRoles(env.ctx).master.node, ['systemctl', 'start', unitOf(env.ctx)])),
    restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
    vipBack: true,
    expectations: (env, m) => vipMoveChecks(env, m),
  };
}

/** Stops the load balancer engine, whichever it is (the name stays for existing blueprints); its hypothesis names the engine. */
export const lbNginxStop = lbServiceDrill('lb-nginx-stop', (ctx) => lbEngine(ctx), (ctx) =>
  msg('drill.hyp.lb-nginx-stop', { engine: lbEngine(ctx) === 'haproxy' ? 'HAProxy' : 'nginx', master: vipRoles(ctx).master.node, backup: vipRoles(ctx).backup.node, vip: vip0(ctx).address }),
);
export const lbKeepalivedStop = lbServiceDrill('lb-keepalived-stop', () => 'keepalived', (ctx) =>
  msg('drill.hyp.lb-keepalived-stop', { master: vipRoles(ctx).master.node, backup: vipRoles(ctx).backup.node, vip: vip0(ctx).address }),
);

export const splitBrain: DrillDef = {
  name: 'split-brain',
  title: msg('drill.title.split-brain'),
  hypothesis: (ctx) => msg('drill.hyp.split-brain', { backup: vipRoles(ctx).backup.node, vip: vip0(ctx).address }),
  inject: async (env) => {
    const { backup } = vipRoles(env.ctx);
    await exec(env, backup.node, ['iptables', '-I', 'INPUT', '1', '-p', '112', '-j', 'DROP', '-m', 'comment', '--comment', 'halab-split-brain-drill']);
    return msg('drill.fault.vrrpDropped', { node: backup.node });
  },
  recovered: async (env) => env.monitor.holders(vip0(env.ctx).name).length > 1,
  restore: async (env) => void (await exec(env, vipRoles(env.ctx).backup.node, ['iptables', '-D', 'INPUT', '-p', '112', '-j', 'DROP', '-m', 'comment', '--comment', 'halab-split-brain-drill'])),
  restored: async (env) => holdsOnly(env, vipRoles(env.ctx).master.node),
  vipBack: true,
  expectations: (env, m) => {
    const split = env.monitor.eventsSince(env.faultAt).find((e) => e.kind === 'vip-split');
    const { backup } = vipRoles(env.ctx);
    const vip = vip0(env.ctx);
    const mdi = masterDownIntervalMs(vip.advertInterval, backup.priority, vip.version ?? 2);
    const holders = ((split?.data?.holders as string[] | undefined) ?? []).join(', ');
    return [
      check(msg('drill.check.splitDetected'), !!split, split ? msg('drill.detail.splitAfter', { nodes: holders, ms: split.at - env.faultAt }) : msg('drill.detail.neverSplit')),
      check(msg('drill.check.splitWithin', { margin: 3 }), !!split && split.at - env.faultAt <= mdi + 3000, msg('drill.detail.masterDown', { mdi })),
      check(msg('drill.check.oneHolder'), m.vipBackMs !== undefined, m.vipBackMs !== undefined ? msg('drill.detail.afterMs', { ms: m.vipBackMs }) : msg('drill.detail.stillSplit')),
    ];
  },
};
