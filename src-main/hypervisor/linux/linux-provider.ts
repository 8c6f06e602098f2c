/**
 * The Linux lab provider: each VM is a network namespace plus a
 * systemd-nspawn container booting real systemd on an overlay clone of one
 * Debian base image; each VMnet a bridge with DHCP. See
 * `shared/reference/linux-lab-provider.md` for the facts it follows.
 *
 * Behaviour worth knowing:
 * - vCPU, memory and disk size are recorded but not enforced (no systemd on
 *   the host to set cgroup limits through).
 * - Guests are offline: no NAT/masquerading, no router handed out by DHCP,
 *   and the host refuses to forward anything from a lab bridge.
 * - Snapshots hold the disk only. Taken while running, the VM is frozen
 *   (SIGSTOP) for the copy and thawed after. Reverting always leaves the VM
 *   off (a running VM is hard-stopped first).
 * - Suspend freezes the VM's processes (SIGSTOP); start thaws them.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { FailureDetails, Hypervisor, LabRef, NetworkSpec, OpOptions, PowerState, Usability, VmInfo, VmSpec } from '../types';
import { HypervisorError } from '../types';
import { deleteLink, getLink } from './bridge';
import { ensureBaseImage } from './base-image';
import { cleanupLabResources, labLeftovers, type LabLeftovers } from './cleanup';
import { Commands } from './commands';
import { readLeases } from './dnsmasq';
import { freezeMachine, logTail, mountOverlay, releaseMachine, runningMachine, startMachine, stopMachine, unmountOverlay, vmPaths } from './machine';
import { checkName, guestNicName, hostVethName, machineName, netnsName } from './names';
import { deleteNetns, ensureNetns, netnsAddresses, nicsDownArgv, nicsFlushArgv, setNicLink, silenceNics, wireNic } from './netns';
import { ensureLabNetwork, loadNetwork, removeLabNetwork, restoreGuards, reviveDhcp } from './networks';
import { removeTree } from './proc';
import { listSnapshotNames, removeSnapshot, restoreSnapshot, takeSnapshot } from './snapshots';
import { netDir, readJson, subdirs, vmDir, writeJson, type NicState, type VmState } from './state';
import { checkLinuxUsable } from './usability';
import { seedUpper } from './vm-files';

/** Options of the Linux lab provider. */
export interface LinuxLabOptions {
  /** Use this base image folder instead of building/finding the cached one. */
  baseImage?: string;
  /** Cache folder for base images (default HALAB_CACHE_DIR or /var/cache/halab). */
  cacheDir?: string;
  /** How long a soft stop waits for the guest before pulling the plug (default 60 s). */
  softStopTimeoutMs?: number;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The Linux lab provider (kind `linux`). */
export class LinuxLabProvider implements Hypervisor {
  readonly kind = 'linux' as const;
  private readonly cmd = new Commands();
  private readonly queues = new Map<string, Promise<unknown>>();
  private base?: Promise<string>;

  constructor(private readonly options: LinuxLabOptions = {}) {}

  checkUsable(): Promise<Usability> {
    return checkLinuxUsable();
  }

  async ensureNetwork(lab: LabRef, net: NetworkSpec, opts: OpOptions = {}): Promise<void> {
    checkName('lab id', lab.id);
    await this.serial(lab, `net:${net.name}`, () => ensureLabNetwork(this.cmd, lab, net, opts));
  }

  async removeNetwork(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, `net:${name}`, () => removeLabNetwork(this.cmd, lab, name, opts));
  }

