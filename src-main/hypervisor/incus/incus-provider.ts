/**
 * The Incus/LXD provider (kind `incus`): the same blueprint on an Incus or
 * LXD server or cluster, through the daemon's own `/1.0` REST API
 * (`client.ts`), locally over the unix socket or remotely over HTTPS.
 *
 * Mapping: lab → project `halab-<lab>` (limits from the lab's totals, raised
 * as its VMs are created); VM → container (or VM with `instanceType`); the
 * template → the Linux lab's base rootfs imported once as an image (`image.ts`),
 * the lab's own alias pointing at it; NIC → a NIC device `ens33…` with the
 * blueprint's MAC on the lab's network; VMnet → a managed bridge with the
 * host address, no NAT, no routing, DHCP without a router or DNS, guarded on
 * this host like the Linux lab's (unreachable route per subnet, no forwarding
 * from the bridge); power off → forced stop; suspend → freeze.
 *
 * `down` (destroyVm, removeNetwork, cleanupLab) removes the instances, the
 * networks, the lab's image alias and the project, and nothing else; the
 * shared image stays as a cache.
 *
 * Beside this file: `bridges.ts` (the VMnets and their guards), `project.ts`
 * (the project and its limits), `instance.ts` (what a VM is: records,
 * container settings, seeded files, instance type, address, NIC cable),
 * `snapshots.ts`, `placement.ts`, `usability.ts`, `leftovers.ts` (the end of
 * a lab).
 */
import type { FailureDetails, Hypervisor, LabRef, NetworkChange, NetworkSpec, OpOptions, PowerState, Usability, VmInfo, VmSpec } from '../types';
import { HypervisorError } from '../types';
import { ensureBaseImage } from '../linux/base-image';
import { Commands } from '../linux/commands';
import { checkName } from '../linux/names';
import { validateNetwork } from '../linux/networks';
import type { IncusClient, IncusEndpoint } from './client';
import { ensureBridge, removeBridge, restoreGuards, type HostSide, type Network } from './bridges';
import { addressesOf, CONTAINER_CONFIG, instanceTypeFromEnv, MAC_RE, refuseVmsWithoutDriver, seedFiles, STATUS, setNicLink, waitForAddress, type Instance, type InstanceRecord, type InstanceState } from './instance';
import { refuseOverLimits } from './host-limits';
import { ensureProject, isNotFound, raisedLimits, type Totals } from './project';
import { leftovers, removeLabRest, type Leftovers } from './leftovers';
import { dropSnapshot, requireSnapshot, restoreSnapshot, snapshotNames, takeSnapshot } from './snapshots';
import { connect, incusUsability } from './usability';
import { ensureImage, ensureLabAlias } from './image';
import { guestNic, networkName, projectName } from './names';
import { createTarget, serverPlace } from './placement';

export interface IncusOptions {
  /** The daemon; default: `remote` by name, else HALAB_INCUS_REMOTE, else the local socket. */
  endpoint?: IncusEndpoint;
  remote?: string;
  /** Base rootfs folder (default: the Linux lab's cached base image, built if missing). */
  baseImage?: string;
  /** `container` (default) or `virtual-machine` (needs QEMU and KVM on the members); default from HALAB_INCUS_INSTANCE_TYPE=vm. */
  instanceType?: 'container' | 'virtual-machine';
  /** How long a soft stop waits before forcing (default 60 s). */
  softStopTimeoutMs?: number;
  /** Cluster member to place every instance on (`?target=`); default: the cluster decides. */
  target?: string;
}

/** The Incus/LXD provider (kind `incus`). */
export class IncusProvider implements Hypervisor {
  readonly kind = 'incus' as const;
  private readonly cmd = new Commands();
  private clientP?: Promise<IncusClient>;
  private resolved?: IncusClient;
  private readonly queues = new Map<string, Promise<unknown>>();
  private image?: Promise<string>;
  /** VMs being created per project (their specs count towards the limits before they exist). */
  private readonly pending = new Map<string, Map<string, VmSpec>>();

  constructor(private readonly options: IncusOptions = {}) {}

  /** What each VM becomes: a container unless asked for VMs (option, else HALAB_INCUS_INSTANCE_TYPE=vm). */
  get instanceType(): 'container' | 'virtual-machine' {
    return this.options.instanceType ?? instanceTypeFromEnv();
  }

