/**
 * What `up` would meet on this host before anything runs (`lab:preflight`,
 * the Provision screen): each blueprint VMnet against the host's VMnet of
 * the same name. A clash (vmnet8 with its own random subnet, in practice) is
 * shown with the choice `up` will ask for: reconfigure vmnet8, or edit the
 * blueprint. The Linux lab makes its own networks, so it has no clashes.
 */
import { msg } from '../../shared/i18n/index.js';
import { checkLine } from '../../shared/i18n/check-line.js';
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
    return { provider, clashes: [], lines: [checkLine('networks', 'ok', msg('pre.linuxNetworks'), msg('pre.linuxNetworks.detail'))] };
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
      lines: [checkLine('vmnets', 'warning', msg('pre.vmnets'), msg('pre.vmnetsUnreadable', { error: (e as Error).message }), msg('pre.vmnetsUnreadable.fix'))],
    };
  }
  const lines: CheckLine[] = nets
    .filter((n) => n.type !== 'bridged')
    .map((n): CheckLine => {
      const clash = clashes.find((c) => c.vmnet === n.name);
      if (!clash) return checkLine(`vmnet:${n.name}`, 'ok', msg('pre.vmnetOk', { name: n.name, subnet: n.subnet }), msg('pre.vmnetOk.detail', { name: n.name }));
      // clash.message comes from the VMnet manager and is still English only (raw.english).
      return checkLine(
        n.name === 'vmnet8' ? 'vmnet8-subnet' : `vmnet:${n.name}`,
        'error',
        msg('pre.vmnetClash', { name: n.name, host: clash.hostSubnet, wanted: clash.blueprintSubnet }),
        msg('raw.english', { text: clash.message }),
        n.name === 'vmnet8' ? msg('pre.vmnet8Clash.fix', { host: clash.hostSubnet }) : msg('pre.vmnetClash.fix', { name: n.name }),
      );
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
