/**
 * VMnets that are safe to touch (issue 9, items 5 and 6), against the fake
 * vmrun / vmware-networks and a temp networking file (never /etc/vmware):
 * the vmnet8 clash and the choice; VMnets that existed before the lab
 * survive up, a failed up and down; a reconfigured vmnet8 comes back byte
 * for byte; a non-root user gets the one command to run.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostHandlers } from '../../src-main/backend/handlers/host.js';
import { run } from '../../src-main/exec/runner.js';
import { down, up } from '../../src-main/provision/provisioner.js';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate.js';
import type { LabRef, NetworkSpec } from '../../src-main/hypervisor/types.js';
import { readNetworkRecord } from '../../src-main/hypervisor/vmware/lab-store.js';
import { networkPreflight } from '../../src-main/hypervisor/vmware/preflight.js';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver.js';
import { createFakeVmwareHost, DEFAULT_NETWORKING, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

/** The host before any lab: VMware's vmnet1/vmnet8 plus a hand-made vmnet2. */
const ORIGINAL = `${DEFAULT_NETWORKING}answer VNET_2_DHCP no
answer VNET_2_HOSTONLY_NETMASK 255.255.255.0
answer VNET_2_HOSTONLY_SUBNET 10.20.2.0
answer VNET_2_NAT no
answer VNET_2_VIRTUAL_ADAPTER yes
`;

