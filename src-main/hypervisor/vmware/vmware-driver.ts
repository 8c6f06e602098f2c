/**
 * VMware Workstation behind the `Hypervisor` seam, driven by vmrun. VMs are
 * linked clones (from a `halab-base` snapshot of the template, taken once;
 * the template itself is never booted) living in `<lab.dir>/vms/<name>/`.
 */
import { access, readdir, rm } from 'node:fs/promises';
import { join, win32 } from 'node:path';
import {
  HypervisorError,
  type FailureDetails,
  type Hypervisor,
  type LabRef,
  type NetworkChange,
  type NetworkOptions,
  type NetworkSpec,
  type OpOptions,
  type PowerState,
  type Usability,
  type VmInfo,
  type VmnetClash,
  type VmSpec,
  opLog,
  withMsg,
} from '../types.js';
import { findVmrun, vmwareNetworksPathFor, vnetlibPathFor, type VmrunLocation } from './find-vmrun.js';
import { waitForGuestAddress } from './guest-address.js';
import { assertVmName, listVmFolders, readVmRecord, vmDir, VM_RECORD_FILE, vmxPathOf } from './lab-store.js';
import { VmrunClient } from './vmrun-client.js';
import { toHypervisorError, VmrunError } from './vmrun-errors.js';
import { vmxPathKey } from './vmrun-parsers.js';
import { VmnetManager } from './vmnet-manager.js';
import { vmnetClashes } from './vmnet-settings.js';
import type { ElevationProbe } from './vmnet-linux.js';
import { createClone } from './vm-create.js';
import { VmxFile } from './vmx-file.js';
import { msg, render, type Message } from '../../shared/i18n';
import { messageOf } from '../../shared/i18n/message-error';

export interface VmwareDriverOptions {
  /** vmrun path from the app settings (else HALAB_VMRUN, registry, default paths). */
  vmrunPath?: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Linux: VMware's config folder (else HALAB_VMWARE_ETC_DIR, else `/etc/vmware`). */
  vmwareEtcDir?: string;
  vmwareNetworksPath?: string;
  vnetlibPath?: string;
  /** Windows: `C:\ProgramData\VMware`. */
  windowsDataDir?: string;
  /** Template snapshot linked clones hang off (default `halab-base`). */
  baseSnapshot?: string;
  /** How long a soft stop may take before the plug is pulled (default 15 s). */
  softStopTimeoutMs?: number;
  /** Default wait for a guest address (default 300 s). */
  addressTimeoutMs?: number;
  isAdmin?: () => Promise<boolean>;
  /** Linux: how the one root step for VMnet changes is found (default: this process' user, sudo -n, pkexec). */
  elevation?: ElevationProbe;
}

/** The VMware Workstation (and, for VM operations, Fusion) provider. */
export class VmwareDriver implements Hypervisor {
  readonly kind = 'vmware' as const;
  private located?: Promise<{ client: VmrunClient; nets: VmnetManager; where: VmrunLocation }>;
  private lastClient?: VmrunClient;
  private usable?: Promise<Usability>;
  /** Per VM: when the next polling vmrun call may start (one per second, shared by every address wait). */
  private readonly pollSlots = new Map<string, { next: number }>();
  private readonly platform: NodeJS.Platform;
  private readonly etcDir: string;

  constructor(private readonly o: VmwareDriverOptions = {}) {
    this.platform = o.platform ?? process.platform;
    this.etcDir = o.vmwareEtcDir ?? (o.env ?? process.env).HALAB_VMWARE_ETC_DIR ?? '/etc/vmware';
  }

  /** VMware's config folder this driver reads and changes (Linux). */
  get vmwareEtcDir(): string {
    return this.etcDir;
  }

  private async tools(): Promise<{ client: VmrunClient; nets: VmnetManager; where: VmrunLocation }> {
    this.located ??= (async () => {
      const where = await findVmrun({ setting: this.o.vmrunPath, env: this.o.env ?? process.env, platform: this.platform });
      if (!where) {
        this.located = undefined;
        const missing = withMsg(new HypervisorError('VMware Workstation is not installed on this computer (vmrun was not found).', 'not-usable', INSTALL_FIX), msg('use.vmrunMissing'));
        missing.fixMsg = msg('use.vmrunInstall.fix');
        throw missing;
      }
      const client = new VmrunClient({ vmrunPath: where.path, hostType: where.hostType, platform: this.platform });
      this.lastClient = client;
      const nets = new VmnetManager({
        client,
        platform: this.platform,
        etcDir: this.etcDir,
        vmwareNetworks: this.o.vmwareNetworksPath ?? vmwareNetworksPathFor(where, this.o.env ?? process.env),
        vnetlibPath: this.o.vnetlibPath ?? vnetlibPathFor(where),
        windowsDataDir: this.o.windowsDataDir ?? win32.join('C:\\ProgramData', 'VMware'),
        ...(this.o.isAdmin ? { isAdmin: this.o.isAdmin } : {}),
        ...(this.o.elevation ? { elevation: this.o.elevation } : {}),
      });
      return { client, nets, where };
    })();
    return this.located;
  }

