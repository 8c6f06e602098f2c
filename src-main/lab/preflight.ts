/**
 * What `up` would meet on this computer, for the Provision screen
 * (`lab:preflight`) and `halab plan`: the provider the lab would run on and
 * each blueprint VMnet against the host's (the vmnet8 clash and its choice).
 */
import { networkPreflight, preflightProvider } from '../hypervisor/vmware/preflight';
import { IncusProvider } from '../hypervisor/incus';
import { incusPreflight } from '../hypervisor/incus/preflight';
import type { ProviderKind } from '../hypervisor/types';
import { networkSpecs } from '../provision/vm-specs';
import type { ResolvedLab } from '../shared/blueprint/model';
import type { PreflightResult } from '../shared/ipc/contract';
import type { HostSettings } from './host-settings';
import { labHome } from './runtime';
import { msg } from '../shared/i18n';
import { checkLine } from '../shared/i18n/check-line';

export async function labPreflight(resolved: ResolvedLab, provider: ProviderKind | undefined, s: HostSettings): Promise<PreflightResult> {
  const { lab, state } = await labHome(resolved.name, s);
  const o = { ...(s.vmwareEtcDir ? { vmwareEtcDir: s.vmwareEtcDir } : {}), ...(s.vmrunPath ? { vmrunPath: s.vmrunPath } : {}), lab };
  const kind = await preflightProvider(provider, state?.provider, o);
  if (!kind) return { provider: null, clashes: [], lines: [checkLine('provider', 'error', msg('lab.pre.noProvider'), msg('lab.pre.noProvider.detail'), msg('lab.pre.noProvider.fix'))] };
  // Incus/LXD: the server, each network against this computer's routes, and where each VM would run.
  if (kind === 'incus') return incusPreflight(new IncusProvider(), resolved, lab);
  return networkPreflight(kind, networkSpecs(resolved), o);
}
