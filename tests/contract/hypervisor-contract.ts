/**
 * The provider-neutral contract every `Hypervisor` implementation must pass.
 *
 * Usage (one integration test file per provider):
 *
 * ```ts
 * describeHypervisorContract('vmware (fake vmrun)', async () => ({ hv, lab, template, cleanup }));
 * ```
 *
 * The lifecycle it drives, in order, with the power state asserted after each
 * step: two networks ensured (twice, to prove idempotence) → three VMs on
 * them created (twice) → a snapshot taken while off → all started → every
 * NIC's guest address learnt through the provider's own waiting → one NIC's
 * cable pulled and plugged back → one VM reverted to the snapshot (which
 * leaves it off, like the snapshot) and started again → one VM stopped soft →
 * all hard-stopped → snapshot deleted → all destroyed (twice) → networks
 * removed (twice) → `list()` empty.
 *
 * Contract points a provider must honour beyond the interface's JSDoc:
 * - reverting to a snapshot taken while the VM was off leaves it `off`, even
 *   when the VM was running at the time of the revert;
 * - `guestAddress` does its own waiting (the suite never sleeps or polls);
 * - `stop(…, 'hard')` on a VM that is already off is a no-op.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hypervisor, LabRef, NetworkSpec, VmSpec } from '../../src-main/hypervisor/types.js';

/** What a provider's test file hands the contract suite. */
export interface ContractSetup {
  hv: Hypervisor;
  lab: LabRef;
  /** Template for `VmSpec.template` (a .vmx path for VMware; anything for Linux). */
  template: string;
  /** Removes whatever the setup created (temp folders, fake state, processes). */
  cleanup: () => Promise<void>;
}

/** Optional knobs; the defaults suit both providers. */
export interface ContractOptions {
  /** Per-step timeout in milliseconds (default 240 s: real boots are slow). */
  stepTimeoutMs?: number;
  /** Override the two networks (must be two, both with DHCP so guests get addresses). */
  networks?: [NetworkSpec, NetworkSpec];
}

/** Two lab networks on subnets unlikely to clash with a developer's machine. */
export const CONTRACT_NETWORKS: [NetworkSpec, NetworkSpec] = [
  {
    name: 'vmnet11',
    type: 'nat',
    subnet: '10.231.11.0/24',
    hostAddress: '10.231.11.1',
    natGateway: '10.231.11.2',
    dhcp: { start: '10.231.11.128', end: '10.231.11.254' },
  },
  {
    name: 'vmnet12',
    type: 'hostonly',
    subnet: '10.231.12.0/24',
    hostAddress: '10.231.12.1',
    dhcp: { start: '10.231.12.128', end: '10.231.12.254' },
  },
];

const SNAPSHOT = 'contract-clean';

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** True when `ip` lies inside `cidr` (IPv4). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipToInt(base ?? '') / size) * size;
  const value = ipToInt(ip);
  return value >= start && value < start + size;
}

function contractVms(template: string, nets: [NetworkSpec, NetworkSpec]): VmSpec[] {
  const [a, b] = nets;
  const base = { template, clone: 'linked' as const, vcpus: 1, memoryMiB: 512, diskGiB: 8 };
  return [
    { ...base, name: 'ct-lb1', nics: [{ network: a.name, mac: '00:50:56:2a:10:01' }] },
    {
      ...base,
      name: 'ct-app1',
      nics: [
        { network: a.name, mac: '00:50:56:2a:10:02' },
        { network: b.name, mac: '00:50:56:2a:20:02' },
      ],
    },
    { ...base, name: 'ct-db1', nics: [{ network: b.name, mac: '00:50:56:2a:20:03' }] },
  ];
}

/**
 * Register the contract suite for one provider. `setup` runs once before the
 * steps; `cleanup` runs once after them, after a best-effort teardown of
 * anything a failed step left behind.
 */
