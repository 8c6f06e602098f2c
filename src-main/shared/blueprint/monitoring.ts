/**
 * Where the monitoring extras listen (shared by the plan, the configs and
 * the monitor): Grafana's port on the Prometheus VM.
 */
import type { ResolvedLab } from './model';

/** Grafana's usual port; see `grafanaPort`. */
export const GRAFANA_PORT = 3000;

/**
 * Grafana's port on its VM: 3000, unless that VM already serves the lab's
 * app on 3000 (the seed's app port), then 3001.
 */
export function grafanaPort(ctx: { lab: ResolvedLab }): number {
  const s = ctx.lab.lab.services;
  const vm = s.monitoring?.prometheus;
  const appHere = !!vm && !!s.app?.members.includes(vm) && (s.app.port ?? 3000) === GRAFANA_PORT;
  const lbHere = !!vm && !!s.loadBalancer?.members.includes(vm) && s.loadBalancer.listen.includes(GRAFANA_PORT);
  return appHere || lbHere ? GRAFANA_PORT + 1 : GRAFANA_PORT;
}