const BLUEPRINT_NAT: NetworkSpec = { name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24', hostAddress: '192.168.10.1', natGateway: '192.168.10.2', dhcp: { start: '192.168.10.128', end: '192.168.10.254' } };
const HOST_NAT: NetworkSpec = { name: 'vmnet8', type: 'nat', subnet: '172.16.86.0/24', hostAddress: '172.16.86.1', natGateway: '172.16.86.2', dhcp: { start: '172.16.86.128', end: '172.16.86.254' } };
const HANDMADE_2: NetworkSpec = { name: 'vmnet2', type: 'hostonly', subnet: '10.20.2.0/24', hostAddress: '10.20.2.1' };
const LAB_3: NetworkSpec = { name: 'vmnet3', type: 'hostonly', subnet: '10.10.30.0/24', hostAddress: '10.10.30.1' };
const LAB_4: NetworkSpec = { name: 'vmnet4', type: 'hostonly', subnet: '10.10.40.0/24', hostAddress: '10.10.40.1' };

describe('VMnets safe to touch (fake vmrun, temp networking file)', () => {
  let host: FakeVmwareHost;
  let hv: VmwareDriver;
  let lab: LabRef;
  const networking = () => readFile(join(host.etcDir, 'networking'), 'utf8');
  const toolCalls = async () => (await host.calls()).filter((c) => c.tool === 'vmware-networks');

  beforeEach(async () => {
    host = await createFakeVmwareHost();
    await writeFile(join(host.etcDir, 'networking'), ORIGINAL);
    hv = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux' });
    lab = { id: 'vmnets', dir: host.labDir };
  });
  afterEach(async () => {
    delete process.env.FAKE_VMWARE_NETWORKS_DENY;
    await host.cleanup();
  });

  it('finds the vmnet8 clash before anything runs, and up refuses it with the choice', async () => {
    const clashes = await hv.vmnetClashes([BLUEPRINT_NAT, LAB_3, HANDMADE_2]);
    expect(clashes).toHaveLength(1);
    expect(clashes[0]).toMatchObject({ vmnet: 'vmnet8', blueprintSubnet: '192.168.10.0/24', hostSubnet: '172.16.86.0/24' });
    expect(clashes[0]!.message).toMatch(/--reconfigure-vmnet8/);
    expect(clashes[0]!.message).toMatch(/Other VMs on vmnet8 lose their network/);
    expect(clashes[0]!.message).toMatch(/Edit the blueprint: set the subnet of vmnet8 to 172\.16\.86\.0\/24/);

    // The override of the config folder is honoured from the environment too (HALAB_VMWARE_ETC_DIR).
    const viaEnv = new VmwareDriver({ platform: 'linux', env: { ...process.env, HALAB_VMWARE_ETC_DIR: host.etcDir } });
    expect(viaEnv.vmwareEtcDir).toBe(host.etcDir);
    expect(await viaEnv.vmnetClashes([BLUEPRINT_NAT])).toEqual(clashes);

    const pre = await networkPreflight('vmware', [BLUEPRINT_NAT, LAB_3], { vmwareEtcDir: host.etcDir, platform: 'linux' });
    expect(pre.clashes).toEqual(clashes);
    expect(pre.lines.map((l) => [l.id, l.level])).toEqual([['vmnet8-subnet', 'error'], ['vmnet:vmnet3', 'ok']]);
    expect((await networkPreflight('linux', [BLUEPRINT_NAT])).clashes).toEqual([]);

    const refused = await hv.ensureNetwork(lab, BLUEPRINT_NAT).catch((e: unknown) => e as Error & { code: string; fix: string });
    expect(refused).toMatchObject({ code: 'conflict' });
    expect((refused as Error).message).toBe(clashes[0]!.message);
    expect((refused as { fix: string }).fix).toMatch(/halab up --reconfigure-vmnet8/);
    expect(await networking()).toBe(ORIGINAL);
    expect(await toolCalls()).toEqual([]);
  });

  it('keeps a pre-existing vmnet2 and vmnet8 through up, a failed up and down; removes only what the lab applied', async () => {
    // An old-style record (written before applying, the bug) claiming the host's networks must not make down delete them.
    await mkdir(lab.dir, { recursive: true });
    await writeFile(join(lab.dir, 'vmware-networks.json'), JSON.stringify({ created: { vmnet8: BLUEPRINT_NAT, vmnet2: { ...HANDMADE_2, subnet: '10.99.2.0/24', hostAddress: '10.99.2.1' } } }));

    // up: the existing ones are used as they are, the new one is created.
    expect(await hv.ensureNetwork(lab, HANDMADE_2)).toBe('unchanged');
    expect(await hv.ensureNetwork(lab, HOST_NAT)).toBe('unchanged');
    expect(await hv.ensureNetwork(lab, LAB_3)).toBe('changed');
    expect(await networking()).toContain('answer VNET_3_HOSTONLY_SUBNET 10.10.30.0');

    // a failed up: vmware-networks refuses (no root), and a blueprint that now wants vmnet2 elsewhere.
    process.env.FAKE_VMWARE_NETWORKS_DENY = '1';
    await expect(hv.ensureNetwork(lab, LAB_4)).rejects.toMatchObject({ code: 'needs-admin' });
    delete process.env.FAKE_VMWARE_NETWORKS_DENY;
    await expect(hv.ensureNetwork(lab, { ...HANDMADE_2, subnet: '10.30.2.0/24', hostAddress: '10.30.2.1' })).rejects.toMatchObject({ code: 'conflict' });
    const rec = await readNetworkRecord(lab);
    expect(Object.keys(rec.pending ?? {})).toEqual(['vmnet4']); // started, never applied: not the lab's own

    // down
    const logs: string[] = [];
    const log = (l: string) => logs.push(l);
    const results = [];
    for (const n of ['vmnet2', 'vmnet3', 'vmnet4', 'vmnet8']) results.push(await hv.removeNetwork(lab, n, { log }));
    expect(results).toEqual(['unchanged', 'changed', 'unchanged', 'unchanged']);
    expect(await networking()).toBe(ORIGINAL);
    expect(logs.join('\n')).toMatch(/vmnet8 was changed after this lab set it up|vmnet8 .*left/);
    const after = await readNetworkRecord(lab);
    expect(after.created).toEqual({});
    expect(after.pending ?? {}).toEqual({});
  });

  it('reconfigures vmnet8 only with the yes, and down restores the networking file byte for byte', async () => {
    expect(await hv.ensureNetwork(lab, BLUEPRINT_NAT, { reconfigureVmnet8: true })).toBe('changed');
    const changed = await networking();
    expect(changed).toContain('answer VNET_8_HOSTONLY_SUBNET 192.168.10.0');
    expect(changed).not.toMatch(/add_nat_portfwd 8|add_dhcp_mac_to_ip 8|VNET_8_DHCP_CFG_HASH/);
    expect(changed).toContain('answer VNET_1_DHCP_CFG_HASH 01F5B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3');
    expect(changed).toContain('answer VNET_2_HOSTONLY_SUBNET 10.20.2.0');
    const rec = await readNetworkRecord(lab);
    expect(rec.reconfigured?.vmnet8?.previous.linux?.map((l) => l.raw)).toEqual(ORIGINAL.split('\n').filter((l) => / VNET_8_|_(portfwd|to_ip) 8 /.test(l)));
    expect(rec.created.vmnet8).toBeUndefined();

    // Later runs need no yes: it is the lab's now. Another lab network comes and goes meanwhile.
    expect(await hv.ensureNetwork(lab, BLUEPRINT_NAT)).toBe('unchanged');
    expect(await hv.ensureNetwork(lab, LAB_3)).toBe('changed');
    expect(await hv.vmnetClashes([BLUEPRINT_NAT], lab)).toEqual([]);

    expect(await hv.removeNetwork(lab, 'vmnet8')).toBe('changed');
    expect(await hv.removeNetwork(lab, 'vmnet3')).toBe('changed');
    expect(await networking()).toBe(ORIGINAL);
    expect(await readNetworkRecord(lab)).toMatchObject({ created: {}, reconfigured: {} });
  });

  it('leaves vmnet8 alone on down when someone changed it after the lab, and says what it was before', async () => {
    expect(await hv.ensureNetwork(lab, BLUEPRINT_NAT, { reconfigureVmnet8: true })).toBe('changed');
    const byHand = (await networking()).replace('answer VNET_8_HOSTONLY_SUBNET 192.168.10.0', 'answer VNET_8_HOSTONLY_SUBNET 192.168.99.0');
    await writeFile(join(host.etcDir, 'networking'), byHand);
    const logs: string[] = [];
    expect(await hv.removeNetwork(lab, 'vmnet8', { log: (l) => logs.push(l) })).toBe('unchanged');
    expect(await networking()).toBe(byHand);
    expect(logs.join('\n')).toMatch(/vmnet8 was changed after this lab set it up \(now 192\.168\.99\.0\/24.*left as it is\. Before the lab it was: .*answer VNET_8_HOSTONLY_SUBNET 172\.16\.86\.0/);
  });

  it('as a user without root: nothing changes, the exact command is printed, and after running it the VMnet is the lab\'s own', async () => {
    const emptyPath = join(host.root, 'no-tools');
    await mkdir(emptyPath);
    const user = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux', elevation: { uid: 1000, canWrite: async () => false, env: { PATH: emptyPath } } });

    // Two network steps at once (as up starts them): one root step, one command for both.
    const [err, err4] = (await Promise.all([user.ensureNetwork(lab, LAB_3).catch((e: unknown) => e), user.ensureNetwork(lab, LAB_4).catch((e: unknown) => e)])) as (Error & { code: string; fix: string })[];
    expect(err4).toBe(err);
    expect(err!.code).toBe('needs-admin');
    expect(err!.message).toMatch(/needs root rights once .*Nothing was changed/);
    const script = join(lab.dir, 'vmnet-apply', 'apply-vmnets.sh');
    expect(err!.fix).toContain(`sudo /bin/sh '${script}'`);
    expect(await networking()).toBe(ORIGINAL);
    expect(await toolCalls()).toEqual([]);
    expect((await readNetworkRecord(lab)).created).toEqual({});

    // A command prepared earlier never overwrites changes made since (another lab, the editor): it does nothing.
    const command = /sudo (\/bin\/sh '[^']+')/.exec(err!.fix)![1]!;
    expect(command).toBe(`/bin/sh '${script}'`);
    const meanwhile = `${ORIGINAL}answer VNET_5_HOSTONLY_SUBNET 10.50.5.0\n`;
    await writeFile(join(host.etcDir, 'networking'), meanwhile);
    const stale = await run(['/bin/sh', script], { okExitCodes: [5] });
    expect(stale.stderr).toMatch(/changed since this step was prepared; nothing was changed/);
    expect(await networking()).toBe(meanwhile);
    await writeFile(join(host.etcDir, 'networking'), ORIGINAL);

    // The user runs the printed command (here we already are root, so without the sudo in front).
    await run(['/bin/sh', script]);
    const block = (n: number) => `answer VNET_${n}_DHCP no\nanswer VNET_${n}_HOSTONLY_NETMASK 255.255.255.0\nanswer VNET_${n}_HOSTONLY_SUBNET 10.10.${n}0.0\nanswer VNET_${n}_NAT no\nanswer VNET_${n}_VIRTUAL_ADAPTER yes\n`;
    expect(await networking()).toBe(`${ORIGINAL}${block(3)}${block(4)}`);
    expect((await toolCalls()).map((c) => c.argv[0])).toEqual(['--stop', '--migrate-network-settings', '--stop', '--start']);

    // The next up finds them applied: now (and only now) the lab's own.
    expect(await Promise.all([user.ensureNetwork(lab, LAB_3), user.ensureNetwork(lab, LAB_4)])).toEqual(['unchanged', 'unchanged']);
    expect((await readNetworkRecord(lab)).created).toEqual({ vmnet3: LAB_3, vmnet4: LAB_4 });

    // down needs the same one step; after it, the file is as before the lab.
    const downErrs = (await Promise.all(['vmnet3', 'vmnet4'].map((n) => user.removeNetwork(lab, n).catch((e: unknown) => e)))) as { code: string; fix: string }[];
    expect(downErrs.map((e) => e.code)).toEqual(['needs-admin', 'needs-admin']);
    await run(['/bin/sh', script]);
    expect(await networking()).toBe(ORIGINAL);
    expect(await user.removeNetwork(lab, 'vmnet3')).toBe('unchanged');
    expect(await user.removeNetwork(lab, 'vmnet4')).toBe('unchanged');
    expect((await readNetworkRecord(lab)).created).toEqual({});
  });

  it('the shipped seed lab: up refuses the clashes before anything runs; with the yes, an interrupted up and then down leave the host as it was', async () => {
    const text = await readFile(join(__dirname, '..', '..', 'lab-blueprints', 'vmware-3tier-ha.yaml'), 'utf8');
    const resolved = validateBlueprintText(text).resolved!;
    expect(resolved).toBeDefined();
    const templates = { 'ubuntu-22.04': host.template };

    // vmnet8 (random host subnet) and the hand-made vmnet2 both clash: refused before any step.
    const refused = (await up({ hv, lab, resolved, stage: 'vms', templates }).catch((e: unknown) => e)) as Error & { code: string };
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/vmnet8 \(VMware's NAT network\) on this PC is 172\.16\.86\.0\/24/);
    expect(refused.message).toMatch(/vmnet2 already exists on this PC as 10\.20\.2\.0\/24/);
    // The yes is for vmnet8 only: the hand-made vmnet2 is still refused.
    await expect(up({ hv, lab, resolved, stage: 'vms', templates, reconfigureVmnet8: true })).rejects.toThrow(/vmnet2 already exists/);
    expect((await host.calls()).filter((c) => c.tool === 'vmware-networks' || c.argv.includes('clone'))).toEqual([]);
    expect(await networking()).toBe(ORIGINAL);

    // A host without the hand-made vmnet2: with the yes, up reconfigures vmnet8 and creates vmnet2 and the VMs;
    // it is canceled (Ctrl-C) as soon as a VM starts, before any guest is contacted.
    await writeFile(join(host.etcDir, 'networking'), DEFAULT_NETWORKING);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const ac = new AbortController();
    const result = await up({
      hv,
      lab,
      resolved,
      stage: 'vms',
      templates,
      reconfigureVmnet8: true,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'start' && e.step.endsWith(':start')) ac.abort();
      },
    });
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    expect(result.canceled).toBe(true);
    expect(result.changed).toEqual(expect.arrayContaining(['net:vmnet8', 'net:vmnet2']));
    expect(result.changed.some((s) => s.endsWith(':create'))).toBe(true);
    expect(await networking()).toContain('answer VNET_8_HOSTONLY_SUBNET 192.168.10.0');
    for (const f of result.failed) expect(f.error).not.toMatch(/could not be run|Install VMware/i);

    const migrations = async () => (await toolCalls()).filter((c) => c.argv[0] === '--migrate-network-settings').length;
    expect(await migrations()).toBe(1); // vmnet8 and vmnet2 in one root step
    await down({ hv, lab, resolved });
    expect(await migrations()).toBe(2);
    expect(await networking()).toBe(DEFAULT_NETWORKING);
    expect(await hv.list(lab)).toEqual([]);
  }, 120_000);

  it('lab:preflight (the Provision screen): the clash with the choice on VMware, none on the Linux lab', async () => {
    const text = await readFile(join(__dirname, '..', '..', 'lab-blueprints', 'vmware-3tier-ha.yaml'), 'utf8');
    const dataDir = join(host.root, 'data');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify({ vmwareEtcDir: host.etcDir, labsDir: join(host.root, 'labs') }));
    const preflight = hostHandlers({ dataDir })['lab:preflight'];
    const saved = process.env.HALAB_VMWARE_ETC_DIR;
    delete process.env.HALAB_VMWARE_ETC_DIR;
    try {
      const vmware = await preflight({ text, provider: 'vmware' });
      expect(vmware.provider).toBe('vmware');
      expect(vmware.clashes.map((c) => [c.vmnet, c.hostSubnet, c.blueprintSubnet])).toEqual([
        ['vmnet8', '172.16.86.0/24', '192.168.10.0/24'],
        ['vmnet2', '10.20.2.0/24', '10.0.0.0/24'],
      ]);
      expect(vmware.lines.find((l) => l.id === 'vmnet8-subnet')).toMatchObject({ level: 'error', fix: expect.stringMatching(/--reconfigure-vmnet8/) });
      // No provider asked, none recorded: the first usable one (the fake vmrun is found through HALAB_VMRUN).
      expect((await preflight({ text })).provider).toBe('vmware');
      expect(await preflight({ text, provider: 'linux' })).toMatchObject({ provider: 'linux', clashes: [] });
      await expect(preflight({ text: 'apiVersion: halab/v1\nkind: Lab\n' })).rejects.toMatchObject({ code: 'invalid-blueprint' });
      expect(await networking()).toBe(ORIGINAL);
    } finally {
      if (saved !== undefined) process.env.HALAB_VMWARE_ETC_DIR = saved;
    }
  });
});