  /** The API client (endpoint resolved once). */
  client(): Promise<IncusClient> {
    this.clientP ??= connect(this.options.endpoint, this.options.remote).then((c) => (this.resolved = c));
    this.clientP.catch(() => (this.clientP = undefined));
    return this.clientP;
  }

  /** Local socket: this host holds the lab's bridges, so it guards them. */
  private async local(): Promise<boolean> {
    return (await this.client()).endpoint.kind === 'unix';
  }

  private async host(): Promise<HostSide> {
    return { cmd: this.cmd, local: await this.local() };
  }


  checkUsable(): Promise<Usability> {
    return incusUsability(() => this.client());
  }

  // ── networks ────────────────────────────────────────────────────────────


  async ensureNetwork(lab: LabRef, net: NetworkSpec, opts: OpOptions = {}): Promise<NetworkChange> {
    checkName('lab id', lab.id);
    const cidr = validateNetwork(net);
    return this.serial(lab, `net:${net.name}`, async () => {
      await this.ensureProject(lab);
      return ensureBridge(await this.client(), await this.host(), lab, net, cidr, opts);
    });
  }

  async removeNetwork(lab: LabRef, vmnet: string, opts: OpOptions = {}): Promise<NetworkChange> {
    return this.serial(lab, `net:${vmnet}`, async () => removeBridge(await this.client(), await this.host(), lab, vmnet, opts));
  }


  async createVm(lab: LabRef, spec: VmSpec, opts: OpOptions = {}): Promise<void> {
    checkName('lab id', lab.id);
    checkName('VM name', spec.name);
    if (spec.nics.length === 0) throw new HypervisorError(`${spec.name} has no NIC.`, 'failed', 'Give the VM at least one NIC in the blueprint.');
    const record: InstanceRecord = {
      clone: spec.clone,
      nics: spec.nics.map((n, i) => {
        const mac = n.mac.toLowerCase();
        if (!MAC_RE.test(mac)) throw new HypervisorError(`${spec.name}: "${n.mac}" is not a MAC address.`, 'failed', 'Use the form 00:50:56:xx:xx:xx.');
        return { network: n.network, mac, device: guestNic(i) };
      }),
    };
    await this.serial(lab, spec.name, async () => {
      const c = await this.client();
      const project = projectName(lab.id);
      const existing = await this.instance(lab, spec.name);
      if (existing) {
        if (existing.config['user.halab.nics'] !== JSON.stringify(record.nics)) {
          throw new HypervisorError(`The VM ${spec.name} already exists with other NICs.`, 'conflict', `Destroy ${spec.name} first (halab down) to create it with the new settings.`);
        }
        return;
      }
      for (const n of record.nics) {
        const net = await c.get<Network>(`/1.0/networks/${networkName(lab.id, n.network)}`).catch(() => undefined);
        if (!net || net.config['user.halab.lab'] !== lab.id) {
          throw new HypervisorError(`${spec.name} cannot be created: its network ${n.network} is not up.`, 'bad-state', 'Create the network first (ensureNetwork / halab up).');
        }
      }
      if (this.instanceType === 'virtual-machine') await refuseVmsWithoutDriver(c, spec.name);
      // Placement: the blueprint's pin (or the provider's), checked against the server before anything is made.
      const target = createTarget(spec.name, spec.target ?? this.options.target, await serverPlace(c));
      const fp = await this.ensureImage(opts);
      const alias = await this.serial(lab, '\0alias', () => ensureLabAlias(c, lab.id, fp));
      await this.reserve(lab, spec);
      try {
        const devices: Record<string, Record<string, string>> = {};
        for (const n of record.nics) devices[n.device] = { type: 'nic', network: networkName(lab.id, n.network), name: n.device, hwaddr: n.mac };
        opts.log?.(`Creating the ${this.instanceType} ${spec.name} in the project ${project}`);
        await c.op('POST', '/1.0/instances', {
          project,
          query: target ? { target } : undefined,
          timeoutMs: 15 * 60_000,
          signal: opts.signal,
          body: {
            name: spec.name,
            type: this.instanceType,
            source: { type: 'image', alias },
            profiles: ['default'],
            description: `HA Lab Studio ${lab.id}/${spec.name}`,
            config: {
              'limits.cpu': String(spec.vcpus),
              'limits.memory': `${spec.memoryMiB}MiB`,
              'user.halab.lab': lab.id,
              'user.halab.nics': JSON.stringify(record.nics),
              'user.halab.clone': record.clone,
              ...(this.instanceType === 'virtual-machine' ? {} : CONTAINER_CONFIG),
            },
            devices,
          },
        });
      } finally {
        this.pending.get(project)?.delete(spec.name);
      }
      await seedFiles(c, project, spec);
    });
  }

