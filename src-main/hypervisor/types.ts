/**
 * The hypervisor seam. One implementation per hypervisor: the VMware
 * Workstation driver (`vmware/`), the Linux lab provider (`linux/`) and the
 * Incus/LXD provider (`incus/`, REST API).
 * Everything above (provisioning, drills, CLI, UI) talks to this interface
 * only. Implementations run every external program through the one command
 * runner (`exec/runner.ts`).
 *
 * Names: a VM is addressed by its blueprint hostname inside a lab; a network
 * by its blueprint VMnet name (`vmnet8`, `vmnet2`, …). The lab ref says where
 * the lab's files live so a provider can find what it created earlier.
 */
import { render, type Message } from '../shared/i18n';

export type ProviderKind = 'vmware' | 'linux' | 'incus';

/** Where a lab's state lives. `id` is a short slug, safe in file and interface names. */
export interface LabRef {
  id: string;
  /** Absolute folder for this lab's files (VM folders, keys, journals). */
  dir: string;
}

export type PowerState = 'absent' | 'off' | 'running' | 'suspended' | 'unknown';

export interface Usability {
  usable: boolean;
  /** Why not, in words a student understands. */
  reason?: string;
  /** What to do about it. */
  fix?: string;
  /** `reason` and `fix` from the message catalog, rendered in the reader's language. */
  reasonMsg?: Message;
  fixMsg?: Message;
  /** Version or path details, for the log. */
  details?: string;
}

export interface NetworkSpec {
  /** VMnet name from the blueprint (`vmnet8`). */
  name: string;
  type: 'nat' | 'hostonly' | 'bridged' | 'custom';
  /** Subnet in CIDR form, e.g. `192.168.10.0/24`. */
  subnet: string;
  /** The host's own address on this network (VMware's `.1`). */
  hostAddress: string;
  /** NAT gateway (VMware's `.2`), when type is nat. */
  natGateway?: string;
  /** DHCP pool, or undefined for none. */
  dhcp?: { start: string; end: string };
}

export interface NicSpec {
  /** Network (VMnet) name. */
  network: string;
  /** Static MAC in VMware's range (00:50:56:00:00:00–00:50:56:3F:FF:FF). */
  mac: string;
  /** Static address the provisioner will set (informational for the hypervisor). */
  address?: string;
}

export interface VmSpec {
  name: string;
  /** Template: a .vmx path for VMware, ignored (the base image) for Linux. */
  template: string;
  clone: 'linked' | 'full';
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  nics: NicSpec[];
  /** Public key placed for root before first boot where the provider can (Linux). */
  sshPublicKey?: string;
  /** Incus/LXD: the cluster member the blueprint pins this VM to; other providers ignore it. */
  target?: string;
}

export interface VmInfo {
  name: string;
  state: PowerState;
  /** IPv4 addresses per NIC name or network, when known. */
  addresses: string[];
}

export interface OpOptions {
  signal?: AbortSignal;
  /** Progress/log lines for the step that called this. */
  log?: (line: string) => void;
  /** The same lines as catalog messages, for a caller that renders them in its reader's language (without it, `log` gets their English). */
  logMsg?: (line: Message) => void;
}

/** Log a catalog message to the caller: as a message when it takes them, else its English text. */
export function opLog(opts: OpOptions | undefined, m: Message): void {
  if (opts?.logMsg) opts.logMsg(m);
  else opts?.log?.(render('en', m));
}

/** A HypervisorError (or any error) that also carries its catalog message (see `shared/i18n/message-error.ts`). */
export function withMsg<E extends Error>(e: E, m: Message): E & { msg: Message } {
  return Object.assign(e, { msg: m });
}

/** Options of the network steps. */
export interface NetworkOptions extends OpOptions {
  /**
   * The user said yes to changing the host's existing vmnet8 (NAT) to the
   * blueprint's subnet. Its previous settings are recorded and restored by
   * `removeNetwork` (so by `down`). Without it, a clash is refused.
   */
  reconfigureVmnet8?: boolean;
}

/** What a network step did: `changed` when it created, changed or removed a VMnet. */
export type NetworkChange = 'changed' | 'unchanged';

/** A blueprint VMnet whose subnet differs from the host's VMnet of that name (same shape as the IPC contract's). */
export interface VmnetClash {
  vmnet: string;
  blueprintSubnet: string;
  hostSubnet: string;
  /** What to do, and what a reconfigure would affect (other VMs on vmnet8). */
  message: string;
  /** The same from the message catalog (rendered in the reader's language). */
  msg?: Message;
}

export interface FailureDetails {
  lastCommand?: string;
  lastOutput?: string;
}

export interface Hypervisor {
  readonly kind: ProviderKind;

