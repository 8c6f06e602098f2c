import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCommandLog, run } from '../../src-main/exec/runner.js';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client.js';
import { VmrunError } from '../../src-main/hypervisor/vmware/vmrun-errors.js';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

describe('VmrunClient against the fake vmrun', () => {
  let host: FakeVmwareHost;
  let client: VmrunClient;
  let vmx: string;
  let other: string;
  const count = async (command: string) => (await host.calls()).filter((c) => c.tool === 'vmrun' && c.argv.includes(command)).length;

  beforeAll(async () => {
    host = await createFakeVmwareHost({ FAKE_VMRUN_GUI_HOLD_MS: '30000' });
    client = new VmrunClient({ vmrunPath: FAKE_VMRUN, retryDelayMs: 50 });
    await client.snapshot(host.template, 'halab-base');
    vmx = join(host.labDir, 'vms', 'a', 'a.vmx');
    other = join(host.labDir, 'vms', 'b', 'b.vmx');
    await client.clone(host.template, vmx, 'linked', { snapshot: 'halab-base', cloneName: 'a' });
    await client.clone(host.template, other, 'linked', { snapshot: 'halab-base', cloneName: 'b' });
  });
  afterAll(async () => {
    await host.cleanup();
  });

  it('returns from `start gui` in seconds although a child keeps vmrun\'s pipes open', async () => {
    const t0 = Date.now();
    await client.start(vmx, 'gui');
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5000);
    const holders = (await readFile(join(host.stateDir, 'holders.txt'), 'utf8')).split('\n').filter(Boolean).map(Number);
    expect(holders.length).toBeGreaterThan(0);
    expect(() => process.kill(holders[0] ?? -1, 0)).not.toThrow();
    expect(await client.isRunning(vmx)).toBe(true);
    await client.stop(vmx, 'hard');
  });

  it('retries a read-only command (list) after a transient failure', async () => {
    const before = await count('list');
    await host.failNext({ list: 1 });
    await expect(client.list()).resolves.toEqual([]);
    expect((await count('list')) - before).toBe(2);
  });

  it('never retries a mutating command (start)', async () => {
    const before = await count('start');
    await host.failNext({ start: 1 });
    const err = await client.start(vmx, 'nogui').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmrunError);
    expect((err as VmrunError).transient).toBe(true);
    expect((await count('start')) - before).toBe(1);
    expect(await client.isRunning(vmx)).toBe(false);
  });

  it('gives up on a read-only command after the retries are used up', async () => {
    const before = await count('listSnapshots');
    await host.failNext({ listsnapshots: 5 });
    await expect(client.listSnapshots(vmx)).rejects.toMatchObject({ kind: 'cannot-read-config' });
    expect((await count('listSnapshots')) - before).toBe(3);
    await host.failNext({});
  });

  it('serializes mutating commands per VM (the fake refuses overlapping ones)', async () => {
    process.env.FAKE_VMRUN_OP_MS = '300';
    try {
      const raw = await Promise.allSettled([1, 2, 3].map((i) => run([FAKE_VMRUN, '-T', 'ws', 'snapshot', other, `raw-${i}`])));
      expect(raw.some((r) => r.status === 'rejected')).toBe(true);
      const viaClient = await Promise.allSettled([1, 2, 3].map((i) => client.snapshot(vmx, `s-${i}`)));
      expect(viaClient.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(await client.listSnapshots(vmx)).toEqual(expect.arrayContaining(['s-1', 's-2', 's-3']));
    } finally {
      delete process.env.FAKE_VMRUN_OP_MS;
    }
  });

  it('classifies `Error:` text on stdout and records failure details', async () => {
    const err = await client.stop(vmx, 'hard').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'not-powered-on', exitCode: 255 });
    expect((err as Error).message).toMatch(/not powered on/);
    const details = client.failureDetails();
    expect(details.lastCommand).toMatch(/-T ws stop .*a\.vmx hard$/);
    expect(details.lastOutput).toMatch(/^Error: The virtual machine is not powered on/);
    await expect(client.revertToSnapshot(vmx, 'nope')).rejects.toMatchObject({ kind: 'snapshot-missing' });
  });

  it('masks guest passwords in the log line and in failure details', async () => {
    const lines: string[] = [];
    const off = onCommandLog((l) => lines.push(l));
    try {
      await client.readVariable(vmx, 'guestEnv', 'PATH', { guestAuth: { user: 'lab', password: 's3cret-pw' } }).catch(() => undefined);
    } finally {
      off();
    }
    expect(lines.join('\n')).toContain('-gp ****');
    expect(lines.join('\n')).not.toContain('s3cret-pw');
    expect(client.failureDetails().lastCommand).not.toContain('s3cret-pw');
  });

  it('bounds `getGuestIPAddress -wait` with its own timeout', async () => {
    // NIC on vmnet5, which has no DHCP on this host: Tools never report an address.
    const { VmxFile } = await import('../../src-main/hypervisor/vmware/vmx-file.js');
    const file = await VmxFile.read(other);
    file.set('ethernet0.connectionType', 'custom').set('ethernet0.vnet', '/dev/vmnet5');
    await file.write(other, { state: 'off' });
    await client.start(other, 'nogui');
    const t0 = Date.now();
    await expect(client.getGuestIPAddress(other, { wait: true, timeoutMs: 1500 })).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(6000);
    await client.stop(other, 'hard');
  });

  it('reads the version banner although vmrun exits non-zero there', async () => {
    await expect(client.version()).resolves.toMatchObject({ version: '1.17.0', build: '24995812' });
  });
});
