/**
 * Driver robustness against the fake vmrun (issue 9, item 8): the address
 * wait outlives transient failures, polls at most once a second, leaks no
 * abort listeners; Ctrl-C is "canceled"; a half-made VM is re-created and
 * counts as a change; checkUsable runs once; network steps say "changed".
 */
import { getEventListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LabRef, NetworkSpec, VmSpec } from '../../src-main/hypervisor/types.js';
import { waitForGuestAddress } from '../../src-main/hypervisor/vmware/guest-address.js';
import { sleep, VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client.js';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver.js';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

/**
 * Calls start a second apart; the fake logs each when its node process is up, which varies by a few
 * hundred ms on a busy machine, so gaps are checked against a looser bound (two calls at once were 0 ms).
 */
const GAP_SEEN_MS = 600;

const NET: NetworkSpec = { name: 'vmnet6', type: 'hostonly', subnet: '10.66.6.0/24', hostAddress: '10.66.6.1', dhcp: { start: '10.66.6.128', end: '10.66.6.254' } };

describe('VMware driver robustness (fake vmrun)', () => {
  let host: FakeVmwareHost;
  let hv: VmwareDriver;
  let lab: LabRef;
  const spec = (name: string, mac: string): VmSpec => ({ name, template: host.template, clone: 'linked', vcpus: 1, memoryMiB: 512, diskGiB: 10, nics: [{ network: NET.name, mac }] });
  const vmrunCallsBetween = async (t0: number, t1: number) => (await host.calls()).filter((c) => c.tool === 'vmrun' && c.t >= t0 && c.t <= t1);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

  beforeAll(async () => {
    host = await createFakeVmwareHost({ FAKE_VMRUN_NO_GUESTINFO: '1' });
    hv = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux', softStopTimeoutMs: 1000 });
    lab = { id: 'robust', dir: host.labDir };
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await host.cleanup();
  });
  afterEach(async () => {
    delete process.env.FAKE_VMRUN_IP_DELAY_MS;
    delete process.env.FAKE_VMRUN_OP_MS;
    await host.failNext({});
  });

  it('says "changed" when a network step creates the VMnet, "unchanged" the second time, and "changed" when down removes it', async () => {
    expect(await hv.ensureNetwork(lab, NET)).toBe('changed');
    expect(await hv.ensureNetwork(lab, NET)).toBe('unchanged');
    const spare: NetworkSpec = { ...NET, name: 'vmnet7', subnet: '10.66.7.0/24', hostAddress: '10.66.7.1', dhcp: undefined };
    expect(await hv.ensureNetwork(lab, spare)).toBe('changed');
    expect(await hv.removeNetwork(lab, 'vmnet7')).toBe('changed');
    expect(await hv.removeNetwork(lab, 'vmnet7')).toBe('unchanged');
  });

  it('runs checkUsable once per driver instance (one command)', async () => {
    const fresh = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux' });
    const t0 = Date.now();
    const [a, b] = await Promise.all([fresh.checkUsable(), fresh.checkUsable()]);
    const c = await fresh.checkUsable();
    expect([a.usable, b.usable, c.usable]).toEqual([true, true, true]);
    const calls = await vmrunCallsBetween(t0, Date.now());
    expect(calls.filter((x) => x.argv.length === 0)).toHaveLength(1); // the version banner
    expect(calls.filter((x) => x.argv.includes('list'))).toHaveLength(1);
  });

  it('re-creates a VM left half-made by an interrupted run, and reports it absent until then (so the step says "changed")', async () => {
    await hv.createVm(lab, spec('half', '00:50:56:26:00:01'));
    expect(await hv.state(lab, 'half')).toBe('off');
    // An interrupted run: the clone and its .vmx exist, the record written last does not.
    await rm(join(host.labDir, 'vms', 'half', 'halab-vm.json'));
    expect(await hv.state(lab, 'half')).toBe('absent');
    expect((await hv.list(lab)).map((v) => v.name)).not.toContain('half');
    await hv.createVm(lab, spec('half', '00:50:56:26:00:01'));
    expect(await hv.state(lab, 'half')).toBe('off');
    await hv.destroyVm(lab, 'half');
    expect(await hv.state(lab, 'half')).toBe('absent');
  });

  it('keeps waiting for an address through transient vmrun failures, at most one vmrun call per second, with no listener left behind', async () => {
    process.env.FAKE_VMRUN_IP_DELAY_MS = '6000';
    await hv.createVm(lab, spec('slow', '00:50:56:26:00:02'));
    await hv.start(lab, 'slow');
    // Workstation "busy" for a while: every list / readVariable / getGuestIPAddress fails a few times.
    await host.failNext({ list: 4, readvariable: 4, getguestipaddress: 3 });
    const outer = new AbortController();
    const t0 = Date.now();
    const ip = await hv.guestAddress(lab, 'slow', { timeoutMs: 20_000, signal: outer.signal });
    const t1 = Date.now();
    expect(ip).toMatch(/^10\.66\.6\.\d+$/);
    expect(t1 - t0).toBeGreaterThan(4000);
    const calls = await vmrunCallsBetween(t0, t1);
    // No more than one call started per second of waiting (plus the first one at t0).
    expect(calls.length).toBeLessThanOrEqual(Math.floor((t1 - t0) / 1000) + 1);
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.t - calls[i - 1]!.t).toBeGreaterThanOrEqual(GAP_SEEN_MS);
    expect(calls.filter((c) => c.argv.includes('getGuestIPAddress')).length).toBeGreaterThanOrEqual(2);
    expect(getEventListeners(outer.signal, 'abort')).toHaveLength(0);
    expect(warnings.filter((w) => /MaxListenersExceeded/.test(w))).toEqual([]);
    await host.failNext({});
    await hv.stop(lab, 'slow', 'hard');
  }, 40_000);

  it('does not give up when the running check fails transiently many times in a row (old: 2 retries, then the wait aborted)', async () => {
    process.env.FAKE_VMRUN_IP_DELAY_MS = '9000';
    await hv.createVm(lab, spec('slow2', '00:50:56:26:00:04'));
    await hv.start(lab, 'slow2');
    const client = new VmrunClient({ vmrunPath: FAKE_VMRUN });
    const vmx = join(host.labDir, 'vms', 'slow2', 'slow2.vmx');
    await host.failNext({ list: 3 });
    const t0 = Date.now();
    const ip = await waitForGuestAddress({
      client,
      vmx,
      vmName: 'slow2',
      network: NET.name,
      nicIndex: 1, // lease file only, so every vmrun call of the wait is the running check
      mac: '00:50:56:26:00:04',
      subnet: NET.subnet,
      leaseFiles: [join(host.etcDir, 'vmnet6', 'dhcpd', 'dhcpd.leases')],
      timeoutMs: 20_000,
      runningCheckMs: 1000,
      isRunning: () => client.isRunning(vmx, { quiet: true, retries: 0 }),
    });
    const lists = (await vmrunCallsBetween(t0, Date.now())).filter((c) => c.argv.includes('list'));
    expect(ip).toMatch(/^10\.66\.6\.\d+$/);
    expect(lists.length).toBeGreaterThanOrEqual(4); // three failures in a row, then an answer
    for (let i = 1; i < lists.length; i++) expect(lists[i]!.t - lists[i - 1]!.t).toBeGreaterThanOrEqual(GAP_SEEN_MS);
    await hv.stop(lab, 'slow2', 'hard');
  }, 40_000);

  it('leaves no abort listener behind after many short pauses on one signal', async () => {
    const signal = new AbortController().signal;
    for (let i = 0; i < 30; i++) await sleep(1, signal);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    const client = new VmrunClient({ vmrunPath: FAKE_VMRUN });
    const vmx = join(host.labDir, 'vms', 'slow', 'slow.vmx');
    const q = { client, vmx, vmName: 'slow', network: NET.name, nicIndex: 1, mac: '00:50:56:26:00:09', leaseFiles: [], timeoutMs: 1500, pollMs: 10, isRunning: async () => true, signal };
    await expect(waitForGuestAddress(q)).rejects.toThrow(/got no address/);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(warnings.filter((w) => /MaxListenersExceeded/.test(w))).toEqual([]);
  });

  it('reports Ctrl-C as canceled, never as "vmrun could not be run / install VMware"', async () => {
    await hv.createVm(lab, spec('ctrlc', '00:50:56:26:00:03'));
    await hv.createVm(lab, spec('ctrlc2', '00:50:56:26:00:05'));
    process.env.FAKE_VMRUN_OP_MS = '4000';
    const t0 = Date.now();
    const starting = hv.start(lab, 'ctrlc').catch((e: unknown) => e);
    // Ctrl-C in a terminal: SIGINT reaches vmrun itself (same process group).
    let pid: number | undefined;
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const start = (await host.calls()).find((c) => c.tool === 'vmrun' && c.argv.includes('start') && c.t >= t0) as { pid?: number } | undefined;
      pid = start?.pid;
    }
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGINT');
    const err = (await starting) as Error & { code?: string; fix?: string };
    expect(err.code).toBe('canceled');
    expect(err.message).toMatch(/canceled/);
    expect(`${err.message} ${err.fix ?? ''}`).not.toMatch(/could not be run|Install VMware/i);

    // The same through our own cancel (the task's AbortSignal), on another VM (the killed vmrun left ctrlc busy).
    const ac = new AbortController();
    const again = hv.start(lab, 'ctrlc2', { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 500);
    const err2 = (await again) as Error & { code?: string };
    expect(err2.code).toBe('canceled');
    expect(err2.message).toMatch(/^Starting ctrlc2 was canceled/);
  }, 30_000);
});
