/**
 * Rough work per per-VM step kind, for the engine's schedule (engine.ts
 * `scheduleOrder`: the longest remaining chain first). Seconds each step took
 * alone in the one-at-a-time run of bench/lab-provision.bench.ts on the Linux
 * lab, rounded; only their proportions matter. Other steps count 1.
 */
import type { Step } from './engine';

export const STEP_COSTS: Record<string, number> = { create: 1, start: 2, ssh: 8, system: 5, packages: 1, firewall: 7, services: 20, hardening: 7 };

/** Give `vm:<vm>:<kind>` steps without a cost their kind's. */
export function estimateCosts(steps: Step[]): void {
  for (const s of steps) {
    const kind = /^vm:[^:]+:(\w+)$/.exec(s.id)?.[1];
    if (s.cost === undefined && kind && STEP_COSTS[kind] !== undefined) s.cost = STEP_COSTS[kind];
  }
}
