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
 */
import type { FailureDetails, Hypervisor, LabRef, NetworkChange, NetworkSpec, OpOptions, PowerState, Usability, VmInfo, VmSpec } from '../types';
import { HypervisorError, withMsg } from '../types';
import { msg, type Message } from '../../shared/i18n';
import { ensureBaseImage } from '../linux/base-image';
import { Commands } from '../linux/commands';
import { checkName } from '../linux/names';
import { addGuard, blockForwarding, conflictingRoutes, guardsOfLab, releaseGuard, unblockForwarding } from '../linux/net-guard';
import { validateNetwork } from '../linux/networks';
import { formatCidr, parseCidr } from '../linux/subnet';
import { IncusApiError, IncusClient, type IncusEndpoint } from './client';
import { ensureImage, ensureLabAlias, labAlias, removeLabAlias, aliasTarget } from './image';
import { guestNic, networkName, projectName } from './names';
import { resolveEndpoint } from './remotes';
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

/** What the lab records on each instance (`user.halab.*`). */
interface InstanceRecord {
  nics: { network: string; mac: string; device: string }[];
  clone: string;
}

interface InstanceState {
  status: string;
  network?: Record<string, { host_name?: string; hwaddr?: string; addresses?: { family: string; address: string; scope: string }[] }>;
}

interface Instance {
  name: string;
  status: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  state?: InstanceState;
  profiles?: string[];
  architecture?: string;
  ephemeral?: boolean;
  description?: string;
}

interface Network {
  name: string;
  managed: boolean;
  type: string;
  config: Record<string, string>;
  used_by?: string[];
}

/**
 * Containers get a read-only /sys, as systemd's container interface asks
 * (systemd-nspawn does the same): the base image has no udev, and with a
 * writable /sys systemd-networkd would wait for udev forever and never
 * configure a NIC.
 */
export const CONTAINER_CONFIG: Record<string, string> = { 'raw.lxc': 'lxc.mount.auto = sys:ro' };

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const STATUS: Record<string, PowerState> = { Running: 'running', Stopped: 'off', Frozen: 'suspended' };

/** The network config a VMnet becomes (pure; also what `ensureNetwork` compares). */
export function bridgeConfig(lab: LabRef, net: NetworkSpec): Record<string, string> {
  const c = parseCidr(net.subnet);
  const cfg: Record<string, string> = {
    'ipv4.address': `${net.hostAddress}/${c.prefix}`,
    'ipv4.nat': 'false',
    'ipv4.routing': 'false',
    // No LXD-made iptables rules: with routing off they REJECT `-i/-o BRIDGE` in FORWARD, and where
    // br_netfilter passes bridged frames through iptables that drops traffic between the lab's own
    // guests (VRRP among them). Forwarding off the bridge is refused by our `ip rule` guard instead.
    'ipv4.firewall': 'false',
    'ipv6.address': 'none',
    'ipv4.dhcp': net.dhcp ? 'true' : 'false',
    'dns.mode': 'none',
    // DHCP hands out no router and no DNS server: guests stay offline.
    'raw.dnsmasq': 'dhcp-option=3\ndhcp-option=6',
    'user.halab.lab': lab.id,
    'user.halab.vmnet': net.name,
    'user.halab.subnet': formatCidr(c),
  };
  if (net.dhcp) cfg['ipv4.dhcp.ranges'] = `${net.dhcp.start}-${net.dhcp.end}`;
  return cfg;
}

/** Project config: images, profiles and storage shared from the default project; limits from the totals. */
export function projectConfig(labId: string, totals?: { instances: number; vcpus: number; memoryMiB: number }): Record<string, string> {
  const cfg: Record<string, string> = {
    'features.images': 'false',
    'features.profiles': 'false',
    'features.storage.volumes': 'false',
    'user.halab.lab': labId,
  };
  if (totals) {
    cfg['limits.instances'] = String(totals.instances);
    cfg['limits.cpu'] = String(totals.vcpus);
    cfg['limits.memory'] = `${totals.memoryMiB}MiB`;
  }
  return cfg;
}

