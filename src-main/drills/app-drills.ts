/**
 * The drills of the app tier: an app server goes down (nginx routes around
 * it) and maintenance mode (writes refused on purpose, look-ups served).
 */
import { APP_MAINTENANCE_FILE } from '../configs/app';
import { check, exec, msg, type DrillDef, type DrillEnv } from './drill-kit';

/** The app server the drill stops: the first of nginx's upstream. */
const firstApp = (env: Pick<DrillEnv, 'ctx'>) => env.ctx.lab.lab.services.loadBalancer!.upstream.members[0]!;

export const appDown: DrillDef = {
  name: 'app-down',
  title: msg('drill.title.app-down'),
  hypothesis: (ctx) => msg('drill.hyp.app-down', { app: ctx.lab.lab.services.loadBalancer!.upstream.members[0]! }),
  inject: async (env) => {
    const app = firstApp(env);
    await exec(env, app, ['systemctl', 'stop', 'halab-app']);
    return msg('drill.fault.stopUnit', { unit: 'halab-app', node: app });
  },
  recovered: async () => true,
  restore: async (env) => void (await exec(env, firstApp(env), ['systemctl', 'start', 'halab-app'])),
  restored: async (env) => (await exec(env, firstApp(env), ['systemctl', 'is-active', 'halab-app']).catch(() => ({ stdout: '' }))).stdout.trim() === 'active',
  expectations: (env, m) => {
    const down = firstApp(env);
    const served = [...env.servedAfterFault].join(', ');
    return [
      check(msg('drill.check.noLossBeyondInFlight'), m.failedAfterFault <= m.inFlightAtFault, msg('drill.detail.failedAfterFault', { failed: m.failedAfterFault, inFlight: m.inFlightAtFault })),
      check(msg('drill.check.vipStayed'), m.vipMoveMs === undefined, m.vipMoveMs === undefined ? msg('drill.detail.vipStayed') : msg('drill.detail.vipMovedAfter', { ms: m.vipMoveMs })),
      check(msg('drill.check.trafficMoved', { node: down }), env.servedAfterFault.size > 0 && !env.servedAfterFault.has(down), msg('drill.detail.answeredBy', { nodes: served || msg('drill.nobody') })),
    ];
  },
};

export const maintenance: DrillDef = {
  name: 'maintenance',
  title: msg('drill.title.maintenance'),
  hypothesis: () => msg('drill.hyp.maintenance'),
  expectStatus: (kind, status, phase) => (kind === 'write' ? status === (phase === 'after' ? 503 : 201) : status === 200),
  inject: async (env) => {
    const apps = env.ctx.lab.lab.services.app?.members ?? [];
    // The app serves this file's text as the 503's reason (the app's own words, not a halab message).
    await Promise.all(apps.map(async (a) => (await env.pool.get(a)).writeFile(APP_MAINTENANCE_FILE, 'Maintenance drill: new reservations are paused; look-ups still work.\n')));
    return msg('drill.fault.maintenanceOn', { nodes: apps.join(', ') });
  },
  recovered: async () => true,
  restore: async (env) => void (await Promise.all((env.ctx.lab.lab.services.app?.members ?? []).map((a) => exec(env, a, ['rm', '-f', APP_MAINTENANCE_FILE])))),
  restored: async () => true,
  expectations: (_env, m) => [check(msg('drill.check.maintenanceAnswers'), m.failedAfterFault <= m.inFlightAtFault, msg('drill.detail.unexpected', { count: m.failedAfterFault, inFlight: m.inFlightAtFault }))],
  recoveryTime: () => ({ basis: msg('drill.rto.planned') }),
  planned: true,
};
