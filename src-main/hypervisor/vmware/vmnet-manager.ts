/**
 * Lab VMnets on either host OS. Only networks recorded as created by this
 * lab are ever changed or removed; an existing network with the wanted
 * settings is used as it is; one with other settings is a conflict the
 * student resolves (VMware's own VMnets 0/1/8 included).
 */
import { win32 } from 'node:path';
import { HypervisorError, type LabRef, type NetworkSpec, type OpOptions } from '../types.js';
import { intToIp, ipToInt, parseCidr } from './ipv4.js';
import { readNetworkRecord, writeNetworkRecord } from './lab-store.js';
import type { VmrunClient } from './vmrun-client.js';
import { applyNetworking, linuxLeasePath, readNetworking, type VnetSettings } from './vmnet-linux.js';
import { ensureWindowsVnet, removeWindowsVnet } from './vmnet-windows.js';

export interface VmnetManagerOptions {
  client: VmrunClient;
  platform: NodeJS.Platform;
  /** Linux: `/etc/vmware`. */
  etcDir: string;
  /** Linux: `vmware-networks`. */
  vmwareNetworks: string;
  /** Windows: `vnetlib64.exe`. */
  vnetlibPath: string;
  /** Windows: `C:\ProgramData\VMware` (DHCP leases). */
  windowsDataDir: string;
  isAdmin?: () => Promise<boolean>;
}

/** VMnet number from `vmnet11`. */
export function vnetIndex(name: string): number {
  const m = /^vmnet(\d{1,3})$/i.exec(name);
  if (!m) throw new HypervisorError(`"${name}" is not a VMware network name.`, 'failed', 'Use names like vmnet2 … vmnet19 in the blueprint.');
  return Number(m[1]);
}

interface Observed {
  subnet: string;
  netmask: string;
  dhcp: boolean;
  nat: boolean;
}

/** Creates, checks and removes the lab's VMnets. */
export class VmnetManager {
  constructor(private readonly o: VmnetManagerOptions) {}

  private wanted(spec: NetworkSpec): Observed & { index: number } {
    const index = vnetIndex(spec.name);
    const { network, mask } = parseCidr(spec.subnet);
    const base = ipToInt(network);
    // VMware fixes the host at .1 and the NAT gateway at .2 of every VMnet.
    if (spec.hostAddress !== intToIp(base + 1)) {
      throw new HypervisorError(
        `${spec.name}: VMware always gives the host ${intToIp(base + 1)}, but the blueprint says ${spec.hostAddress}.`,
        'conflict',
        `Set the host address of ${spec.name} to ${intToIp(base + 1)} in the blueprint.`,
      );
    }
    if (spec.type === 'nat' && spec.natGateway && spec.natGateway !== intToIp(base + 2)) {
      throw new HypervisorError(
        `${spec.name}: VMware's NAT gateway is always ${intToIp(base + 2)}, but the blueprint says ${spec.natGateway}.`,
        'conflict',
        `Set the gateway of ${spec.name} to ${intToIp(base + 2)} in the blueprint.`,
      );
    }
    if (this.o.platform === 'win32' && index > 19) {
      throw new HypervisorError(`${spec.name}: Windows hosts only have vmnet0 … vmnet19.`, 'failed', 'Renumber the network to vmnet2 … vmnet19 in the blueprint.');
    }
    return { index, subnet: network, netmask: mask, dhcp: spec.dhcp !== undefined, nat: spec.type === 'nat' };
  }

  /** The network as VMware has it now, or undefined. */
  private async observe(index: number): Promise<Observed | undefined> {
    if (this.o.platform === 'linux') {
      const s = (await readNetworking(this.o.etcDir)).get(index);
      return s && { subnet: s.subnet, netmask: s.netmask, dhcp: s.dhcp, nat: s.nat };
    }
    const h = (await this.o.client.listHostNetworks()).find((n) => n.name === `vmnet${index}`);
    return h && { subnet: h.subnet, netmask: h.mask, dhcp: h.dhcp, nat: h.type.toLowerCase() === 'nat' };
  }

  private supported(): void {
    if (this.o.platform !== 'linux' && this.o.platform !== 'win32') {
      throw new HypervisorError(
        'Creating VMware networks is only supported on Windows and Linux hosts.',
        'not-usable',
        'Create the VMnets in VMware Fusion\'s network settings with the subnets from the blueprint.',
      );
    }
  }

