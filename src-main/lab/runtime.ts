/**
 * The one way to open a lab, for every front door (window, web mode, CLI):
 * host settings → lab folder → hypervisor (the provider asked for, else the
 * one the lab was created with, else the first usable) → render context and
 * one SSH pool logging in as the right guest user.
 */
import { ensureLabKey } from '../guest/lab-keys';
import { chooseHypervisor, type FactoryOptions } from '../hypervisor/factory';
import type { Hypervisor, LabRef, ProviderKind } from '../hypervisor/types';
import type { RenderContext } from '../configs/context';
import type { ResolvedLab } from '../shared/blueprint/model';
import { GuestPool } from './guest-pool';
import { readHostSettings, type HostSettings } from './host-settings';
import { labRef, readLabState, type LabState } from './lab-home';
import { renderContext } from './render-context';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

export interface OpenLabOptions {
  /** The provider asked for (`--provider`, the Provision screen). */
  provider?: ProviderKind;
  /** Host settings; read from `dataDir` (and the environment) when not given. */
  settings?: HostSettings;
  /** Folder of `settings.json` when `settings` is not given. */
  dataDir?: string;
}

/** A lab's folder and hypervisor, before anything is created. */
export interface LabTarget {
  hv: Hypervisor;
  lab: LabRef;
  /** What `up` recorded (undefined: the lab is not up here). */
  state?: LabState;
  settings: HostSettings;
  /** The guest user SSH logs in as on this provider. */
  sshUser: string;
}

/** An opened lab: its hypervisor, folder, render context and SSH pool. Close the pool when done. */
export interface LabRuntime extends LabTarget {
  ctx: RenderContext;
  pool: GuestPool;
}

/** What the hypervisor factory needs from the host settings. */
export function factoryOptions(s: HostSettings): FactoryOptions {
  return { vmrunPath: s.vmrunPath, vmwareEtcDir: s.vmwareEtcDir };
}

/** The guest user: the setting on VMware; root in the Linux lab (its containers only have root). */
export function guestUser(kind: ProviderKind, s: HostSettings): string {
  return kind === 'linux' || kind === 'incus' ? 'root' : s.sshUser;
}

/** The lab's folder under the labs folder setting, and its recorded state. */
export async function labHome(labId: string, s: HostSettings): Promise<{ lab: LabRef; state?: LabState }> {
  const lab = labRef(labId, s.labsDir);
  return { lab, state: await readLabState(lab) };
}

/**
 * The lab's folder and hypervisor (chosen: the provider asked for, else the
 * one the lab was created with, else the first usable; its usability is
 * checked once, here). Creates nothing.
 */
export async function openLabTarget(resolved: ResolvedLab, o: OpenLabOptions = {}): Promise<LabTarget> {
  const settings = o.settings ?? (await readHostSettings({ dataDir: o.dataDir }));
  const { lab, state } = await labHome(resolved.name, settings);
  const hv = await chooseHypervisor(o.provider ?? state?.provider, factoryOptions(settings));
  return { hv, lab, state, settings, sshUser: guestUser(hv.kind, settings) };
}

/**
 * Open a lab to work on its guests (monitor, drills, watch): the target plus
 * the render context (secrets generated on first use) and an SSH pool with
 * the lab key, logging in as the provider's guest user.
 */
export async function openLab(resolved: ResolvedLab, o: OpenLabOptions = {}): Promise<LabRuntime> {
  const target = await openLabTarget(resolved, o);
  return { ...target, ...(await connectLab(target, resolved)) };
}

/** The render context and SSH pool of an already chosen target. */
export async function connectLab(t: Pick<LabTarget, 'hv' | 'lab' | 'sshUser'>, resolved: ResolvedLab): Promise<{ ctx: RenderContext; pool: GuestPool }> {
  const key = await ensureLabKey(t.lab.dir, t.lab.id);
  const ctx = await renderContext(t.hv, t.lab, resolved);
  const pool = new GuestPool({ hv: t.hv, lab: t.lab, resolved, key, user: t.sshUser });
  return { ctx, pool };
}

/**
 * VMs and lab folders belong to the user who runs `halab`: a VMware lab
 * brought up as root would be invisible to that user's Workstation and its
 * files would be root's. Refused unless HALAB_ALLOW_ROOT=1. (The Linux lab
 * needs root; it is not affected.)
 */
export function refuseRootForVmware(kind: ProviderKind, o: { uid?: number; env?: NodeJS.ProcessEnv } = {}): void {
  const uid = o.uid ?? process.getuid?.();
  const env = o.env ?? process.env;
  if (kind !== 'vmware' || uid !== 0 || env.HALAB_ALLOW_ROOT === '1') return;
  const sudoUser = env.SUDO_USER && env.SUDO_USER !== 'root' ? env.SUDO_USER : undefined;
  throw new RootRefusedError(sudoUser ? msg('lab.err.rootRefusedSudo', { user: sudoUser }) : msg('lab.err.rootRefused'));
}

export class RootRefusedError extends MessageError {
  override readonly name = 'RootRefusedError';
  readonly code = 'root-refused';
}