  private async client(): Promise<VmrunClient> {
    return (await this.tools()).client;
  }

  /** Any failure as a HypervisorError (with its catalog message); after a cancel (Ctrl-C) always "canceled", whatever vmrun died of. */
  private fail(e: unknown, whatMsg: Message, signal?: AbortSignal): HypervisorError {
    const what = render('en', whatMsg);
    if (signal?.aborted && !(e instanceof HypervisorError && e.code === 'canceled')) {
      return withMsg(new HypervisorError(`${what} was canceled.`, 'canceled', undefined, this.failureDetails()), msg('hv.err.canceledWhat', { what: whatMsg }));
    }
    return toHypervisorError(e, what, this.failureDetails(), whatMsg);
  }

  /** Checked once per driver instance (one command); an unusable answer is checked again next time. */
  checkUsable(): Promise<Usability> {
    this.usable ??= this.checkUsableOnce().then((u) => {
      if (!u.usable) this.usable = undefined;
      return u;
    });
    return this.usable;
  }

  private async checkUsableOnce(): Promise<Usability> {
    try {
      const { client, where } = await this.tools();
      const v = await client.version({ quiet: true }).catch(() => undefined);
      if (!v) {
        return { usable: false, reason: `The program at ${where.path} did not answer like VMware's vmrun.`, fix: INSTALL_FIX, details: where.path, reasonMsg: msg('use.vmrunOdd', { path: where.path }), fixMsg: msg('use.vmrunInstall.fix') };
      }
      try {
        await client.list({ quiet: true });
      } catch (e) {
        if (e instanceof VmrunError && e.kind === 'vix-not-installed') {
          return {
            usable: false,
            reason: `The vmrun at ${where.path} belongs to an old "VMware VIX" install, not to VMware Workstation.`,
            fix: 'Uninstall VMware VIX (or remove it from PATH) and make sure VMware Workstation Pro 17 is installed; or set the vmrun path to the one inside the Workstation folder.',
            details: `${v.banner} (${where.path})`,
            reasonMsg: msg('use.vix', { path: where.path }),
            fixMsg: msg('use.vix.fix'),
          };
        }
        return { usable: false, reason: `vmrun is installed but could not talk to VMware Workstation: ${(e as Error).message}`, fix: 'Start VMware Workstation once as this user, close any open dialogs, then try again.', details: where.path, reasonMsg: msg('use.noTalk', { error: (e as Error).message }), fixMsg: msg('use.noTalk.fix') };
      }
      return { usable: true, details: `${v.banner} (${where.path}, found via ${where.source})` };
    } catch (e) {
      const he = this.fail(e, msg('hv.what.checking'));
      const reasonMsg = messageOf(he);
      return { usable: false, reason: he.message, ...(he.fix ? { fix: he.fix } : {}), ...(reasonMsg ? { reasonMsg } : {}), ...(he.fixMsg ? { fixMsg: he.fixMsg } : {}) };
    }
  }

