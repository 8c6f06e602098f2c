/**
 * One SSH connection per VM of a lab, opened on demand. A VM is reached on
 * its static address once that is set; before (a fresh clone on DHCP) on the
 * address the hypervisor reports.
 */
import { connectGuest, type Guest } from '../guest/guest';
import { HostKeyStore, type LabKey } from '../guest/lab-keys';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { ResolvedLab } from '../shared/blueprint/model';
import { msg, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

export interface GuestPoolOptions {
  hv: Hypervisor;
  lab: LabRef;
  resolved: ResolvedLab;
  key: LabKey;
  /** SSH user in the guests (root in the Linux lab; the template's admin user on VMware). */
  user?: string;
}

interface ConnectOpts {
  signal?: AbortSignal;
  /** Progress lines: plain text, or catalog messages (a step's log takes both). */
  log?: (l: string | Message) => void;
  waitMs?: number;
  /** Only try the static address (after it has just been applied). */
  staticOnly?: boolean;
  /** Ask the hypervisor for the address first (a VM that has just booted has no static address yet: trying it costs seconds of ARP). */
  addressFirst?: boolean;
  /** A new connection's first command instead of `true` (its result in `Guest.firstResult`; an open connection has none). */
  firstCommand?: string[];
}

export class GuestPool {
  private readonly open = new Map<string, Promise<Guest>>();
  readonly hostKeys: HostKeyStore;

  constructor(private readonly o: GuestPoolOptions) {
    this.hostKeys = new HostKeyStore(o.lab.dir);
  }

  /** The guest user this pool logs in as. */
  get user(): string {
    return this.o.user ?? 'root';
  }

  /** The static address the host uses for a VM: its first NIC's. */
  staticAddress(vm: string): string {
    const node = this.o.resolved.nodes.find((n) => n.hostname === vm);
    const nic = node?.nics[0];
    if (!nic) throw new MessageError(msg('lab.err.notAVm', { vm }));
    return nic.address;
  }

  /** A connection to `vm`, reusing an open one. */
  async get(vm: string, opts: ConnectOpts = {}): Promise<Guest> {
    let g = this.open.get(vm);
    const current = g ? await g.catch(() => undefined) : undefined;
    if (g && (!current || !current.isConnected())) {
      // The VM was powered off or rebooted: its old connection is dead.
      current?.close();
      if (this.open.get(vm) === g) this.open.delete(vm);
      g = this.open.get(vm);
    }
    if (!g) {
      g = this.connect(vm, opts);
      this.open.set(vm, g);
      g.catch(() => this.open.delete(vm));
    }
    return g;
  }

  private async connect(vm: string, opts: ConnectOpts): Promise<Guest> {
    const base = { name: vm, privateKey: this.o.key.privateKey, hostKeys: this.hostKeys, user: this.o.user, signal: opts.signal, log: opts.log, ...(opts.firstCommand ? { firstCommand: opts.firstCommand } : {}) };
    if (!opts.addressFirst || opts.staticOnly) {
      try {
        return await connectGuest({ ...base, host: this.staticAddress(vm), waitMs: opts.staticOnly ? (opts.waitMs ?? 60_000) : 1500 });
      } catch (e) {
        if ((e as { code?: string }).code !== 'unreachable' || opts.staticOnly) throw e;
      }
    }
    const nic0 = this.o.resolved.nodes.find((n) => n.hostname === vm)!.nics[0]!;
    const address = await this.o.hv.guestAddress(this.o.lab, vm, { network: nic0.network, timeoutMs: opts.waitMs ?? 180_000, signal: opts.signal, log: opts.log });
    opts.log?.(msg('lab.log.reachable', { vm, address }));
    return connectGuest({ ...base, host: address, waitMs: opts.waitMs ?? 180_000 });
  }

  /** Close `vm`'s connection (its address is about to change). */
  async drop(vm: string): Promise<void> {
    const g = this.open.get(vm);
    this.open.delete(vm);
    (await g?.catch(() => undefined))?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((vm) => this.drop(vm)));
  }
}
