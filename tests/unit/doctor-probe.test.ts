/**
 * The doctor's throwaway-clone check against the fake vmrun. The fake has no
 * real guest: Tools and guestinfo are simulated, and SSH goes to a closed
 * port or to a real sshd on a loopback address. The VMnets of this fake host
 * are on 127.x subnets, so every address the "guest" reports is loopback.
 * Whatever happens, the clone must be gone afterwards.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeTemplate, type ProbeOptions } from '../../src-main/doctor/template-probe';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client';
import { VmxFile } from '../../src-main/hypervisor/vmware/vmx-file';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { freePort, localSshd } from '../helpers/local-sshd';

let host: FakeVmwareHost;
let client: VmrunClient;
let labsDir: string;

/** The fake's VMnets moved onto loopback: vmnet8 127.0.0.0/24 (guest .128), vmnet1 127.0.134.0/24. */
const LOOPBACK_NETWORKING = DEFAULT_NETWORKING.replace(/172\.16\.86\./g, '127.0.0.').replace(/172\.16\.134\./g, '127.0.134.');

beforeEach(async () => {
  host = await createFakeVmwareHost({ FAKE_VMRUN_IP_DELAY_MS: '300' });
  await writeFile(join(host.etcDir, 'networking'), LOOPBACK_NETWORKING);
  client = new VmrunClient({ vmrunPath: FAKE_VMRUN, platform: 'linux', retryDelayMs: 50 });
  labsDir = join(host.root, 'labs');
  await client.snapshot(host.template, 'halab-base');
});
afterEach(async () => {
  for (const k of ['FAKE_VMRUN_NO_GUESTINFO']) delete process.env[k];
  await host.cleanup();
});

async function opts(o: Partial<ProbeOptions> = {}): Promise<ProbeOptions> {
  return { client, os: 'ubuntu-22.04', template: host.template, hasSnapshot: true, labsDir, sshUser: 'root', platform: 'linux', etcDir: host.etcDir, pollMs: 150, bootTimeoutMs: 8000, sshWaitMs: 1500, sshPort: await freePort(), ...o };
}

/** Nothing of the probe is left: no folder, no VM but the template known to the fake, and (if cloned) deleteVM was called. */
async function expectCleanedUp(cloned = true, started = cloned): Promise<void> {
  expect(await readdir(labsDir).catch(() => [])).not.toContain('.doctor');
  const state = JSON.parse(await readFile(join(host.stateDir, 'state.json'), 'utf8')) as { vms: Record<string, { power: string }> };
  expect(Object.keys(state.vms).filter((k) => k.includes('halab-doctor-probe'))).toEqual([]);
  const calls = await host.calls();
  const deletes = calls.filter((c) => c.argv.includes('deleteVM'));
  expect(deletes.length).toBe(cloned ? 1 : 0);
  if (cloned) {
    // Powered off (hard) before the delete when it had been started.
    const stop = calls.findIndex((c) => c.argv.includes('stop') && c.argv.includes('hard'));
    if (started) {
      expect(stop).toBeGreaterThan(calls.findIndex((c) => c.argv.includes('start')));
      expect(stop).toBeLessThan(calls.findIndex((c) => c.argv.includes('deleteVM')));
    } else expect(stop).toBe(-1);
  }
  // The template itself was never started, and is still there.
  expect(calls.some((c) => c.argv.includes('start') && c.argv.includes(host.template))).toBe(false);
  expect(await readdir(join(host.template, '..'))).toContain('template.vmx');
}

