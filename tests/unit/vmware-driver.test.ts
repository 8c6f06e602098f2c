import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabRef, NetworkSpec, VmSpec } from '../../src-main/hypervisor/types.js';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver.js';
import { VmxFile } from '../../src-main/hypervisor/vmware/vmx-file.js';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client.js';
import { waitForGuestAddress } from '../../src-main/hypervisor/vmware/guest-address.js';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

const NET: NetworkSpec = { name: 'vmnet6', type: 'hostonly', subnet: '10.66.6.0/24', hostAddress: '10.66.6.1', dhcp: { start: '10.66.6.128', end: '10.66.6.254' } };

describe('VmwareDriver against the fake vmrun', () => {
  let host: FakeVmwareHost;
  let hv: VmwareDriver;
  let lab: LabRef;
  const spec = (name: string, mac: string, extra: Partial<VmSpec> = {}): VmSpec => ({
    name,
    template: host.template,
    clone: 'linked',
    vcpus: 2,
    memoryMiB: 1026,
    diskGiB: 10,
    nics: [{ network: NET.name, mac }],
    ...extra,
  });
  const vmrunCalls = async (command: string) => (await host.calls()).filter((c) => c.tool === 'vmrun' && c.argv.includes(command));

  beforeAll(async () => {
    host = await createFakeVmwareHost({ FAKE_VMRUN_BAD_IP: '1', FAKE_VMRUN_NO_GUESTINFO: '1' });
    hv = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux', softStopTimeoutMs: 1000 });
    lab = { id: 'unit', dir: host.labDir };
    await hv.ensureNetwork(lab, NET);
  });
  afterAll(async () => {
    delete process.env.FAKE_VMRUN_SOFT_STOP_MS;
    await host.cleanup();
  });

  it('clones in parallel from one base snapshot and makes each clone its own VM', async () => {
    await Promise.all([hv.createVm(lab, spec('web1', '00:50:56:21:00:01')), hv.createVm(lab, spec('web2', '00:50:56:21:00:02'))]);
    const onTemplate = (await vmrunCalls('snapshot')).filter((c) => c.argv.includes(host.template));
    expect(onTemplate).toHaveLength(1);
    expect((await vmrunCalls('start')).some((c) => c.argv.includes(host.template))).toBe(false);
    const tpl = await VmxFile.read(host.template);
    const a = await VmxFile.read(join(host.labDir, 'vms', 'web1', 'web1.vmx'));
    const b = await VmxFile.read(join(host.labDir, 'vms', 'web2', 'web2.vmx'));
    expect(a.get('uuid.bios')).not.toBe(tpl.get('uuid.bios'));
    expect(a.get('uuid.bios')).not.toBe(b.get('uuid.bios'));
    expect(a.get('numvcpus')).toBe('2');
    expect(a.get('memsize')).toBe('1028');
    expect(a.get('msg.autoAnswer')).toBe('TRUE');
    expect(a.get('displayName')).toBe('unit-web1');
    expect(a.get('ethernet0.address')).toBe('00:50:56:21:00:01');
    expect(a.get('ethernet0.addressType')).toBe('static');
    expect(a.get('ethernet0.vnet')).toBe('/dev/vmnet6');
    expect(a.get('ethernet0.virtualDev')).toBe('vmxnet3');
    expect(a.has('ethernet0.generatedAddress')).toBe(false);
    expect(a.toString()).toContain('# template built by hand; keep this comment');
    expect(await hv.state(lab, 'web1')).toBe('off');
  });

  it('refuses a MAC another lab VM already uses, and a changed spec for an existing VM', async () => {
    await expect(hv.createVm(lab, spec('web3', '00:50:56:21:00:01'))).rejects.toMatchObject({ code: 'conflict' });
    expect(await hv.state(lab, 'web3')).toBe('absent');
    await expect(hv.createVm(lab, spec('web1', '00:50:56:21:00:01', { vcpus: 4 }))).rejects.toMatchObject({ code: 'conflict' });
  });

  it('discards a bogus .1 answer from VMware Tools and finds the address in the DHCP lease', async () => {
    await hv.start(lab, 'web1');
    const ip = await hv.guestAddress(lab, 'web1', { timeoutMs: 15_000 });
    expect(ip).toMatch(/^10\.66\.6\.(1[2-9][0-9]|2[0-5][0-9])$/);
    const client = new VmrunClient({ vmrunPath: FAKE_VMRUN });
    const vmx = join(host.labDir, 'vms', 'web1', 'web1.vmx');
    const toolsOnly = waitForGuestAddress({
      client,
      vmx,
      vmName: 'web1',
      network: NET.name,
      nicIndex: 0,
      mac: '00:50:56:21:00:01',
      subnet: NET.subnet,
      hostAddress: NET.hostAddress,
      leaseFiles: [],
      timeoutMs: 2500,
      isRunning: async () => true,
    });
    await expect(toolsOnly).rejects.toThrow(/VMware Tools reported 172\.17\.0\.1, which is not on vmnet6/);
  });

  it('falls back to a hard stop when the soft stop takes too long', async () => {
    process.env.FAKE_VMRUN_SOFT_STOP_MS = '8000';
    try {
      const t0 = Date.now();
      await hv.stop(lab, 'web1', 'soft');
      expect(Date.now() - t0).toBeLessThan(6000);
    } finally {
      delete process.env.FAKE_VMRUN_SOFT_STOP_MS;
    }
    expect(await hv.state(lab, 'web1')).toBe('off');
    expect((await vmrunCalls('stop')).some((c) => c.argv.includes('hard'))).toBe(true);
  });

  it('reports suspended (not listed, .vmss present) and discards it on a hard stop', async () => {
    await hv.start(lab, 'web2');
    await hv.suspend(lab, 'web2');
    expect(await hv.state(lab, 'web2')).toBe('suspended');
    expect((await hv.list(lab)).find((v) => v.name === 'web2')?.state).toBe('suspended');
    await hv.stop(lab, 'web2', 'hard');
    expect(await hv.state(lab, 'web2')).toBe('off');
  });

  it('never changes a VMnet the lab did not create', async () => {
    const vmnet8: NetworkSpec = { name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24', hostAddress: '192.168.10.1', natGateway: '192.168.10.2', dhcp: { start: '192.168.10.128', end: '192.168.10.254' } };
    await expect(hv.ensureNetwork(lab, vmnet8)).rejects.toMatchObject({ code: 'conflict' });
    await hv.removeNetwork(lab, 'vmnet1');
    const text = await readFile(join(host.etcDir, 'networking'), 'utf8');
    expect(text.startsWith(DEFAULT_NETWORKING)).toBe(true);
    expect(text).toContain('answer VNET_6_HOSTONLY_SUBNET 10.66.6.0');
    await expect(hv.ensureNetwork(lab, { ...NET, name: 'vmnet7', hostAddress: '10.66.6.9', subnet: '10.66.7.0/24' })).rejects.toThrow(/always gives the host 10\.66\.7\.1/);
  });

  it('says clearly when changing VMnets needs root', async () => {
    process.env.FAKE_VMWARE_NETWORKS_DENY = '1';
    try {
      await expect(hv.ensureNetwork(lab, { ...NET, name: 'vmnet9', subnet: '10.66.9.0/24', hostAddress: '10.66.9.1' })).rejects.toMatchObject({ code: 'needs-admin', fix: expect.stringMatching(/sudo/) });
    } finally {
      delete process.env.FAKE_VMWARE_NETWORKS_DENY;
    }
  });

  it('destroys VMs completely', async () => {
    await hv.destroyVm(lab, 'web1');
    await hv.destroyVm(lab, 'web2');
    expect(await hv.list(lab)).toEqual([]);
  });
});

describe('VmwareDriver.checkUsable', () => {
  it('explains a missing vmrun with the fix', async () => {
    const hv = new VmwareDriver({ vmrunPath: '/nonexistent/vmrun', platform: 'linux' });
    const u = await hv.checkUsable();
    expect(u.usable).toBe(false);
    expect(u.reason).toMatch(/vmrun/);
    expect(u.fix).toMatch(/Install VMware Workstation/);
    expect(await new VmwareDriver({ platform: 'linux', env: {} }).checkUsable().then((x) => x.fix)).toMatch(/HALAB_VMRUN/);
  });

  it('recognises a stale VMware VIX vmrun', async () => {
    const host = await createFakeVmwareHost();
    try {
      const stale = join(host.root, 'vix-vmrun');
      await writeFile(
        stale,
        '#!/bin/sh\nif [ $# -eq 0 ]; then echo "vmrun version 1.13.0 build-1234"; exit 255; fi\nprintf "Unable to connect to host.\\nError: Service type VIX_SERVICEPROVIDER_VMWARE_WORKSTATION was specified, but not installed\\n"; exit 255\n',
      );
      await chmod(stale, 0o755);
      const u = await new VmwareDriver({ vmrunPath: stale, platform: 'linux' }).checkUsable();
      expect(u.usable).toBe(false);
      expect(u.reason).toMatch(/VMware VIX/);
      expect(u.fix).toMatch(/Uninstall VMware VIX/);
      const ok = await new VmwareDriver({ platform: 'linux' }).checkUsable();
      expect(ok).toMatchObject({ usable: true });
      expect(ok.details).toMatch(/vmrun version 1\.17\.0/);
    } finally {
      await host.cleanup();
    }
  });
});

describe('cloud-init guestinfo for clones', () => {
  it('gives each clone a new instance id, its hostname and the lab key for root', async () => {
    const { cloudInitGuestinfo } = await import('../../src-main/hypervisor/vmware/vm-create');
    const g = cloudInitGuestinfo({ name: 'lb-master', sshPublicKey: 'ssh-ed25519 AAAA halab-lab' }, '56 4d 12 34-ab cd');
    const meta = Buffer.from(g['guestinfo.metadata']!, 'base64').toString();
    expect(meta).toBe('instance-id: halab-564d1234abcd\nlocal-hostname: lb-master\n');
    const user = Buffer.from(g['guestinfo.userdata']!, 'base64').toString();
    expect(user).toContain('#cloud-config\ndisable_root: false');
    expect(user).toContain('  - "ssh-ed25519 AAAA halab-lab"');
    expect(g['guestinfo.userdata.encoding']).toBe('base64');
  });
});