export function describeHypervisorContract(
  name: string,
  setup: () => Promise<ContractSetup>,
  options: ContractOptions = {},
): void {
  const step = options.stepTimeoutMs ?? 240_000;
  const nets = options.networks ?? CONTRACT_NETWORKS;

  describe(`Hypervisor contract: ${name}`, () => {
    let ctx: ContractSetup | undefined;
    let vms: VmSpec[] = [];
    const addresses = new Map<string, string>();

    const get = (): ContractSetup => {
      if (!ctx) throw new Error('contract setup did not complete');
      return ctx;
    };
    const names = (): string[] => vms.map((v) => v.name);
    const states = async (): Promise<string[]> => {
      const { hv, lab } = get();
      return Promise.all(names().map((n) => hv.state(lab, n)));
    };

    beforeAll(async () => {
      ctx = await setup();
      vms = contractVms(ctx.template, nets);
    }, step);

    afterAll(async () => {
      if (!ctx) return;
      const { hv, lab } = ctx;
      // A failed step must not leave VMs or networks behind for the next run.
      for (const n of names()) await hv.destroyVm(lab, n).catch(() => undefined);
      for (const net of nets) await hv.removeNetwork(lab, net.name).catch(() => undefined);
      await ctx.cleanup();
    }, step);

    it('reports itself usable', async () => {
      const u = await get().hv.checkUsable();
      expect(u.reason ?? '', `not usable: ${u.reason} — ${u.fix}`).toBe('');
      expect(u.usable).toBe(true);
    }, step);

    it('ensures two networks, idempotently', async () => {
      const { hv, lab } = get();
      for (const net of nets) await hv.ensureNetwork(lab, net);
      // The second time nothing changes: 'unchanged' (or nothing, for a provider that does not report it).
      for (const net of nets) expect([undefined, 'unchanged']).toContain(await hv.ensureNetwork(lab, net));
    }, step);

    it('creates three VMs powered off, idempotently, and lists them', async () => {
      const { hv, lab } = get();
      for (const n of names()) expect(await hv.state(lab, n)).toBe('absent');
      await Promise.all(vms.map((spec) => hv.createVm(lab, spec)));
      expect(await states()).toEqual(['off', 'off', 'off']);
      for (const spec of vms) await hv.createVm(lab, spec);
      const listed = await hv.list(lab);
      expect(listed.map((v) => v.name).sort()).toEqual([...names()].sort());
      for (const info of listed) expect(info.state).toBe('off');
    }, step);

    it('takes a snapshot of each VM while it is off', async () => {
      const { hv, lab } = get();
      for (const n of names()) {
        await hv.snapshot(lab, n, SNAPSHOT);
        expect(await hv.listSnapshots(lab, n)).toContain(SNAPSHOT);
      }
      expect(await states()).toEqual(['off', 'off', 'off']);
    }, step);

    it('starts all three headless', async () => {
      const { hv, lab } = get();
      await Promise.all(names().map((n) => hv.start(lab, n)));
      expect(await states()).toEqual(['running', 'running', 'running']);
      const listed = await hv.list(lab);
      expect(listed.filter((v) => v.state === 'running').map((v) => v.name).sort()).toEqual([...names()].sort());
    }, step);

    it('learns every NIC address, inside its subnet and unique', async () => {
      const { hv, lab } = get();
      await Promise.all(
        vms.flatMap((spec) =>
          spec.nics.map(async (nic) => {
            const ip = await hv.guestAddress(lab, spec.name, { network: nic.network, timeoutMs: step - 10_000 });
            addresses.set(`${spec.name}/${nic.network}`, ip);
          }),
        ),
      );
      expect(addresses.size).toBe(4);
      for (const [key, ip] of addresses) {
        const net = nets.find((n) => key.endsWith(`/${n.name}`));
        expect(net, key).toBeDefined();
        expect(inSubnet(ip, net?.subnet ?? ''), `${key} = ${ip} outside ${net?.subnet}`).toBe(true);
        expect(ip, `${key} got the host's own address`).not.toBe(net?.hostAddress);
      }
      expect(new Set(addresses.values()).size).toBe(4);
      const first = await hv.guestAddress(lab, 'ct-lb1');
      expect(first).toBe(addresses.get(`ct-lb1/${nets[0].name}`));
    }, step);

    it('pulls and plugs back a NIC cable without changing the power state', async () => {
      const { hv, lab } = get();
      await hv.setLink(lab, 'ct-app1', 1, false);
      expect(await hv.state(lab, 'ct-app1')).toBe('running');
      await hv.setLink(lab, 'ct-app1', 1, true);
      expect(await hv.state(lab, 'ct-app1')).toBe('running');
    }, step);

    it('reverts a running VM to its off snapshot, then boots it again', async () => {
      const { hv, lab } = get();
      await hv.revert(lab, 'ct-db1', SNAPSHOT);
      expect(await hv.state(lab, 'ct-db1')).toBe('off');
      expect(await hv.listSnapshots(lab, 'ct-db1')).toContain(SNAPSHOT);
      await hv.start(lab, 'ct-db1');
      expect(await hv.state(lab, 'ct-db1')).toBe('running');
      const ip = await hv.guestAddress(lab, 'ct-db1', { network: nets[1].name, timeoutMs: step - 10_000 });
      expect(inSubnet(ip, nets[1].subnet)).toBe(true);
    }, step);

    it('stops one VM soft', async () => {
      const { hv, lab } = get();
      await hv.stop(lab, 'ct-lb1', 'soft');
      expect(await hv.state(lab, 'ct-lb1')).toBe('off');
    }, step);

    it('hard-stops all three (a no-op for the one already off)', async () => {
      const { hv, lab } = get();
      expect(await states()).toEqual(['off', 'running', 'running']);
      await Promise.all(names().map((n) => hv.stop(lab, n, 'hard')));
      expect(await states()).toEqual(['off', 'off', 'off']);
      for (const info of await hv.list(lab)) expect(info.state).toBe('off');
    }, step);

    it('deletes the snapshots', async () => {
      const { hv, lab } = get();
      for (const n of names()) {
        await hv.deleteSnapshot(lab, n, SNAPSHOT);
        expect(await hv.listSnapshots(lab, n)).not.toContain(SNAPSHOT);
      }
    }, step);

    it('destroys all three, idempotently, leaving list() empty', async () => {
      const { hv, lab } = get();
      await Promise.all(names().map((n) => hv.destroyVm(lab, n)));
      expect(await states()).toEqual(['absent', 'absent', 'absent']);
      for (const n of names()) await hv.destroyVm(lab, n);
      expect(await hv.list(lab)).toEqual([]);
    }, step);

    it('removes both networks, idempotently', async () => {
      const { hv, lab } = get();
      for (const net of nets) await hv.removeNetwork(lab, net.name);
      for (const net of nets) expect([undefined, 'unchanged']).toContain(await hv.removeNetwork(lab, net.name));
      expect(await hv.list(lab)).toEqual([]);
    }, step);
  });
}