  async createVm(lab: LabRef, spec: VmSpec, opts: OpOptions = {}): Promise<void> {
    checkName('lab id', lab.id);
    checkName('VM name', spec.name);
    await this.serial(lab, spec.name, async () => {
      const dir = vmDir(lab, spec.name);
      const nics = await this.planNics(lab, spec);
      const existing = await readJson<VmState>(vmPaths(dir).vm);
      if (existing) {
        const same = JSON.stringify(existing.nics) === JSON.stringify(nics) && existing.spec.clone === spec.clone;
        if (!same) {
          throw new HypervisorError(`The VM ${spec.name} already exists with other NICs.`, 'conflict', `Destroy ${spec.name} first (halab down) to create it with the new settings.`);
        }
        await this.wire(existing, opts);
        return;
      }
      const base = this.options.baseImage ?? (await this.baseImage(opts));
      opts.log?.(`Cloning ${spec.name} from ${base}`);
      await mkdir(dir, { recursive: true });
      await seedUpper(base, vmPaths(dir).upper, { hostname: spec.name, sshPublicKey: spec.sshPublicKey });
      const state: VmState = { spec, netns: netnsName(lab.id, spec.name), base, nics, createdAt: new Date().toISOString() };
      await writeJson(vmPaths(dir).vm, state);
      await this.wire(state, opts);
    });
  }