  async start(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      await restoreGuards(await this.client(), await this.host(), lab, opts);
      if (vm.status === 'Running') return;
      const action = vm.status === 'Frozen' ? 'unfreeze' : 'start';
      if (action === 'start' && this.instanceType === 'container') await refuseOverLimits(await this.client(), name);
      opts.log?.(`${action === 'start' ? 'Starting' : 'Thawing'} ${name}`);
      await this.setState(lab, name, { action }, opts);
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
      const vm = await this.load(lab, name);
      if (vm.status !== 'Running') throw new HypervisorError(`${name} is not running, so it cannot be suspended.`, 'bad-state', 'Start it first.');
      await this.setState(lab, name, { action: 'freeze' }, opts);
    });
  }

  async state(lab: LabRef, name: string): Promise<PowerState> {
    const c = await this.client();
    try {
      const st = await c.get<InstanceState>(`/1.0/instances/${name}/state`, { project: projectName(lab.id) });
      return STATUS[st.status] ?? 'unknown';
    } catch (e) {
      if (isNotFound(e)) return 'absent';
      throw e;
    }
  }

  async list(lab: LabRef, opts: OpOptions = {}): Promise<VmInfo[]> {
    const c = await this.client();
    await restoreGuards(await this.client(), await this.host(), lab, opts);
    let all: Instance[];
    try {
      all = await c.get<Instance[]>('/1.0/instances', { project: projectName(lab.id), query: { recursion: '2' } });
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    return all
      .filter((i) => i.config['user.halab.lab'] === lab.id)
      .map((i) => ({ name: i.name, state: STATUS[i.status] ?? 'unknown', addresses: i.status === 'Running' ? addressesOf(i.state) : [] }));
  }

  async guestAddress(lab: LabRef, name: string, opts: OpOptions & { network?: string; timeoutMs?: number } = {}): Promise<string> {
    const vm = await this.load(lab, name);
    await restoreGuards(await this.client(), await this.host(), lab, opts);
    const nics = JSON.parse(vm.config['user.halab.nics'] ?? '[]') as InstanceRecord['nics'];
    const nic = opts.network ? nics.find((n) => n.network === opts.network) : nics[0];
    if (!nic) throw new HypervisorError(`${name} has no NIC${opts.network ? ` on ${opts.network}` : ''}.`, 'not-found');
    return waitForAddress(await this.client(), lab, name, nic, opts, () => this.failureDetails());
  }

  async setLink(lab: LabRef, name: string, nicIndex: number, connected: boolean, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      const nics = JSON.parse(vm.config['user.halab.nics'] ?? '[]') as InstanceRecord['nics'];
      const nic = nics[nicIndex];
      if (!nic) throw new HypervisorError(`${name} has no NIC number ${nicIndex} (it has ${nics.length}).`, 'not-found');
      await setNicLink(await this.client(), await this.host(), lab, vm, nic, connected, opts);
    });
  }


  async snapshot(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      await takeSnapshot(await this.client(), lab, name, snapshot, opts);
    });
  }

  async revert(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      await requireSnapshot(await this.client(), lab, name, snapshot);
      await this.stopNow(lab, name, 'hard', opts);
      await restoreSnapshot(await this.client(), lab, name, snapshot, opts);
    });
  }

  async deleteSnapshot(lab: LabRef, name: string, snapshot: string): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      await dropSnapshot(await this.client(), lab, name, snapshot);
    });
  }

  async listSnapshots(lab: LabRef, name: string): Promise<string[]> {
    await this.load(lab, name);
    return snapshotNames(await this.client(), lab, name);
  }

  async destroyVm(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    checkName('VM name', name);
    await this.serial(lab, name, async () => {
      const vm = await this.instance(lab, name);
      if (!vm) return;
      if (vm.config['user.halab.lab'] !== lab.id) throw new HypervisorError(`The instance ${name} in ${projectName(lab.id)} was not made by this lab.`, 'conflict');
      if (vm.status !== 'Stopped') await this.setState(lab, name, { action: 'stop', force: true }, opts);
      opts.log?.(`Deleting ${name}`);
      await (await this.client()).op('DELETE', `/1.0/instances/${name}`, { project: projectName(lab.id), timeoutMs: 10 * 60_000, signal: opts.signal });
    });
  }

  failureDetails(): FailureDetails {
    const api = this.resolved?.last;
    if (api?.error) return { lastCommand: api.request, lastOutput: api.error };
    return this.cmd.details();
  }

  /**
   * After the VMs and networks: the lab's leftover instances and networks
   * (a renamed blueprint), its image alias and its project; the guard routes
   * too unless `keepGuards`. Safe to repeat.
   */
  async cleanupLab(lab: LabRef, opts: OpOptions & { keepGuards?: boolean } = {}): Promise<void> {
    const c = await this.client();
    for (const vm of await this.list(lab, opts)) await this.destroyVm(lab, vm.name, opts);
    await removeLabRest(c, await this.host(), lab, opts);
  }

  /** What of the lab is still on the server (every list empty: nothing). */
  async leftovers(lab: LabRef): Promise<Leftovers> {
    return leftovers(await this.client(), lab);
  }

  /**
   * Make the lab's project (idempotent) and, when given, set its limits to
   * the blueprint's totals (the classroom does this before `up`).
   */
  async ensureProject(lab: LabRef, totals?: Totals): Promise<void> {
    // One at a time per lab: a lab's networks are made in parallel, and each makes sure of the project.
    await this.serial(lab, '\0project', async () => ensureProject(await this.client(), lab, totals));
  }

  /** The shared image's fingerprint (imported once from the base rootfs). */
  ensureImage(opts: OpOptions = {}): Promise<string> {
    this.image ??= (async () => {
      const base = this.options.baseImage ?? (await ensureBaseImage({ ...opts, commands: this.cmd }));
      return ensureImage(await this.client(), this.cmd, base, opts);
    })().catch((e: unknown) => {
      this.image = undefined;
      throw new HypervisorError(`The lab image could not be imported: ${(e as Error).message}`, 'failed', 'Run `sudo bash scripts/incus/setup.sh` and read its output.', this.failureDetails());
    });
    return this.image;
  }

  // ── helpers ─────────────────────────────────────────────────────────────

  /** Raise the project's limits to cover its instances plus this one (serialised per lab). */
  private async reserve(lab: LabRef, spec: VmSpec): Promise<void> {
    const project = projectName(lab.id);
    await this.serial(lab, '\0limits', async () => {
      const c = await this.client();
      const pend = this.pending.get(project) ?? new Map<string, VmSpec>();
      this.pending.set(project, pend);
      pend.set(spec.name, spec);
      const have = await c.get<Instance[]>('/1.0/instances', { project, query: { recursion: '1' } }).catch(() => [] as Instance[]);
      const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`);
      const raised = raisedLimits(have, pend, proj.config);
      if (raised) await this.ensureProject(lab, raised);
    });
  }

  private async setState(lab: LabRef, name: string, body: Record<string, unknown>, opts: OpOptions): Promise<void> {
    await (await this.client()).op('PUT', `/1.0/instances/${name}/state`, { project: projectName(lab.id), body, timeoutMs: 5 * 60_000, signal: opts.signal });
  }

  private async stopNow(lab: LabRef, name: string, mode: 'soft' | 'hard', opts: OpOptions): Promise<void> {
    const vm = await this.load(lab, name);
    if (vm.status === 'Stopped') return;
    if (mode === 'soft' && vm.status === 'Running') {
      const timeout = Math.round((this.options.softStopTimeoutMs ?? 60_000) / 1000);
      try {
        await this.setState(lab, name, { action: 'stop', timeout }, opts);
        return;
      } catch (e) {
        opts.log?.(`${name} did not shut down within ${timeout} s (${(e as Error).message}); pulling the plug`);
      }
    }
    await this.setState(lab, name, { action: 'stop', force: true }, opts);
  }

  private async instance(lab: LabRef, name: string): Promise<Instance | undefined> {
    try {
      return await (await this.client()).get<Instance>(`/1.0/instances/${name}`, { project: projectName(lab.id) });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async load(lab: LabRef, name: string): Promise<Instance> {
    const vm = await this.instance(lab, name);
    if (!vm) throw new HypervisorError(`There is no VM named ${name} in this lab.`, 'not-found', 'Create it first (halab up).');
    return vm;
  }

  private serial<T>(lab: LabRef, key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${lab.id}\0${key}`;
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