  async ensureNetwork(lab: LabRef, net: NetworkSpec, opts: NetworkOptions = {}): Promise<NetworkChange> {
    const { nets } = await this.tools();
    return nets.ensure(lab, net, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.network', { name: net.name }), opts.signal); });
  }

  async removeNetwork(lab: LabRef, name: string, opts: OpOptions = {}): Promise<NetworkChange> {
    const { nets } = await this.tools();
    return nets.remove(lab, name, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.removeNetwork', { name }), opts.signal); });
  }

  /**
   * The blueprint networks that clash with the host's VMnets of the same
   * name (vmnet8 in practice), before anything runs. Linux reads the
   * networking file (no vmrun needed); Windows asks `vmrun listHostNetworks`.
   */
  async vmnetClashes(nets: NetworkSpec[], lab?: LabRef): Promise<VmnetClash[]> {
    if (this.platform === 'win32') return (await this.tools()).nets.clashes(nets, lab);
    return vmnetClashes(nets, { platform: this.platform, etcDir: this.etcDir, ...(lab ? { lab } : {}) });
  }

  async createVm(lab: LabRef, spec: VmSpec, opts: OpOptions = {}): Promise<void> {
    assertVmName(spec.name);
    const client = await this.client();
    await createClone({ client, lab, spec, platform: this.platform, baseSnapshot: this.o.baseSnapshot ?? 'halab-base', opts }).catch((e: unknown) => {
      throw this.fail(e, msg('hv.what.create', { vm: spec.name }), opts.signal);
    });
  }

  /** Power state from one `vmrun list` (or a given one) plus the folder. */
  private async stateOf(lab: LabRef, name: string, running?: Set<string>): Promise<PowerState> {
    const vmx = vmxPathOf(lab, name);
    const files = await readdir(vmDir(lab, name)).catch(() => undefined);
    // The record is written last: a folder without it is a half-made VM (an interrupted run) that createVm makes again.
    if (!files?.includes(`${name}.vmx`) || !files.includes(VM_RECORD_FILE)) return 'absent';
    const set = running ?? (await this.runningSet());
    if (set.has(vmxPathKey(vmx, this.platform))) return 'running';
    return files.some((f) => f.toLowerCase().endsWith('.vmss')) ? 'suspended' : 'off';
  }

  private async runningSet(opts: OpOptions & { retries?: number } = {}): Promise<Set<string>> {
    const client = await this.client();
    const paths = await client.list({ quiet: true, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.retries !== undefined ? { retries: opts.retries } : {}) });
    return new Set(paths.map((p) => vmxPathKey(p, this.platform)));
  }

  async state(lab: LabRef, name: string): Promise<PowerState> {
    return this.stateOf(lab, name).catch((e: unknown) => { throw this.fail(e, msg('hv.what.state', { vm: name })); });
  }

  private async existing(lab: LabRef, name: string): Promise<string> {
    const vmx = vmxPathOf(lab, name);
    if ((await this.stateOf(lab, name, new Set())) === 'absent') {
      throw new HypervisorError(`The VM ${name} does not exist in this lab.`, 'not-found', 'Create the lab\'s VMs first (halab up).');
    }
    return vmx;
  }

  async start(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.withVm(vmx, async () => {
      if ((await this.stateOf(lab, name)) === 'running') return;
      await client.start(vmx, 'nogui', opts);
      // At most one vmrun call per second per VM while waiting.
      for (let i = 0; i < 5 && (await this.stateOf(lab, name)) !== 'running'; i++) await delay(1000);
      if ((await this.stateOf(lab, name)) !== 'running') {
        throw new HypervisorError(`${name} did not power on.`, 'failed', 'Open the VM in VMware Workstation to see the message it shows, fix it, then try again.', this.failureDetails());
      }
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.start', { vm: name }), opts.signal); });
  }

  async stop(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.withVm(vmx, async () => {
      const now = await this.stateOf(lab, name);
      if (now === 'off') return;
      if (now === 'suspended') {
        await this.discardSuspend(lab, name, opts);
        return;
      }
      if (mode === 'soft') {
        try {
          await client.stop(vmx, 'soft', { timeoutMs: this.o.softStopTimeoutMs ?? 15_000, ...opts });
          if ((await this.stateOf(lab, name)) === 'off') return;
        } catch (e) {
          opLog(opts, msg('hv.log.softStopFailed', { vm: name, error: (e as Error).message }));
        }
      }
      try {
        await client.stop(vmx, 'hard', { timeoutMs: 60_000, ...opts });
      } catch (e) {
        // The soft stop may have finished late; only a VM still running is a failure.
        if ((await this.stateOf(lab, name)) !== 'running') return;
        throw e;
      }
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.stop', { vm: name }), opts.signal); });
  }

  private async discardSuspend(lab: LabRef, name: string, opts: OpOptions): Promise<void> {
    const dir = vmDir(lab, name);
    for (const f of await readdir(dir)) if (/\.(vmss|vmem)$/i.test(f) && !/-Snapshot\d+/i.test(f)) await rm(join(dir, f), { force: true });
    const vmx = await VmxFile.read(vmxPathOf(lab, name));
    vmx.deleteMatching(/^checkpoint\.vmstate/);
    await vmx.write(vmxPathOf(lab, name), { state: 'off' });
    opLog(opts, msg('hv.log.discardedSuspend', { vm: name }));
  }

  async reset(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.withVm(vmx, async () => {
      if ((await this.stateOf(lab, name)) !== 'running') throw new HypervisorError(`${name} is not running, so it cannot be reset.`, 'bad-state', 'Start it instead.');
      await client.reset(vmx, mode, opts);
      // A hard reset has been seen to leave the VM off.
      if ((await this.stateOf(lab, name)) !== 'running') await client.start(vmx, 'nogui', opts);
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.reset', { vm: name }), opts.signal); });
  }

  async suspend(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.withVm(vmx, async () => {
      const now = await this.stateOf(lab, name);
      if (now === 'suspended') return;
      if (now !== 'running') throw new HypervisorError(`${name} is ${now}, only a running VM can be suspended.`, 'bad-state');
      await client.suspend(vmx, 'hard', opts);
      if ((await this.stateOf(lab, name)) !== 'suspended') throw new HypervisorError(`${name} did not suspend.`, 'failed', undefined, this.failureDetails());
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.suspend', { vm: name }), opts.signal); });
  }

  async list(lab: LabRef, opts: OpOptions = {}): Promise<VmInfo[]> {
    const running = await this.runningSet(opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.list'), opts.signal); });
    const out: VmInfo[] = [];
    for (const name of await listVmFolders(lab)) {
      const state = await this.stateOf(lab, name, running);
      if (state !== 'absent') out.push({ name, state, addresses: [] });
    }
    return out;
  }

  async guestAddress(lab: LabRef, name: string, opts: OpOptions & { network?: string; timeoutMs?: number } = {}): Promise<string> {
    const { client, nets } = await this.tools();
    const vmx = await this.existing(lab, name);
    const rec = await readVmRecord(lab, name);
    const nics = rec?.spec.nics ?? [];
    const nicIndex = opts.network ? nics.findIndex((n) => n.network === opts.network) : 0;
    const nic = nics[nicIndex];
    if (!nic) throw new HypervisorError(`${name} has no NIC on ${opts.network ?? 'any network'}.`, 'not-found', 'Check the VM\'s NICs in the blueprint.');
    const net = await nets.describe(lab, nic.network);
    return waitForGuestAddress({
      client,
      vmx,
      vmName: name,
      network: nic.network,
      nicIndex,
      mac: nic.mac,
      leaseFiles: nets.leaseFiles(nic.network),
      timeoutMs: opts.timeoutMs ?? this.o.addressTimeoutMs ?? 300_000,
      slot: this.pollSlots.get(vmx) ?? this.pollSlots.set(vmx, { next: 0 }).get(vmx)!,
      // No retries here: the wait asks again at its next slot (one vmrun call per second at most).
      isRunning: async () => (await this.stateOf(lab, name, await this.runningSet({ retries: 0 }))) === 'running',
      ...(net ? { subnet: net.subnet, hostAddress: net.hostAddress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.address', { vm: name }), opts.signal); });
  }

  async setLink(lab: LabRef, name: string, nicIndex: number, connected: boolean, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.withVm(vmx, async () => {
      const now = await this.stateOf(lab, name);
      if (now === 'running') {
        await client.setDeviceConnected(vmx, `ethernet${nicIndex}`, connected, opts);
        return;
      }
      const file = await VmxFile.read(vmx);
      if (!file.has(`ethernet${nicIndex}.present`)) throw new HypervisorError(`${name} has no NIC number ${nicIndex}.`, 'not-found');
      file.set(`ethernet${nicIndex}.startConnected`, connected ? 'TRUE' : 'FALSE');
      await file.write(vmx, { state: now });
    }).catch((e: unknown) => { throw this.fail(e, msg(connected ? 'hv.what.connectNic' : 'hv.what.disconnectNic', { vm: name, nic: nicIndex }), opts.signal); });
  }

  async snapshot(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.snapshot(vmx, snapshot, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.snapshot', { vm: name, snapshot }), opts.signal); });
  }

  async revert(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.revertToSnapshot(vmx, snapshot, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.revert', { vm: name, snapshot }), opts.signal); });
  }

  async deleteSnapshot(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    await client.deleteSnapshot(vmx, snapshot, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.deleteSnapshot', { vm: name, snapshot }), opts.signal); });
  }

  async listSnapshots(lab: LabRef, name: string, opts: OpOptions = {}): Promise<string[]> {
    const client = await this.client();
    const vmx = await this.existing(lab, name);
    return client.listSnapshots(vmx, opts).catch((e: unknown) => { throw this.fail(e, msg('hv.what.listSnapshots', { vm: name }), opts.signal); });
  }

  async destroyVm(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    assertVmName(name);
    const dir = vmDir(lab, name);
    const vmx = vmxPathOf(lab, name);
    if ((await this.stateOf(lab, name, new Set())) === 'absent') {
      // A half-made clone may already be known to VMware: unregister it before deleting its folder.
      if (await access(vmx).then(() => true, () => false)) await (await this.client()).deleteVM(vmx, opts).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      return;
    }
    const client = await this.client();
    await client.withVm(vmx, async () => {
      if ((await this.stateOf(lab, name)) !== 'off') await this.stop(lab, name, 'hard', opts);
      await client.deleteVM(vmx, opts).catch((e: unknown) => {
        if (!(e instanceof VmrunError && e.kind === 'vm-not-found')) throw e;
      });
      await rm(dir, { recursive: true, force: true });
    }).catch((e: unknown) => { throw this.fail(e, msg('hv.what.delete', { vm: name }), opts.signal); });
  }

  failureDetails(): FailureDetails {
    return this.lastClient?.failureDetails() ?? {};
  }
}

const INSTALL_FIX =
  'Install VMware Workstation Pro 17 (free for all use), then restart HA Lab Studio. If it is installed in an unusual place, set the vmrun path in Settings or in the HALAB_VMRUN environment variable.';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
