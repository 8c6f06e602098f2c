/**
 * Lab VMnets on either host OS, with these safety rules:
 *
 * - A VMnet becomes the lab's own only AFTER the change was applied and
 *   VMware shows it (a change started but not applied is only "pending").
 * - An existing VMnet with the wanted settings is used as it is and never
 *   removed. One with other settings is a clash: refused, except vmnet8
 *   when the user said yes (`reconfigureVmnet8`); then its exact previous
 *   settings are recorded and `remove` puts them back byte for byte.
 * - `remove` deletes (or restores) a VMnet only when it is the lab's own AND
 *   VMware still shows the settings the lab applied.
 */
import { join, win32 } from 'node:path';
import type { RunOptions, RunResult } from '../../exec/runner.js';
import { HypervisorError, opLog, withMsg, type LabRef, type NetworkChange, type NetworkOptions, type NetworkSpec, type OpOptions, type VmnetClash } from '../types.js';
import { intToIp, ipToInt } from './ipv4.js';
import { readNetworkRecord, writeNetworkRecord, type NetworkRecord, type PreviousVmnet } from './lab-store.js';
import type { VmrunClient } from './vmrun-client.js';
import { cidrOf, clashOf, describeObserved, observedMsg, observeVnet, onOff, sameSettings, vmnetClashes, vnetIndex, wantedSettings, type Observed } from './vmnet-settings.js';
import { applyNetworking, linuxLeasePath, NetworkingFile, readNetworking, readNetworkingText, type ElevationProbe } from './vmnet-linux.js';
import { ensureWindowsVnet, removeWindowsVnet } from './vmnet-windows.js';
import { msg } from '../../shared/i18n';

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
  /** Windows: runs vnetlib (default: the command runner). */
  vnetlibRunner?: (argv: string[], opts?: RunOptions) => Promise<RunResult>;
  /** Linux: how the one root step is found (tests inject a non-root user). */
  elevation?: ElevationProbe;
}

/** How long Linux VMnet changes wait for others to join the same root step (one password prompt). */
const BATCH_WINDOW_MS = 150;

/** Creates, checks, reconfigures, restores and removes the lab's VMnets. */
export class VmnetManager {
  constructor(private readonly o: VmnetManagerOptions) {}

  /** The network as VMware has it now, or undefined. */
  private observe(index: number): Promise<Observed | undefined> {
    return observeVnet(index, { platform: this.o.platform, etcDir: this.o.etcDir, listHostNetworks: () => this.o.client.listHostNetworks() });
  }

  /** See `vmnetClashes`. */
  clashes(nets: NetworkSpec[], lab?: LabRef): Promise<VmnetClash[]> {
    return vmnetClashes(nets, { platform: this.o.platform, etcDir: this.o.etcDir, listHostNetworks: () => this.o.client.listHostNetworks(), ...(lab ? { lab } : {}) });
  }

  private supported(): void {
    if (this.o.platform !== 'linux' && this.o.platform !== 'win32') {
      throw withMsg(
        new HypervisorError(
          'Creating VMware networks is only supported on Windows and Linux hosts.',
          'not-usable',
          'Create the VMnets in VMware Fusion\'s network settings with the subnets from the blueprint.',
        ),
        msg('hv.err.unsupportedHost'),
      );
    }
  }

  /** Record a pending change that VMware now shows as applied (after an interruption, or the user ran the root command). */
  private promote(record: NetworkRecord, name: string, seen: Observed | undefined): boolean {
    const p = record.pending?.[name];
    if (!p || !sameSettings(seen, wantedSettings(p.spec, this.o.platform))) return false;
    if (p.previous) (record.reconfigured ??= {})[name] = { spec: p.spec, previous: p.previous };
    else record.created[name] = p.spec;
    delete record.pending?.[name];
    return true;
  }