  /** Can this provider run here? If not, why and how to fix it. Never throws. */
  checkUsable(): Promise<Usability>;

  /**
   * Make sure a VMnet exists with this subnet, host address, NAT and DHCP.
   * Idempotent. Never touches a network the lab did not create; throws when
   * an existing network of that name has different settings.
   */
  ensureNetwork(lab: LabRef, net: NetworkSpec, opts?: NetworkOptions): Promise<NetworkChange | void>;

  /**
   * Remove a network the lab created (VMware: and still has the settings the
   * lab gave it; a vmnet8 the lab reconfigured gets its old settings back).
   * No-op when absent.
   */
  removeNetwork(lab: LabRef, name: string, opts?: OpOptions): Promise<NetworkChange | void>;

  /**
   * Optional: the blueprint networks whose subnet differs from an existing
   * host network of the same name (VMware's vmnet8 in practice), found
   * before anything runs. `lab` lets a provider skip networks the lab owns.
   */
  vmnetClashes?(nets: NetworkSpec[], lab?: LabRef): Promise<VmnetClash[]>;

  /** Create (clone) a VM; idempotent when it already exists with this spec. Leaves it powered off. */
  createVm(lab: LabRef, spec: VmSpec, opts?: OpOptions): Promise<void>;

  /** Power on headless. Resolves when the hypervisor reports it running (not when the guest has booted). */
  start(lab: LabRef, name: string, opts?: OpOptions): Promise<void>;

  /** Soft = guest shutdown (falls back to hard after a timeout); hard = pulled plug. */
  stop(lab: LabRef, name: string, mode: 'soft' | 'hard', opts?: OpOptions): Promise<void>;

  reset(lab: LabRef, name: string, mode: 'soft' | 'hard', opts?: OpOptions): Promise<void>;

  suspend(lab: LabRef, name: string, opts?: OpOptions): Promise<void>;

  state(lab: LabRef, name: string, opts?: OpOptions): Promise<PowerState>;

  /** Every VM of this lab the provider knows about. */
  list(lab: LabRef, opts?: OpOptions): Promise<VmInfo[]>;

  /**
   * Wait for the guest's IPv4 address on a network (the first NIC if not
   * given). Uses more than one source where the provider has them.
   */
  guestAddress(lab: LabRef, name: string, opts?: OpOptions & { network?: string; timeoutMs?: number }): Promise<string>;

  /** Connect or disconnect one NIC's cable (index into VmSpec.nics). */
  setLink(lab: LabRef, name: string, nicIndex: number, connected: boolean, opts?: OpOptions): Promise<void>;

  snapshot(lab: LabRef, name: string, snapshot: string, opts?: OpOptions): Promise<void>;
  revert(lab: LabRef, name: string, snapshot: string, opts?: OpOptions): Promise<void>;
  deleteSnapshot(lab: LabRef, name: string, snapshot: string, opts?: OpOptions): Promise<void>;
  listSnapshots(lab: LabRef, name: string, opts?: OpOptions): Promise<string[]>;

  /** Power off (hard) if needed and delete the VM and its files. No-op when absent. */
  destroyVm(lab: LabRef, name: string, opts?: OpOptions): Promise<void>;

  /** Last command and its last output lines, for error reports. */
  failureDetails(): FailureDetails;

  /**
   * Optional: remove whatever else the lab left on the host after its VMs
   * and networks are destroyed (the Linux lab: rules, state folders, even
   * after a crash). `keepGuards` keeps the network-safety routes.
   */
  cleanupLab?(lab: LabRef, opts?: OpOptions & { keepGuards?: boolean }): Promise<void>;

  /**
   * Set per-network-namespace kernel parameters (`net.*` only) of a VM from
   * the host, for guests that cannot write them themselves (the Linux lab's
   * containers see /proc/sys read-only). A real VM sets them over SSH and
   * needs no such method. Values are digits; the settings stay with the VM's
   * namespace across restarts. Issue 14: the zone router's forwarding, the
   * hardening profile.
   */
  setNetSysctls?(lab: LabRef, name: string, settings: { key: string; value: string }[], opts?: OpOptions): Promise<void>;
}

/** A hypervisor error with a plain-language message and a suggested fix. */
export class HypervisorError extends Error {
  override readonly name = 'HypervisorError';
  /** `fix` from the message catalog, when the thrower has one. */
  fixMsg?: Message;
  constructor(
    message: string,
    readonly code: 'not-usable' | 'not-found' | 'bad-state' | 'conflict' | 'needs-admin' | 'transient' | 'canceled' | 'failed',
    readonly fix?: string,
    readonly details?: FailureDetails,
  ) {
    super(message);
  }
}
