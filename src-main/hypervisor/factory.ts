/**
 * Picks the hypervisor implementation: by name, by what a lab was created
 * with, or the first one usable here (VMware first: it is the product's
 * reason to exist; the Linux lab where VMware is missing and we are root).
 * Incus/LXD is used only when asked for (`--provider incus`) or when the lab
 * was created there.
 */
import { IncusProvider } from './incus';
import { LinuxLabProvider } from './linux';
import { msg } from '../shared/i18n';
import { HypervisorError, withMsg, type Hypervisor, type ProviderKind } from './types';
import { VmwareDriver } from './vmware/vmware-driver';

/** Host settings the providers need (from `lab/host-settings.ts`). */
export interface FactoryOptions {
  vmrunPath?: string;
  /** Linux host: VMware's config folder holding `networking` (default /etc/vmware). */
  vmwareEtcDir?: string;
  /** Incus/LXD: a remote added with `halab class remote add` (default HALAB_INCUS_REMOTE, else the local socket). */
  incusRemote?: string;
}

export function createHypervisor(kind: ProviderKind, o: FactoryOptions = {}): Hypervisor {
  if (kind === 'incus') return new IncusProvider({ remote: o.incusRemote });
  return kind === 'vmware' ? new VmwareDriver({ vmrunPath: o.vmrunPath, vmwareEtcDir: o.vmwareEtcDir }) : new LinuxLabProvider();
}

/** The provider to use: the one asked for, else the first usable. Throws with both reasons when none is. */
export async function chooseHypervisor(kind: ProviderKind | undefined, o: FactoryOptions = {}): Promise<Hypervisor> {
  const order: ProviderKind[] = kind ? [kind] : ['vmware', 'linux'];
  const reasons: string[] = [];
  for (const k of order) {
    const hv = createHypervisor(k, o);
    const u = await hv.checkUsable();
    if (u.usable) return hv;
    reasons.push(`${k}: ${u.reason ?? 'not usable'}${u.fix ? ` (${u.fix})` : ''}`);
  }
  // The providers' own reasons (English) follow; the catalog's words point to the doctor, which says the same in the reader's language.
  throw withMsg(new HypervisorError(`No hypervisor can run this lab here.\n  ${reasons.join('\n  ')}`, 'not-usable'), msg('hv.err.noHypervisor', { reasons: reasons.join('\n  ') }));
}
