/**
 * What `up` would meet on this host before anything runs (`lab:preflight`,
 * the Provision screen): each blueprint VMnet against the host's VMnet of
 * the same name. A clash (vmnet8 with its own random subnet, in practice) is
 * shown with the choice `up` will ask for: reconfigure vmnet8, or edit the
 * blueprint. The Linux lab makes its own networks, so it has no clashes.
 */
import type { CheckLine } from '../../shared/ipc/contract.js';
import type { LabRef, NetworkSpec, ProviderKind, VmnetClash } from '../types.js';
import { createHypervisor } from '../factory.js';
import { VmwareDriver } from './vmware-driver.js';

export interface PreflightOptions {
  /** Linux host: VMware's config folder (setting / HALAB_VMWARE_ETC_DIR / /etc/vmware). */
  vmwareEtcDir?: string;
  vmrunPath?: string;
  /** The lab's folder: networks it already created or reconfigured are not clashes. */
  lab?: LabRef;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

export interface Preflight {
  provider: ProviderKind;
  clashes: VmnetClash[];
  lines: CheckLine[];
}

/** The preflight of a blueprint's networks on one provider. Never throws for host problems: they become lines. */
export async function networkPreflight(provider: ProviderKind, nets: NetworkSpec[], o: PreflightOptions = {}): Promise<Preflight> {
  if (provider === 'linux') {
    return { provider, clashes: [], lines: [{ id: 'networks', level: 'ok', title: 'Lab networks', detail: 'The Linux lab makes its own bridges for the blueprint\'s networks; nothing on the host is changed.' }] };
  }
  const hv = new VmwareDriver({
    ...(o.vmwareEtcDir ? { vmwareEtcDir: o.vmwareEtcDir } : {}),
    ...(o.vmrunPath ? { vmrunPath: o.vmrunPath } : {}),
    ...(o.platform ? { platform: o.platform } : {}),
    ...(o.env ? { env: o.env } : {}),
  });
  let clashes: VmnetClash[];
  try {
    clashes = await hv.vmnetClashes(nets, o.lab);
  } catch (e) {
    return {
      provider,
      clashes: [],
      lines: [{ id: 'vmnets', level: 'warning', title: 'VMware networks', detail: `The host's VMware networks could not be read: ${(e as Error).message}`, fix: 'Check the VMware config folder in Settings (Linux: /etc/vmware), or run halab doctor.' }],
    };
  }
  const lines: CheckLine[] = nets
    .filter((n) => n.type !== 'bridged')
    .map((n): CheckLine => {
      const clash = clashes.find((c) => c.vmnet === n.name);
      if (!clash) return { id: `vmnet:${n.name}`, level: 'ok', title: `${n.name} (${n.subnet})`, detail: `${n.name} is free or already has the blueprint's settings.` };
      return {
        id: n.name === 'vmnet8' ? 'vmnet8-subnet' : `vmnet:${n.name}`,
        level: 'error',
        title: `${n.name}: the host has ${clash.hostSubnet}, the blueprint wants ${clash.blueprintSubnet}`,
        detail: clash.message,
        fix: n.name === 'vmnet8' ? `Reconfigure vmnet8 (halab up --reconfigure-vmnet8, or confirm on the Provision screen), or set vmnet8's subnet to ${clash.hostSubnet} in the blueprint.` : `Pick a free VMnet number for ${n.name} in the blueprint.`,
      };
    });
  return { provider, clashes, lines };
}

/** The provider a preflight is for: the one asked for, else the lab's, else the first usable here (null: none). */
export async function preflightProvider(asked: ProviderKind | undefined, recorded: ProviderKind | undefined, o: PreflightOptions = {}): Promise<ProviderKind | null> {
  if (asked ?? recorded) return (asked ?? recorded)!;
  for (const kind of ['vmware', 'linux'] as const) {
    const hv = createHypervisor(kind, { ...(o.vmrunPath ? { vmrunPath: o.vmrunPath } : {}), ...(o.vmwareEtcDir ? { vmwareEtcDir: o.vmwareEtcDir } : {}) });
    if ((await hv.checkUsable()).usable) return kind;
  }
  return null;
}
