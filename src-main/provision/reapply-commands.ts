/**
 * Which probes a VM's SSH step sends as one command on a re-apply
 * (reapply-probe.ts), and the rule that drops a VM's answers as soon as
 * something changed: wired in by `buildSteps` (provisioner.ts).
 */
import type { RenderContext, RenderedFile } from '../configs/context';
import type { Step } from './engine';
import { firewallProbe, packagesProbe, servicesProbe, systemProbe } from './node-steps';
import type { ProbeCommand, ReapplyProbes } from './reapply-probe';
import { hardeningProbe } from './zone-steps';

/** Every per-VM step's probe, in the order the steps run: base system, packages, firewall, services, hardening. */
export function reapplyProbeCommands(ctx: RenderContext, vm: string, appSources: RenderedFile[]): ProbeCommand[] {
  return [systemProbe(ctx, vm), packagesProbe(ctx, vm), firewallProbe(), servicesProbe(ctx, vm, appSources), hardeningProbe(ctx, vm)];
}

/**
 * Drop kept answers when a step changed something or failed: its VM's, or
 * every VM's for a lab-wide step (one without a VM). Wraps each step's run.
 */
export function invalidateOnChange(steps: Step[], probes: ReapplyProbes): void {
  for (const s of steps) {
    const run = s.run;
    s.run = async (c) => {
      try {
        const r = await run(c);
        if (r === 'changed') probes.invalidate(s.vm);
        return r;
      } catch (e) {
        probes.invalidate(s.vm);
        throw e;
      }
    };
  }
}