const isNotFound = (e: unknown): boolean => e instanceof IncusApiError && e.notFound;

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
    this.clientP ??= (async () => {
      const ep = this.options.endpoint ?? (await resolveEndpoint(this.options.remote));
      if (!ep) {
        throw withMsg(
          new HypervisorError('No Incus or LXD daemon was found on this computer (no /var/lib/incus/unix.socket or /var/lib/lxd/unix.socket).', 'not-usable', 'Install and start one: sudo bash scripts/incus/setup.sh (Debian’s LXD), or add a remote with `halab class remote add NAME https://HOST:8443 TOKEN`.'),
          msg('use.incus.noDaemon'),
        );
      }
      this.resolved = new IncusClient(ep);
      return this.resolved;
    })();
    this.clientP.catch(() => (this.clientP = undefined));
    return this.clientP;
  }

  /** Local socket: this host holds the lab's bridges, so it guards them. */
  private async local(): Promise<boolean> {
    return (await this.client()).endpoint.kind === 'unix';
  }

  async checkUsable(): Promise<Usability> {
    try {
      const c = await this.client();
      const info = await c.server(true);
      const f = await c.facts();
      const details = `${f.label} ${info.environment?.server_version ?? '?'} at ${c.where}${info.environment?.server_clustered ? ' (cluster)' : ''}`;
      if (info.auth !== 'trusted') {
        const reasonMsg = msg('use.incus.untrusted', { server: f.label, where: c.where });
        return { usable: false, reason: `${f.label} at ${c.where} does not trust this computer yet.`, fix: 'Ask the instructor for a trust token and run `halab class remote add NAME URL TOKEN`.', reasonMsg, fixMsg: msg('use.incus.untrusted.fix'), details };
      }
      if (c.endpoint.kind === 'unix' && (typeof process.getuid !== 'function' || process.getuid() !== 0)) {
        return {
          usable: false,
          reason: 'A lab on the local Incus/LXD daemon needs root: halab guards the lab subnets with routes on this computer.',
          fix: 'Run it as root, for example `sudo halab up FILE --provider incus` (or `sudo halab serve` for the window).',
          reasonMsg: msg('use.incus.root'),
          fixMsg: msg('use.incus.root.fix'),
          details,
        };
      }
      return { usable: true, details };
    } catch (e) {
      const m = (e as { msg?: Message }).msg;
      if (e instanceof HypervisorError && m) return { usable: false, reason: e.message, fix: e.fix, reasonMsg: m, fixMsg: msg('use.incus.noDaemon.fix') };
      const error = (e as Error).message;
      return {
        usable: false,
        reason: `The Incus/LXD daemon does not answer: ${error}`,
        fix: 'Start it: sudo bash scripts/incus/setup.sh (it starts Debian’s LXD when nothing runs it).',
        reasonMsg: msg('use.incus.noAnswer', { error }),
        fixMsg: msg('use.incus.noAnswer.fix'),
      };
    }
  }

  // ── networks ────────────────────────────────────────────────────────────

  async ensureNetwork(lab: LabRef, net: NetworkSpec, opts: OpOptions = {}): Promise<NetworkChange> {
    checkName('lab id', lab.id);
    const cidr = validateNetwork(net);
    return this.serial(lab, `net:${net.name}`, async () => {
      const c = await this.client();
      const name = networkName(lab.id, net.name);
      const want = bridgeConfig(lab, net);
      await this.ensureProject(lab);
      if (await this.local()) {
        const clash = await conflictingRoutes(this.cmd, cidr, name, opts);
        if (clash.length > 0) {
          throw new HypervisorError(`${net.name} (${net.subnet}) overlaps a network this computer already uses: ${clash.join(', ')}.`, 'conflict', 'Give the lab network another private subnet in the blueprint.');
        }
        await addGuard(this.cmd, lab.id, cidr, opts);
      }
      const have = await c.get<Network>(`/1.0/networks/${name}`).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      let change: NetworkChange = 'unchanged';
      if (!have) {
        opts.log?.(`Creating the bridge network ${name} for ${net.name} (${net.subnet}, no NAT)`);
        await c.sync('POST', '/1.0/networks', { body: { name, type: 'bridge', description: `HA Lab Studio ${lab.id}/${net.name}`, config: want } });
        change = 'changed';
      } else {
        if (have.config['user.halab.lab'] !== lab.id) {
          throw new HypervisorError(`The network ${name} exists but was not made by the lab ${lab.id}.`, 'conflict', `Remove or rename that network (${name}) on the server.`);
        }
        const differs = Object.entries(want).filter(([k, v]) => have.config[k] !== v);
        if (differs.length > 0) {
          opts.log?.(`Updating ${name}: ${differs.map(([k]) => k).join(', ')}`);
          await c.sync('PATCH', `/1.0/networks/${name}`, { body: { config: want } });
          change = 'changed';
        }
      }
      if (await this.local()) await blockForwarding(this.cmd, name, opts);
      return change;
    });
  }

  async removeNetwork(lab: LabRef, vmnet: string, opts: OpOptions = {}): Promise<NetworkChange> {
    return this.serial(lab, `net:${vmnet}`, async () => {
      const c = await this.client();
      const name = networkName(lab.id, vmnet);
      const have = await c.get<Network>(`/1.0/networks/${name}`).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      if (!have || have.config['user.halab.lab'] !== lab.id) return 'unchanged';
      opts.log?.(`Removing the network ${name}`);
      await c.sync('DELETE', `/1.0/networks/${name}`);
      if (await this.local()) await unblockForwarding(this.cmd, name, opts);
      return 'changed';
    });
  }

  // ── instances ───────────────────────────────────────────────────────────

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
      await this.seedFiles(c, project, spec);
    });
  }

  async start(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      await this.restoreGuards(lab, opts);
      if (vm.status === 'Running') return;
      const action = vm.status === 'Frozen' ? 'unfreeze' : 'start';
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
    await this.restoreGuards(lab, opts);
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
    await this.restoreGuards(lab, opts);
    const nics = JSON.parse(vm.config['user.halab.nics'] ?? '[]') as InstanceRecord['nics'];
    const nic = opts.network ? nics.find((n) => n.network === opts.network) : nics[0];
    if (!nic) throw new HypervisorError(`${name} has no NIC${opts.network ? ` on ${opts.network}` : ''}.`, 'not-found');
    const c = await this.client();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const until = Date.now() + timeoutMs;
    for (let i = 0; ; i++) {
      const st = await c.get<InstanceState>(`/1.0/instances/${name}/state`, { project: projectName(lab.id) });
      if (st.status !== 'Running') throw new HypervisorError(`${name} is not running, so it has no address.`, 'bad-state', `Start ${name} first.`);
      const onNic = st.network?.[nic.device]?.addresses?.find((a) => a.family === 'inet' && a.scope === 'global')?.address;
      if (onNic) return onNic;
      if (i % 4 === 3) {
        // The network's DHCP leases, the second source.
        const leases = await c.get<{ hwaddr: string; address: string; type: string }[]>(`/1.0/networks/${networkName(lab.id, nic.network)}/leases`).catch(() => []);
        const lease = leases.find((l) => l.hwaddr?.toLowerCase() === nic.mac && l.type === 'dynamic' && !l.address.includes(':'));
        if (lease) return lease.address;
      }
      if (opts.signal?.aborted) throw new HypervisorError('Canceled while waiting for the guest address.', 'canceled');
      if (Date.now() > until) {
        throw new HypervisorError(`${name} got no IPv4 address on ${nic.network} (${nic.device}) within ${Math.round(timeoutMs / 1000)} s.`, 'transient', `Check that ${nic.network} has DHCP (or that a static address was set); see the instance log (GET /1.0/instances/${name}/logs).`, this.failureDetails());
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async setLink(lab: LabRef, name: string, nicIndex: number, connected: boolean, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      const vm = await this.load(lab, name);
      const nics = JSON.parse(vm.config['user.halab.nics'] ?? '[]') as InstanceRecord['nics'];
      const nic = nics[nicIndex];
      if (!nic) throw new HypervisorError(`${name} has no NIC number ${nicIndex} (it has ${nics.length}).`, 'not-found');
      const c = await this.client();
      if ((await this.local()) && vm.status === 'Running') {
        // The host end of the NIC's virtual cable: down = the guest sees no carrier.
        const st = await c.get<InstanceState>(`/1.0/instances/${name}/state`, { project: projectName(lab.id) });
        const hostName = st.network?.[nic.device]?.host_name;
        if (!hostName) throw new HypervisorError(`${name}'s NIC ${nic.device} has no host end to unplug.`, 'bad-state');
        await this.cmd.run(['ip', 'link', 'set', 'dev', hostName, connected ? 'up' : 'down'], opts);
        return;
      }
      // Remote (or off): unplug = remove the NIC device, plug = add it back with the same MAC.
      const devices = { ...vm.devices };
      if (connected) devices[nic.device] = { type: 'nic', network: networkName(lab.id, nic.network), name: nic.device, hwaddr: nic.mac };
      else delete devices[nic.device];
      await c.op('PUT', `/1.0/instances/${name}`, { project: projectName(lab.id), body: { architecture: vm.architecture, config: vm.config, devices, ephemeral: vm.ephemeral ?? false, profiles: vm.profiles ?? ['default'], description: vm.description ?? '' } });
    });
  }

  async snapshot(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      const c = await this.client();
      if ((await this.snapshots(lab, name)).includes(snapshot)) await c.op('DELETE', `/1.0/instances/${name}/snapshots/${snapshot}`, { project: projectName(lab.id) });
      await c.op('POST', `/1.0/instances/${name}/snapshots`, { project: projectName(lab.id), body: { name: snapshot, stateful: false }, timeoutMs: 15 * 60_000, signal: opts.signal });
    });
  }

  async revert(lab: LabRef, name: string, snapshot: string, opts: OpOptions = {}): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      if (!(await this.snapshots(lab, name)).includes(snapshot)) {
        throw new HypervisorError(`${name} has no snapshot named ${snapshot}.`, 'not-found', 'List the snapshots and pick one of them.');
      }
      await this.stopNow(lab, name, 'hard', opts);
      const c = await this.client();
      await c.op('PUT', `/1.0/instances/${name}`, { project: projectName(lab.id), body: { restore: snapshot }, timeoutMs: 15 * 60_000, signal: opts.signal });
    });
  }

  async deleteSnapshot(lab: LabRef, name: string, snapshot: string): Promise<void> {
    await this.serial(lab, name, async () => {
      await this.load(lab, name);
      if (!(await this.snapshots(lab, name)).includes(snapshot)) return;
      await (await this.client()).op('DELETE', `/1.0/instances/${name}/snapshots/${snapshot}`, { project: projectName(lab.id) });
    });
  }

  async listSnapshots(lab: LabRef, name: string): Promise<string[]> {
    await this.load(lab, name);
    return this.snapshots(lab, name);
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
    const project = projectName(lab.id);
    for (const vm of await this.list(lab, opts)) await this.destroyVm(lab, vm.name, opts);
    for (const net of await this.labNetworks(lab)) {
      await c.sync('DELETE', `/1.0/networks/${net.name}`);
      if (await this.local()) await unblockForwarding(this.cmd, net.name, opts);
    }
    if (await removeLabAlias(c, lab.id)) opts.log?.(`Removed the image alias ${labAlias(lab.id)}`);
    const proj = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (proj && proj.config['user.halab.lab'] === lab.id) {
      opts.log?.(`Removing the project ${project}`);
      await c.sync('DELETE', `/1.0/projects/${project}`);
    }
    if (!opts.keepGuards && (await this.local())) for (const g of await guardsOfLab(lab.id)) await releaseGuard(this.cmd, lab.id, g, opts);
  }

  /** What of the lab is still on the server (every list empty: nothing). */
  async leftovers(lab: LabRef): Promise<{ instances: string[]; networks: string[]; aliases: string[]; project: string[] }> {
    const c = await this.client();
    const project = projectName(lab.id);
    const proj = await c.get(`/1.0/projects/${project}`).then(
      () => [project],
      () => [],
    );
    const instances = proj.length ? (await c.get<string[]>('/1.0/instances', { project }).catch(() => [] as string[])).map((u) => u.split('?')[0]?.split('/').pop() ?? u) : [];
    return { instances, networks: (await this.labNetworks(lab)).map((n) => n.name), aliases: (await aliasTarget(c, labAlias(lab.id))) ? [labAlias(lab.id)] : [], project: proj };
  }

  /**
   * Make the lab's project (idempotent) and, when given, set its limits to
   * the blueprint's totals (the classroom does this before `up`).
   */
  async ensureProject(lab: LabRef, totals?: { instances: number; vcpus: number; memoryMiB: number }): Promise<void> {
    const c = await this.client();
    const project = projectName(lab.id);
    const have = await c.get<{ config: Record<string, string> }>(`/1.0/projects/${project}`).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    if (!have) {
      await c.sync('POST', '/1.0/projects', { body: { name: project, description: `HA Lab Studio lab ${lab.id}`, config: projectConfig(lab.id, totals) } });
      return;
    }
    if (have.config['user.halab.lab'] !== lab.id) throw new HypervisorError(`The project ${project} exists but was not made by HA Lab Studio.`, 'conflict', `Pick another lab name, or remove the project ${project}.`);
    if (totals) await c.sync('PATCH', `/1.0/projects/${project}`, { body: { config: projectConfig(lab.id, totals) } });
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
      let vcpus = 0;
      let mem = 0;
      const names = new Set<string>();
      for (const i of have) {
        names.add(i.name);
        vcpus += Number(i.config['limits.cpu'] ?? 1);
        mem += mib(i.config['limits.memory'] ?? '0');
      }
      for (const [n, s] of pend) {
        if (names.has(n)) continue;
        names.add(n);
        vcpus += s.vcpus;
        mem += s.memoryMiB;
      }
      const cur = { instances: Number(proj.config['limits.instances'] ?? 0), vcpus: Number(proj.config['limits.cpu'] ?? 0), memoryMiB: mib(proj.config['limits.memory'] ?? '0') };
      if (cur.instances >= names.size && cur.vcpus >= vcpus && cur.memoryMiB >= mem) return;
      await this.ensureProject(lab, { instances: Math.max(cur.instances, names.size), vcpus: Math.max(cur.vcpus, vcpus), memoryMiB: Math.max(cur.memoryMiB, mem) });
    });
  }

  private async seedFiles(c: IncusClient, project: string, spec: VmSpec): Promise<void> {
    const f = await c.facts();
    const put = (path: string, data: string, mode: string, type: 'file' | 'directory' = 'file') =>
      c.sync('POST', `/1.0/instances/${spec.name}/files`, {
        project,
        query: { path },
        data: type === 'directory' ? '' : data,
        headers: { [`${f.headerPrefix}-Uid`]: '0', [`${f.headerPrefix}-Gid`]: '0', [`${f.headerPrefix}-Mode`]: mode, [`${f.headerPrefix}-Type`]: type, [`${f.headerPrefix}-Write`]: 'overwrite' },
      });
    await put('/etc/hostname', `${spec.name}\n`, '0644');
    // A container cannot register binfmt handlers (binfmt_misc is the host's): skipped, as nspawn's read-only /proc/sys skips it.
    await put('/etc/systemd/system/systemd-binfmt.service.d', '', '0755', 'directory').catch(() => undefined);
    await put('/etc/systemd/system/systemd-binfmt.service.d/10-halab-container.conf', '[Unit]\nConditionVirtualization=!container\n', '0644');
    await put('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${spec.name}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`, '0644');
    if (spec.sshPublicKey) {
      await put('/root/.ssh', '', '0700', 'directory').catch(() => undefined);
      await put('/root/.ssh/authorized_keys', `${spec.sshPublicKey.trim()}\n`, '0600');
    }
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

  private async snapshots(lab: LabRef, name: string): Promise<string[]> {
    const urls = await (await this.client()).get<string[]>(`/1.0/instances/${name}/snapshots`, { project: projectName(lab.id) });
    return urls.map((u) => decodeURIComponent(u.split('?')[0]?.split('/').pop() ?? u));
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

  private async labNetworks(lab: LabRef): Promise<Network[]> {
    const all = await (await this.client()).get<Network[]>('/1.0/networks', { query: { recursion: '1' } });
    return all.filter((n) => n.managed && n.config?.['user.halab.lab'] === lab.id);
  }

  /** Put the guard routes of the lab's networks back (local daemon only). */
  private async restoreGuards(lab: LabRef, opts: OpOptions): Promise<void> {
    if (!(await this.local())) return;
    const held = new Set((await guardsOfLab(lab.id)).map(formatCidr));
    for (const net of await this.labNetworks(lab)) {
      const s = net.config['user.halab.subnet'];
      if (s && !held.has(s)) await addGuard(this.cmd, lab.id, parseCidr(s), opts);
      else if (s) await addGuard(this.cmd, lab.id, parseCidr(s), { ...opts, log: undefined });
    }
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

/** HALAB_INCUS_INSTANCE_TYPE: `vm` (or `virtual-machine`) asks for VM instances; anything else, containers. */
export function instanceTypeFromEnv(env: NodeJS.ProcessEnv = process.env): 'container' | 'virtual-machine' {
  const v = (env.HALAB_INCUS_INSTANCE_TYPE ?? '').toLowerCase();
  return v === 'vm' || v === 'virtual-machine' ? 'virtual-machine' : 'container';
}

/** VM instances need the server's QEMU driver (and KVM under it): refused before anything is made when the server has none. */
async function refuseVmsWithoutDriver(c: IncusClient, vm: string): Promise<void> {
  const drivers = (await c.server()).environment?.driver ?? '';
  if (/qemu/i.test(drivers)) return;
  const server = (await c.facts()).label;
  throw withMsg(
    new HypervisorError(`${vm} cannot be a VM instance: ${server} runs only ${drivers || '?'} (no QEMU/KVM driver), so it can run containers only.`, 'not-usable', 'Unset HALAB_INCUS_INSTANCE_TYPE to use containers (the default), or use a server with QEMU and KVM for VM instances.'),
    msg('inc.err.noVmDriver', { vm, server, drivers: drivers || '?' }),
  );
}

function addressesOf(st?: InstanceState): string[] {
  return Object.entries(st?.network ?? {})
    .filter(([n]) => n !== 'lo')
    .flatMap(([, v]) => (v.addresses ?? []).filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => a.address));
}

/** `1024MiB` / `1GiB` / `512MB` / bytes → MiB. */
export function mib(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B)?$/i.exec(v.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'B').toUpperCase();
  const f: Record<string, number> = { B: 1 / 2 ** 20, KB: 1000 / 2 ** 20, KIB: 1 / 1024, MB: 1e6 / 2 ** 20, MIB: 1, GB: 1e9 / 2 ** 20, GIB: 1024, TB: 1e12 / 2 ** 20, TIB: 1024 * 1024 };
  return Math.round(n * (f[unit] ?? 0));
}