describe('doctor: throwaway clone of a template', () => {
  it('Tools and cloud-init answer but nothing listens for SSH: a clear error, and the clone is deleted', async () => {
    const r = await probeTemplate(await opts());
    expect(r).toMatchObject({ id: 'template-guest:ubuntu-22.04', level: 'error', title: 'Template ubuntu-22.04: no SSH answer' });
    expect(r.detail).toContain('published 127.0.0.128');
    expect(r.fix).toMatch(/openssh-server/);
    const clone = (await host.calls()).find((c) => c.argv.includes('clone'));
    expect(clone!.argv).toEqual(expect.arrayContaining(['linked', '-snapshot=halab-base']));
    await expectCleanedUp();
  });

  it('the clone carries the lab-style guestinfo; with a real sshd on the guest address and the key delivered, the line is ok', async () => {
    const sshd = await localSshd('# filled in when "cloud-init" delivers the key');
    // The guest's address on this fake vmnet8 is 127.0.0.128 (127.0.0.1 stays for the helper's start check).
    const conf = join(sshd.dir, 'sshd_config');
    await writeFile(conf, (await readFile(conf, 'utf8')).replace('ListenAddress 127.0.0.1', 'ListenAddress 127.0.0.1\nListenAddress 127.0.0.128'));
    await sshd.start();
    try {
      // Play cloud-init: once the clone's .vmx has its userdata, install the key it names.
      let delivered = '';
      const deliver = (async () => {
        for (let i = 0; i < 200 && !delivered; i++) {
          const dirs = await readdir(join(labsDir, '.doctor')).catch(() => [] as string[]);
          for (const d of dirs) {
            const vmx = await VmxFile.read(join(labsDir, '.doctor', d, 'halab-doctor-probe.vmx')).catch(() => undefined);
            const userdata = vmx?.get('guestinfo.userdata');
            if (!userdata) continue;
            const key = /ssh_authorized_keys:\n\s+- (".*")/.exec(Buffer.from(userdata, 'base64').toString('utf8'))?.[1];
            if (key) {
              delivered = JSON.parse(key) as string;
              await writeFile(join(sshd.dir, 'authorized_keys'), `${delivered}\n`, { mode: 0o600 });
            }
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const r = await probeTemplate(await opts({ sshPort: sshd.port, sshWaitMs: 15_000 }));
      await deliver;
      expect(delivered).toMatch(/^ssh-ed25519 /);
      expect(r.level).toBe('ok');
      expect(r.detail).toContain('SSH as root with a lab key works');
      await expectCleanedUp();
    } finally {
      await sshd.stop();
    }
  });

  it('cloud-init\'s VMware datasource never publishes guestinfo.local-ipv4: error with the cloud-init fix, no SSH, deleted', async () => {
    process.env.FAKE_VMRUN_NO_GUESTINFO = '1';
    const r = await probeTemplate(await opts({ bootTimeoutMs: 2500 }));
    expect(r.level).toBe('error');
    expect(r.title).toContain("cloud-init's VMware datasource did not run");
    expect(r.fix).toMatch(/datasource_list: \[ VMware, None \]/);
    await expectCleanedUp();
  });

  it('Tools never run within the boot time: error naming open-vm-tools, deleted', async () => {
    process.env.FAKE_VMRUN_IP_DELAY_MS = '600000';
    const r = await probeTemplate(await opts({ bootTimeoutMs: 1500 }));
    expect(r.title).toBe('Template ubuntu-22.04: open-vm-tools did not start');
    expect(r.fix).toMatch(/open-vm-tools/);
    await expectCleanedUp();
  });

  it('vmrun start fails: error with what to do, and the clone made before it is deleted', async () => {
    await host.failNext({ start: 1 });
    const r = await probeTemplate(await opts());
    expect(r.level).toBe('error');
    expect(r.title).toContain('could not be made or started');
    expect(r.fix).toMatch(/powered off/);
    await expectCleanedUp(true, false);
  });

  it('vmrun clone fails: error, and no folder is left behind', async () => {
    await host.failNext({ clone: 1 });
    const r = await probeTemplate(await opts());
    expect(r.level).toBe('error');
    await expectCleanedUp(false);
  });

  it('canceled while waiting for the guest: a warning, and the clone is still deleted', async () => {
    process.env.FAKE_VMRUN_IP_DELAY_MS = '600000';
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1200);
    const r = await probeTemplate(await opts({ signal: ac.signal, bootTimeoutMs: 30_000 }));
    expect(r.level).toBe('warning');
    expect(r.title).toContain('canceled');
    await expectCleanedUp();
  });

  it('when VMware refuses to delete the clone, the line says so and names what to delete by hand', async () => {
    await host.failNext({ deletevm: 1 });
    const r = await probeTemplate(await opts({ sshWaitMs: 300 }));
    expect(r.level).toBe('error');
    expect(r.detail).toMatch(/The throwaway clone could not be deleted: deleteVM: /);
    expect(r.fix).toMatch(/Delete the VM "halab doctor probe \(safe to delete\)" in VMware Workstation .*then the folder .*\.doctor/);
    // Its files stay for VMware to delete (removing them under a VM it still knows would leave a broken entry), powered off.
    const [probe] = await readdir(join(labsDir, '.doctor'));
    expect(await readdir(join(labsDir, '.doctor', probe!))).toContain('halab-doctor-probe.vmx');
    expect(await client.list()).toEqual([]);
  });

  it('a template without the snapshot gets a full clone; a bridged NIC is never SSHed to', async () => {
    const vmx = await VmxFile.read(host.template);
    vmx.set('ethernet0.connectionType', 'bridged');
    await vmx.write(host.template, { state: 'off' });
    const r = await probeTemplate(await opts({ hasSnapshot: false }));
    expect((await host.calls()).find((c) => c.argv.includes('clone'))!.argv).toContain('full');
    expect(r.level).toBe('warning');
    expect(r.detail).toContain('no SSH connection was attempted');
    expect(r.fix).toMatch(/NAT/);
    await expectCleanedUp();
  });
});