  async start(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      const dir = vmDir(lab, name);
      const running = await runningMachine(dir);
      if (running) {
        if (running.procState === 'T') await freezeMachine(dir, false);
        return;
      }
      await restoreGuards(this.cmd, lab, opts);
      for (const nic of vm.nics) {
        if (!(await getLink(this.cmd, nic.bridge, opts))) {
          throw new HypervisorError(`${name} cannot start: its network ${nic.network} is not up (bridge ${nic.bridge} is missing).`, 'bad-state', `Create the network first (ensureNetwork / halab up).`);
        }
      }
      for (const net of new Set(vm.nics.map((n) => n.network))) await reviveDhcp(this.cmd, lab, net, opts);
      await this.wire(vm, opts);
      await mountOverlay(this.cmd, vm.base, dir, opts);
      try {
        await startMachine(this.cmd, machineName(lab.id, name), dir, vm.netns, opts);
      } catch (e) {
        this.cmd.note({ lastCommand: `systemd-nspawn for ${name}`, lastOutput: await logTail(dir, 10) });
        await unmountOverlay(this.cmd, dir, opts).catch(() => undefined);
        throw new HypervisorError(`${name} could not be started: ${(e as Error).message}`, 'failed', 'See nspawn.log in the VM folder.', this.cmd.details());
      }
    });
  }

  async stop(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, () => this.stopNow(lab, name, mode, opts));
  }

  async reset(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions = {}): Promise<void> {
    await this.stop(lab, name, mode, opts);
    await this.start(lab, name, opts);
  }

  async suspend(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      opts.log?.(`Freezing ${name}`);
      if (!(await freezeMachine(vmDir(lab, name), true))) {
        throw new HypervisorError(`${name} is not running, so it cannot be suspended.`, 'bad-state', 'Start it first.');
      }
    });
  }

  async state(lab: LabRef, name: string): Promise<PowerState> {
    const dir = vmDir(lab, name);
    if (!existsSync(vmPaths(dir).vm)) return 'absent';
    const running = await runningMachine(dir);
    if (!running) return 'off';
    return running.procState === 'T' ? 'suspended' : 'running';
  }

  async list(lab: LabRef): Promise<VmInfo[]> {
    await restoreGuards(this.cmd, lab);
    const out: VmInfo[] = [];
    for (const name of await subdirs(`${lab.dir}/vms`)) {
      const vm = await readJson<VmState>(vmPaths(vmDir(lab, name)).vm).catch(() => undefined);
      if (!vm) continue;
      const state = await this.state(lab, name);
      const addresses = state === 'running' ? (await netnsAddresses(this.cmd, vm.netns)).filter((a) => a.ifname !== 'lo').flatMap((a) => a.addresses.map((x) => x.split('/')[0] ?? '')) : [];
      out.push({ name, state, addresses });
    }
    return out;
  }

  async guestAddress(lab: LabRef, name: string, opts: OpOptions & { network?: string; timeoutMs?: number } = {}): Promise<string> {
    const vm = await this.load(lab, name);
    await restoreGuards(this.cmd, lab, opts);
    const nic = opts.network ? vm.nics.find((n) => n.network === opts.network) : vm.nics[0];
    if (!nic) throw new HypervisorError(`${name} has no NIC${opts.network ? ` on ${opts.network}` : ''}.`, 'not-found');
    const dir = vmDir(lab, name);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const until = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      const run = await runningMachine(dir);
      if (!run) throw new HypervisorError(`${name} is not running, so it has no address.`, 'bad-state', `Start ${name} first.`);
      const onNic = (await netnsAddresses(this.cmd, vm.netns)).find((a) => a.ifname === nic.guestNic)?.addresses[0]?.split('/')[0];
      if (onNic) return onNic;
      const started = (await readJson<{ startedAt: string }>(vmPaths(dir).run))?.startedAt ?? '';
      const lease = (await readLeases(netDir(lab, nic.network))).find((l) => l.mac === nic.mac && new Date((l.expires - 12 * 3600) * 1000 + 2000).toISOString() >= started);
      if (lease && i > 0) return lease.ip;
      if (opts.signal?.aborted) throw new HypervisorError('Canceled while waiting for the guest address.', 'failed');
      if (Date.now() > until) {
        this.cmd.note({ lastCommand: `wait for ${name}'s address on ${nic.guestNic}`, lastOutput: await logTail(dir, 10) });
        throw new HypervisorError(
          `${name} got no IPv4 address on ${nic.network} (${nic.guestNic}) within ${Math.round(timeoutMs / 1000)} s.`,
          'transient',
          `Check that ${nic.network} has DHCP (or that a static address was set), and see nspawn.log in the VM folder.`,
          this.cmd.details(),
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async setLink(lab: LabRef, name: string, nicIndex: number, connected: boolean, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      const nic = vm.nics[nicIndex];
      if (!nic) throw new HypervisorError(`${name} has no NIC number ${nicIndex} (it has ${vm.nics.length}).`, 'not-found');
      await setNicLink(this.cmd, nic, connected, opts);
    });
  }

  async snapshot(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      const dir = vmDir(lab, name);
      const run = await runningMachine(dir);
      const thaw = run && run.procState !== 'T';
      if (thaw) await freezeMachine(dir, true);
      try {
        await takeSnapshot(this.cmd, dir, snapshot, !!run, opts);
      } finally {
        if (thaw) await freezeMachine(dir, false);
      }
    });
  }

  async revert(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      if (!(await listSnapshotNames(vmDir(lab, name))).includes(snapshot)) {
        throw new HypervisorError(`${name} has no snapshot named ${snapshot}.`, 'not-found', 'List the snapshots and pick one of them.');
      }
      await this.stopNow(lab, name, 'hard', opts);
      await restoreSnapshot(this.cmd, vmDir(lab, name), snapshot, opts);
    });
  }

  async deleteSnapshot(lab: LabRef, name: string, snapshot: string): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      await removeSnapshot(vmDir(lab, name), snapshot);
    });
  }

  async listSnapshots(lab: LabRef, name: string): Promise<string[]> {
    await this.load(lab, name);
    return listSnapshotNames(vmDir(lab, name));
  }

  async destroyVm(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    checkName('VM name', name);
    await this.serial(lab, name, async () => {
      const dir = vmDir(lab, name);
      const vm = await readJson<VmState>(vmPaths(dir).vm).catch(() => undefined);
      await stopMachine(dir, 'hard', opts);
      await releaseMachine(this.cmd, dir, machineName(lab.id, name), opts);
      await deleteNetns(this.cmd, vm?.netns ?? netnsName(lab.id, name), opts);
      for (const nic of vm?.nics ?? []) await deleteLink(this.cmd, nic.hostVeth, opts);
      await removeTree(dir);
    });
  }

  failureDetails(): FailureDetails {
    return this.cmd.details();
  }

  /**
   * Remove everything this lab created on the host, even after a crash
   * (VMs, mounts, namespaces, veths, bridges, dnsmasq, rules, and the guard
   * routes no other lab holds unless `keepGuards`). Safe to repeat.
   */
  async cleanupLab(lab: LabRef, opts: OpOptions & { keepGuards?: boolean } = {}): Promise<void> {
    await cleanupLabResources(this.cmd, lab, opts);
  }

  /** What of the lab is still on the host; every list empty means nothing is left. */
  leftovers(lab: LabRef, subnets: string[] = []): Promise<LabLeftovers> {
    return labLeftovers(this.cmd, lab, subnets);
  }

  /** The base image folder (built once per recipe, then cached). */
  baseImage(opts: OpOptions = {}): Promise<string> {
    this.base ??= ensureBaseImage({ ...opts, cacheDir: this.options.cacheDir, commands: this.cmd }).catch((e: unknown) => {
      this.base = undefined;
      throw new HypervisorError(`The Linux lab base image could not be built: ${(e as Error).message}`, 'failed', 'Run `sudo bash scripts/linux-lab/setup.sh` and read its output.', this.cmd.details());
    });
    return this.base;
  }

  /** `net.*` sysctls inside the VM's namespace, from the host (the container's /proc/sys is read-only). */
  async setNetSysctls(lab: LabRef, name: string, settings: { key: string; value: string }[], opts: OpOptions = {}): Promise<void> {
    for (const s of settings) {
      if (!/^net\.[a-z0-9_]+(\.[a-z0-9_-]+)+$/.test(s.key) || !/^\d{1,10}$/.test(s.value)) throw new HypervisorError(`Refusing to set "${s.key}=${s.value}" in ${name}'s namespace: only net.* keys with a number are set from the host.`, 'failed');
    }
    const vm = await this.load(lab, name);
    for (const s of settings) await this.cmd.run(['ip', 'netns', 'exec', vm.netns, 'sysctl', '-q', '-w', `${s.key}=${s.value}`], opts);
  }

  private async stopNow(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions): Promise<void> {
    const vm = await this.load(lab, name);
    const dir = vmDir(lab, name);
    // A real power cut: the NICs go quiet the instant the power goes, and a
    // stopped VM's addresses do not linger in its namespace (see nicsDownArgv).
    if (mode === 'hard' && (await runningMachine(dir))) await silenceNics(this.cmd, nicsDownArgv(vm.netns, vm.nics), vm.netns, opts);
    await stopMachine(dir, mode, { ...opts, softTimeoutMs: this.options.softStopTimeoutMs });
    await silenceNics(this.cmd, nicsFlushArgv(vm.netns, vm.nics), vm.netns, opts);
    await releaseMachine(this.cmd, dir, machineName(lab.id, name), opts);
    await removeTree(vmPaths(dir).run);
  }

  private async planNics(lab: LabRef, spec: VmSpec): Promise<NicState[]> {
    if (spec.nics.length === 0) throw new HypervisorError(`${spec.name} has no NIC.`, 'failed', 'Give the VM at least one NIC in the blueprint.');
    const out: NicState[] = [];
    for (const [i, nic] of spec.nics.entries()) {
      const mac = nic.mac.toLowerCase();
      if (!MAC_RE.test(mac)) throw new HypervisorError(`${spec.name}: "${nic.mac}" is not a MAC address.`, 'failed', 'Use the form 00:50:56:xx:xx:xx.');
      const net = await loadNetwork(lab, nic.network);
      out.push({ network: nic.network, mac, bridge: net.bridge, hostVeth: hostVethName(lab.id, spec.name, i), guestNic: guestNicName(i) });
    }
    return out;
  }

  private async wire(vm: VmState, opts: OpOptions): Promise<void> {
    await ensureNetns(this.cmd, vm.netns, opts);
    for (const nic of vm.nics) await wireNic(this.cmd, vm.netns, nic, opts);
  }

  private async load(lab: LabRef, name: string): Promise<VmState> {
    const vm = await readJson<VmState>(vmPaths(vmDir(lab, name)).vm);
    if (!vm) throw new HypervisorError(`There is no VM named ${name} in this lab.`, 'not-found', 'Create it first (halab up).');
    return vm;
  }

  /** One operation per VM (or network) at a time within this process. */
  private serial<T>(lab: LabRef, key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${lab.dir}\0${key}`;
    const prev = this.queues.get(k) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.queues.set(k, tail);
    void tail.then(() => {
      if (this.queues.get(k) === tail) this.queues.delete(k);
    });
    return next;
  }
}