  /** Make the VMnet match `spec`, creating it when absent (see module doc for the safety rules). */
  async ensure(lab: LabRef, spec: NetworkSpec, opts: NetworkOptions = {}): Promise<NetworkChange> {
    if (spec.type === 'bridged') return 'unchanged';
    const want = wantedSettings(spec, this.o.platform);
    // 1. Decide (under the lock): nothing to do, a refusal, or a change recorded as pending.
    const plan = await this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      const seen = await this.observe(want.index);
      if (this.promote(record, spec.name, seen)) {
        await writeNetworkRecord(lab, record);
        opLog(opts, msg('hv.log.nowOwn', { name: spec.name }));
      }
      // The lab's own only while VMware still shows what the lab applied: a VMnet changed by hand since,
      // or claimed by an old record written before applying, is treated like any other existing VMnet.
      const appliedSpec = record.created[spec.name] ?? record.reconfigured?.[spec.name]?.spec;
      const ours = appliedSpec !== undefined && (!seen || sameSettings(seen, wantedSettings(appliedSpec, this.o.platform)));
      if (sameSettings(seen, want)) {
        if (!ours) opLog(opts, msg('hv.log.usingExisting', { name: spec.name }));
        return undefined;
      }
      // The lab's own vmnet8 changed by someone since: set it again, still restoring the first settings on down.
      let previous: PreviousVmnet | undefined = record.reconfigured?.[spec.name]?.previous;
      if (seen && !ours) {
        const clash = clashOf(spec, seen);
        if (!(spec.name === 'vmnet8' && opts.reconfigureVmnet8)) {
          throw withMsg(
            new HypervisorError(
            clash.message,
            'conflict',
            spec.name === 'vmnet8'
              ? 'Run "halab up --reconfigure-vmnet8" (or confirm in the Provision screen), or edit the blueprint\'s vmnet8 subnet.'
              : `Pick a free VMnet number for ${spec.name} in the blueprint.`,
            ),
            clash.msg!,
          );
        }
        previous ??= await this.capture(want.index, seen);
        opLog(opts, msg('hv.log.reconfiguringVmnet8', { from: observedMsg(seen), to: spec.subnet }));
      }
      this.supported();
      (record.pending ??= {})[spec.name] = { spec, ...(previous ? { previous } : {}) };
      await writeNetworkRecord(lab, record);
      opLog(opts, msg(seen ? 'hv.log.updating' : 'hv.log.creating', { name: spec.name, subnet: spec.subnet, dhcp: onOff(want.dhcp), nat: onOff(want.nat) }));
      return { seen, previous };
    });
    if (!plan) return 'unchanged';
    // 2. Apply (outside the lock, so the lab's other network steps join the same root step).
    await this.apply(lab, want, plan.seen, opts, (file) => {
      // A NAT port forward or DHCP reservation of the old subnet would be wrong on the new one; they come back on restore.
      if (plan.previous) file.remove(want.index);
      file.set(want.index, { subnet: want.subnet, netmask: want.netmask, dhcp: want.dhcp, nat: want.nat, virtualAdapter: true });
    });
    // 3. Only now, seen applied, is it the lab's own.
    return this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      const now = await this.observe(want.index);
      if (!this.promote(record, spec.name, now)) {
        throw withMsg(
          new HypervisorError(
            `${spec.name} was changed, but VMware now reports ${now ? describeObserved(now) : 'no such network'} instead of ${spec.subnet}.`,
            'failed',
            `Open the Virtual Network Editor and check ${spec.name}; then run the lab again.`,
          ),
          msg('hv.err.notApplied', { name: spec.name, now: now ? observedMsg(now) : msg('hv.noSuchNetwork'), subnet: spec.subnet }),
        );
      }
      await writeNetworkRecord(lab, record);
      return 'changed' as const;
    });
  }

  /**
   * The exact settings to restore later: Linux, the VMnet's own lines of the
   * networking file with their positions; Windows, the values vmrun reports
   * (subnet, mask, DHCP, NAT; the host and NAT gateway addresses are put
   * back at VMware's .1/.2, which is what the Virtual Network Editor uses).
   */
  private async capture(index: number, seen: Observed): Promise<PreviousVmnet> {
    if (this.o.platform === 'linux') return { linux: (await readNetworking(this.o.etcDir)).vnetLines(index) };
    return { windows: { subnet: seen.subnet, netmask: seen.netmask, dhcp: seen.dhcp, nat: seen.nat } };
  }

  /** Linux: edit the networking file and apply it in one root step (batched). Windows: vnetlib to `want`, one network at a time. */
  private async apply(lab: LabRef, want: Observed & { index: number }, seen: Observed | undefined, opts: OpOptions, edit: (file: NetworkingFile) => void): Promise<void> {
    if (this.o.platform === 'linux') return this.applyLinux(lab, edit, opts);
    const base = ipToInt(want.subnet);
    await this.o.client.locks.run('vnetlib', () =>
      ensureWindowsVnet(
        { index: want.index, subnet: want.subnet, netmask: want.netmask, hostAddress: intToIp(base + 1), dhcp: want.dhcp, ...(want.nat ? { nat: { gateway: intToIp(base + 2) } } : {}) },
        seen !== undefined,
        this.windowsTools(opts),
      ),
    );
  }

  private batch: { lab: LabRef; edit: (file: NetworkingFile) => void; opts: OpOptions; done: (e?: unknown) => void }[] = [];
  private batchTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  /**
   * Linux changes that arrive together (a lab's network steps start at
   * once) are applied as ONE root step, so the user is asked once. Each
   * edit is made on the networking file as it is when the step runs.
   */
  private applyLinux(lab: LabRef, edit: (file: NetworkingFile) => void, opts: OpOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ lab, edit, opts, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.batchTimer ??= setTimeout(() => {
        this.batchTimer = undefined;
        const items = this.batch.splice(0);
        this.flushing = this.flushing.then(() => this.flushLinux(items));
      }, BATCH_WINDOW_MS);
    });
  }

  private async flushLinux(items: typeof this.batch): Promise<void> {
    const first = items[0];
    if (!first) return;
    try {
      const base = (await readNetworkingText(this.o.etcDir)) ?? null;
      const file = NetworkingFile.parse(base ?? 'VERSION=1,0\n');
      for (const i of items) i.edit(file);
      const signal = items.find((i) => i.opts.signal)?.opts.signal;
      await applyNetworking(file, { etcDir: this.o.etcDir, vmwareNetworks: this.o.vmwareNetworks }, {
        base,
        stageDir: join(first.lab.dir, 'vmnet-apply'),
        log: (line) => {
          for (const i of items) i.opts.log?.(line);
        },
        logMsg: (line) => {
          for (const i of items) opLog(i.opts, line);
        },
        ...(this.o.elevation ? { probe: this.o.elevation } : {}),
        ...(signal ? { signal } : {}),
      });
      for (const i of items) i.done();
    } catch (e) {
      for (const i of items) i.done(e ?? withMsg(new Error('applying the VMware network settings failed'), msg('hv.err.applyFailed')));
    }
  }

  /**
   * Remove a VMnet this lab created, or put back a vmnet8 it reconfigured,
   * but only while VMware still shows what the lab applied. Anything else
   * is left alone.
   */
  async remove(lab: LabRef, name: string, opts: OpOptions = {}): Promise<NetworkChange> {
    const index = vnetIndex(name);
    // 1. Decide under the lock.
    const plan = await this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      const seen = await this.observe(index);
      this.promote(record, name, seen);
      if (record.pending?.[name]) {
        delete record.pending[name];
        opLog(opts, msg('hv.log.neverApplied', { name }));
      }
      const reconf = record.reconfigured?.[name];
      const spec = reconf?.spec ?? record.created[name];
      const forget = async () => {
        delete record.created[name];
        if (record.reconfigured) delete record.reconfigured[name];
        await writeNetworkRecord(lab, record);
      };
      if (!spec) {
        await writeNetworkRecord(lab, record);
        opLog(opts, msg('hv.log.notOurs', { name }));
        return undefined;
      }
      const applied = wantedSettings(spec, this.o.platform);
      if (!seen) {
        opLog(opts, msg('hv.log.alreadyGone', { name }));
        await forget();
        return undefined;
      }
      if (!sameSettings(seen, applied)) {
        opLog(opts, reconf ? msg('hv.log.changedSinceBefore', { name, now: observedMsg(seen), before: this.previousText(reconf.previous) }) : msg('hv.log.changedSince', { name, now: observedMsg(seen) }));
        await forget();
        return undefined;
      }
      this.supported();
      await writeNetworkRecord(lab, record);
      return { reconf, applied, seen };
    });
    if (!plan) return 'unchanged';
    // 2. Apply (batched with the lab's other network steps on Linux).
    if (plan.reconf) {
      opLog(opts, msg('hv.log.restoring', { name, before: this.previousText(plan.reconf.previous) }));
      await this.restore(lab, index, plan.reconf.previous, opts);
    } else if (this.o.platform === 'linux') {
      await this.applyLinux(lab, (file) => file.remove(index), opts);
    } else {
      await this.o.client.locks.run('vnetlib', () => removeWindowsVnet(index, this.windowsTools(opts)));
    }
    // 3. Forget it.
    await this.o.client.locks.run('vmnets', async () => {
      const record = await readNetworkRecord(lab);
      delete record.created[name];
      if (record.reconfigured) delete record.reconfigured[name];
      await writeNetworkRecord(lab, record);
    });
    return 'changed';
  }

  private previousText(p: PreviousVmnet): string {
    if (p.linux) return p.linux.map((l) => l.raw).join(' | ');
    const w = p.windows;
    return w ? describeObserved(w) : 'unknown';
  }

  private async restore(lab: LabRef, index: number, previous: PreviousVmnet, opts: OpOptions): Promise<void> {
    if (this.o.platform === 'linux') {
      const lines = previous.linux ?? [];
      await this.applyLinux(lab, (file) => file.restoreVnet(index, lines), opts);
      return;
    }
    const w = previous.windows;
    if (!w) return;
    const base = ipToInt(w.subnet);
    await this.o.client.locks.run('vnetlib', () =>
      ensureWindowsVnet(
        { index, subnet: w.subnet, netmask: w.netmask, hostAddress: intToIp(base + 1), dhcp: w.dhcp, ...(w.nat ? { nat: { gateway: intToIp(base + 2) } } : {}) },
        true,
        this.windowsTools(opts),
      ),
    );
  }

  /** Subnet (CIDR) and host address of a network, from the lab's record or from VMware. */
  async describe(lab: LabRef, name: string): Promise<{ subnet: string; hostAddress: string } | undefined> {
    const record = await readNetworkRecord(lab);
    const spec = record.created[name] ?? record.reconfigured?.[name]?.spec;
    if (spec) return { subnet: spec.subnet, hostAddress: spec.hostAddress };
    const seen = await this.observe(vnetIndex(name)).catch(() => undefined);
    if (!seen?.subnet || !seen.netmask) return undefined;
    return { subnet: cidrOf(seen), hostAddress: intToIp(ipToInt(seen.subnet) + 1) };
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
      ...(this.o.vnetlibRunner ? { runner: this.o.vnetlibRunner } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
  }
}