  /** Make the VMnet match `spec`, creating it when absent (see class doc for the safety rules). */
  async ensure(lab: LabRef, spec: NetworkSpec, opts: OpOptions = {}): Promise<void> {
    if (spec.type === 'bridged') return;
    const want = this.wanted(spec);
    await this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      const ours = record.created[spec.name] !== undefined;
      const seen = await this.observe(want.index);
      const same = seen && seen.subnet === want.subnet && seen.netmask === want.netmask && seen.dhcp === want.dhcp && seen.nat === want.nat;
      if (same) {
        if (!ours) opts.log?.(`${spec.name} already exists with the wanted settings; using it and leaving it in place afterwards`);
        return;
      }
      if (seen && !ours) {
        throw new HypervisorError(
          `${spec.name} already exists on this PC with subnet ${seen.subnet}/${seen.netmask} (DHCP ${seen.dhcp ? 'on' : 'off'}, NAT ${seen.nat ? 'on' : 'off'}); this lab did not create it, so it is left alone.`,
          'conflict',
          `Pick a free VMnet number for this network in the blueprint, or change ${spec.name} yourself in the Virtual Network Editor to ${spec.subnet}.`,
        );
      }
      this.supported();
      if (!ours) {
        record.created[spec.name] = spec;
        await writeNetworkRecord(lab, record);
      }
      opts.log?.(`${seen ? 'updating' : 'creating'} ${spec.name} (${spec.subnet}, DHCP ${want.dhcp ? 'on' : 'off'}, NAT ${want.nat ? 'on' : 'off'})`);
      if (this.o.platform === 'linux') {
        const file = await readNetworking(this.o.etcDir);
        const settings: VnetSettings = { subnet: want.subnet, netmask: want.netmask, dhcp: want.dhcp, nat: want.nat, virtualAdapter: true };
        file.set(want.index, settings);
        await applyNetworking(file, { etcDir: this.o.etcDir, vmwareNetworks: this.o.vmwareNetworks }, opts);
      } else {
        const nat = want.nat ? { gateway: intToIp(ipToInt(want.subnet) + 2) } : undefined;
        await ensureWindowsVnet(
          { index: want.index, subnet: want.subnet, netmask: want.netmask, hostAddress: spec.hostAddress, dhcp: want.dhcp, ...(nat ? { nat } : {}) },
          seen !== undefined,
          this.windowsTools(opts),
        );
      }
      record.created[spec.name] = spec;
      await writeNetworkRecord(lab, record);
    });
  }

  /** Remove a VMnet this lab created; anything else is left alone. */
  async remove(lab: LabRef, name: string, opts: OpOptions = {}): Promise<void> {
    await this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      if (!record.created[name]) {
        opts.log?.(`${name} was not created by this lab; left alone`);
        return;
      }
      const index = vnetIndex(name);
      if (await this.observe(index)) {
        this.supported();
        if (this.o.platform === 'linux') {
          const file = await readNetworking(this.o.etcDir);
          await applyNetworking(file.remove(index), { etcDir: this.o.etcDir, vmwareNetworks: this.o.vmwareNetworks }, opts);
        } else {
          await removeWindowsVnet(index, this.windowsTools(opts));
        }
      }
      delete record.created[name];
      await writeNetworkRecord(lab, record);
    });
  }

  /** Subnet (CIDR) and host address of a network, from the lab's record or from VMware. */
  async describe(lab: LabRef, name: string): Promise<{ subnet: string; hostAddress: string } | undefined> {
    const spec = (await readNetworkRecord(lab)).created[name];
    if (spec) return { subnet: spec.subnet, hostAddress: spec.hostAddress };
    const seen = await this.observe(vnetIndex(name)).catch(() => undefined);
    if (!seen?.subnet || !seen.netmask) return undefined;
    const bits = ipToInt(seen.netmask).toString(2).replace(/0+$/, '').length;
    return { subnet: `${seen.subnet}/${bits}`, hostAddress: intToIp(ipToInt(seen.subnet) + 1) };
  }

  /** DHCP lease files that may hold addresses of this network. */
  leaseFiles(name: string): string[] {
    if (this.o.platform === 'win32') return [win32.join(this.o.windowsDataDir, 'vmnetdhcp.leases')];
    return [linuxLeasePath(this.o.etcDir, vnetIndex(name))];
  }

  private windowsTools(opts: OpOptions) {
    return {
      vnetlibPath: this.o.vnetlibPath,
      listHostNetworks: () => this.o.client.listHostNetworks(),
      ...(this.o.isAdmin ? { isAdmin: this.o.isAdmin } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
  }
}
