import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNetworkRecord } from '../../src-main/hypervisor/vmware/lab-store.js';
import { VmnetManager } from '../../src-main/hypervisor/vmware/vmnet-manager.js';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client.js';
import { applyNetworking, applyScript, detectElevation, linuxLeasePath, NetworkingFile, readNetworking } from '../../src-main/hypervisor/vmware/vmnet-linux.js';
import { CommandError } from '../../src-main/exec/runner.js';
import { elevatedVnetlibArgv, vnetlibEnsureCommands, vnetlibRemoveCommands, ensureWindowsVnet } from '../../src-main/hypervisor/vmware/vmnet-windows.js';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, FAKE_VMWARE_NETWORKS, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

describe('Linux networking file', () => {
  it('adds a VMnet and leaves every line of the other VMnets untouched', () => {
    const file = NetworkingFile.parse(DEFAULT_NETWORKING);
    file.set(2, { subnet: '10.10.20.0', netmask: '255.255.255.0', dhcp: true, nat: false, virtualAdapter: true });
    const text = file.toString();
    expect(text.startsWith(DEFAULT_NETWORKING)).toBe(true);
    expect(text.slice(DEFAULT_NETWORKING.length).trim().split('\n')).toEqual([
      'answer VNET_2_DHCP yes',
      'answer VNET_2_HOSTONLY_NETMASK 255.255.255.0',
      'answer VNET_2_HOSTONLY_SUBNET 10.10.20.0',
      'answer VNET_2_NAT no',
      'answer VNET_2_VIRTUAL_ADAPTER yes',
    ]);
    expect(NetworkingFile.parse(text).get(2)).toEqual({ subnet: '10.10.20.0', netmask: '255.255.255.0', dhcp: true, nat: false, virtualAdapter: true });
  });

  it('updates a VMnet in place, dropping its stale DHCP hash, and removes one with its port forwards and reservations', () => {
    const file = NetworkingFile.parse(DEFAULT_NETWORKING);
    file.set(8, { subnet: '192.168.10.0', netmask: '255.255.255.0', dhcp: true, nat: true, virtualAdapter: true });
    const lines = file.toString().split('\n');
    expect(lines).toContain('answer VNET_8_HOSTONLY_SUBNET 192.168.10.0');
    expect(lines.some((l) => l.startsWith('answer VNET_8_DHCP_CFG_HASH'))).toBe(false);
    expect(lines).toContain('answer VNET_1_DHCP_CFG_HASH 01F5B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3');
    file.remove(8);
    const after = file.toString();
    expect(after).not.toMatch(/VNET_8_|add_nat_portfwd 8|add_dhcp_mac_to_ip 8/);
    expect(after).toContain('answer VNET_1_HOSTONLY_SUBNET 172.16.134.0');
    expect(file.vnets()).toEqual([1]);
  });

  describe('applying with vmware-networks (fake)', () => {
    let host: FakeVmwareHost;
    beforeEach(async () => {
      host = await createFakeVmwareHost();
    });
    afterEach(async () => {
      delete process.env.FAKE_VMWARE_NETWORKS_DENY;
      delete process.env.FAKE_VMWARE_NETWORKS_MIGRATE_FAIL;
      await host.cleanup();
    });

    it('migrates from a temp copy, restarts, and keeps the DHCP leases the migration resets', async () => {
      const leases = linuxLeasePath(host.etcDir, 8);
      await mkdir(join(host.etcDir, 'vmnet8', 'dhcpd'), { recursive: true });
      await writeFile(leases, 'lease 172.16.86.130 {\n  hardware ethernet 00:50:56:00:00:01;\n}\n');
      const file = await readNetworking(host.etcDir);
      file.set(3, { subnet: '10.10.30.0', netmask: '255.255.255.0', dhcp: false, nat: false, virtualAdapter: true });
      await applyNetworking(file, { etcDir: host.etcDir, vmwareNetworks: FAKE_VMWARE_NETWORKS });
      expect(await readFile(leases, 'utf8')).toContain('00:50:56:00:00:01');
      const seen = await readFile(join(host.etcDir, 'networking'), 'utf8');
      expect(seen.startsWith(DEFAULT_NETWORKING)).toBe(true);
      expect(seen).toContain('answer VNET_3_HOSTONLY_SUBNET 10.10.30.0');
      const ops = (await host.calls()).filter((c) => c.tool === 'vmware-networks').map((c) => c.argv[0]);
      expect(ops).toEqual(['--stop', '--migrate-network-settings', '--stop', '--start']);
    });

    it('puts the old networking file and leases back and starts the networks again when the migration fails', async () => {
      const leases = linuxLeasePath(host.etcDir, 8);
      await mkdir(join(host.etcDir, 'vmnet8', 'dhcpd'), { recursive: true });
      await writeFile(leases, 'lease 172.16.86.131 {\n  hardware ethernet 00:50:56:00:00:02;\n}\n');
      process.env.FAKE_VMWARE_NETWORKS_MIGRATE_FAIL = '1';
      try {
        const file = (await readNetworking(host.etcDir)).set(3, { subnet: '10.10.30.0', netmask: '255.255.255.0', dhcp: false, nat: false, virtualAdapter: true });
        const err = (await applyNetworking(file, { etcDir: host.etcDir, vmwareNetworks: FAKE_VMWARE_NETWORKS }).catch((e: unknown) => e)) as Error & { code: string };
        expect(err.code).toBe('failed');
        expect(err.message).toMatch(/the previous ones were put back/);
      } finally {
        delete process.env.FAKE_VMWARE_NETWORKS_MIGRATE_FAIL;
      }
      expect(await readFile(join(host.etcDir, 'networking'), 'utf8')).toBe(DEFAULT_NETWORKING);
      expect(await readFile(leases, 'utf8')).toContain('00:50:56:00:00:02');
      const ops = (await host.calls()).filter((c) => c.tool === 'vmware-networks').map((c) => c.argv[0]);
      expect(ops).toEqual(['--stop', '--migrate-network-settings', '--start']);
      expect(JSON.parse(await readFile(join(host.stateDir, 'state.json'), 'utf8')).networksRunning).toBe(true);
    });

    it('says root is needed when vmware-networks refuses', async () => {
      process.env.FAKE_VMWARE_NETWORKS_DENY = '1';
      const file = await readNetworking(host.etcDir);
      await expect(applyNetworking(file, { etcDir: host.etcDir, vmwareNetworks: FAKE_VMWARE_NETWORKS })).rejects.toMatchObject({ code: 'needs-admin' });
    });
  });
});

describe('Linux: the one root step for VMnet changes', () => {
  const paths = { etcDir: '/etc/vmware', vmwareNetworks: '/usr/bin/vmware-networks' };
  const ok = async (argv: string[]) => ({ argv, stdout: '', stderr: '', exitCode: 0, durationMs: 1 });
  const refused = async (argv: string[]): Promise<never> => {
    throw new CommandError('sudo exited with code 1', argv, '', 'sudo: a password is required', 1, 'exit');
  };
  const which = (have: string[]) => async (name: string) => (have.includes(name) ? `/usr/bin/${name}` : undefined);

  it('runs directly as root or with a writable folder; else sudo -n when it needs no prompt, else pkexec in a desktop session, else none', async () => {
    expect(await detectElevation(paths, { uid: 0, canWrite: async () => false })).toEqual({ kind: 'direct' });
    expect(await detectElevation(paths, { uid: 1000, canWrite: async () => true })).toEqual({ kind: 'direct' });
    const user = { uid: 1000, canWrite: async () => false };
    expect(await detectElevation(paths, { ...user, which: which(['sudo', 'pkexec']), runner: ok, env: {} })).toEqual({ kind: 'sudo', prefix: ['/usr/bin/sudo', '-n'] });
    expect(await detectElevation(paths, { ...user, which: which(['sudo', 'pkexec']), runner: refused, env: { DISPLAY: ':0' } })).toEqual({ kind: 'pkexec', prefix: ['/usr/bin/pkexec'] });
    expect(await detectElevation(paths, { ...user, which: which(['sudo', 'pkexec']), runner: refused, env: {} })).toEqual({ kind: 'none' });
    expect(await detectElevation(paths, { ...user, which: which([]), runner: ok, env: { WAYLAND_DISPLAY: 'wayland-0' } })).toEqual({ kind: 'none' });
  });

  it('makes ONE elevated call for the whole change, and prints the exact command when pkexec is dismissed', async () => {
    const stage = await mkdtemp(join(tmpdir(), 'halab-stage-'));
    try {
      const ran: string[][] = [];
      const runner = async (argv: string[]) => {
        ran.push(argv);
        return { argv, stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
      };
      const file = NetworkingFile.parse(DEFAULT_NETWORKING).set(3, { subnet: '10.10.30.0', netmask: '255.255.255.0', dhcp: false, nat: false, virtualAdapter: true });
      await applyNetworking(file, paths, { stageDir: stage, base: null, elevation: { kind: 'pkexec', prefix: ['/usr/bin/pkexec'] }, runner });
      const script = join(stage, 'apply-vmnets.sh');
      expect(ran).toEqual([['/usr/bin/pkexec', '/bin/sh', script]]);
      expect(await readFile(join(stage, 'networking.prepared'), 'utf8')).toBe(file.toString());
      const text = await readFile(script, 'utf8');
      // /etc/vmware/networking does not exist here: the script insists it still does not.
      expect(text).toContain(`set -- '${join(stage, 'networking.prepared')}' '' '/etc/vmware' '/usr/bin/vmware-networks' '/etc/vmware/vmnet1/dhcpd/dhcpd.leases' '/etc/vmware/vmnet8/dhcpd/dhcpd.leases'`);
      expect(text.match(/"\$vn" --[a-z-]+/g)).toEqual(['"$vn" --stop', '"$vn" --migrate-network-settings', '"$vn" --start', '"$vn" --stop', '"$vn" --start']);

      const dismissed = async (argv: string[]): Promise<never> => {
        throw new CommandError('pkexec exited with code 126', argv, '', 'Error executing command as another user: Not authorized', 126, 'exit');
      };
      const err = (await applyNetworking(file, paths, { stageDir: stage, base: null, elevation: { kind: 'pkexec', prefix: ['/usr/bin/pkexec'] }, runner: dismissed }).catch((e: unknown) => e)) as { code: string; fix: string };
      expect(err.code).toBe('needs-admin');
      expect(err.fix).toContain(`sudo /bin/sh '${script}'`);
      const none = (await applyNetworking(file, paths, { stageDir: stage, base: null, elevation: { kind: 'none' }, runner }).catch((e: unknown) => e)) as { code: string; fix: string };
      expect(none.code).toBe('needs-admin');
      expect(ran).toHaveLength(1);
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  });

  it('quotes paths with spaces and quotes in the script', async () => {
    const text = applyScript("/home/o'neil/my labs/networking.prepared", { etcDir: '/etc/vmware', vmwareNetworks: '/usr/bin/vmware-networks' }, []);
    expect(text).toContain(`set -- '/home/o'\\''neil/my labs/networking.prepared' '' '/etc/vmware' '/usr/bin/vmware-networks'`);
  });
});

describe('Windows vnetlib', () => {
  it('builds the vnetlib64 command lines for a new NAT VMnet with DHCP, and for removal', () => {
    const cmds = vnetlibEnsureCommands({ index: 3, subnet: '10.10.30.0', netmask: '255.255.255.0', hostAddress: '10.10.30.1', nat: { gateway: '10.10.30.2' }, dhcp: true }, false);
    expect(cmds.map((c) => c.join(' '))).toEqual([
      'add adapter vmnet3',
      'add vnet vmnet3',
      'set vnet vmnet3 addr 10.10.30.0',
      'set vnet vmnet3 mask 255.255.255.0',
      'set adapter vmnet3 addr 10.10.30.1',
      'add nat vmnet3',
      'set nat vmnet3 internalipaddr 10.10.30.2',
      'add dhcp vmnet3',
      'update adapter vmnet3',
      'update nat vmnet3',
      'update dhcp vmnet3',
    ]);
    expect(vnetlibRemoveCommands(3).map((c) => c.join(' '))).toEqual(['remove dhcp vmnet3', 'remove nat vmnet3', 'remove adapter vmnet3', 'remove vnet vmnet3']);
  });

  it('verifies the result independently of vnetlib exit codes, and asks for Administrator rights', async () => {
    const ran: string[][] = [];
    const runner = async (argv: string[]) => {
      ran.push(argv);
      return { argv, stdout: '', stderr: '', exitCode: 1, durationMs: 1 };
    };
    const v = { index: 4, subnet: '10.10.40.0', netmask: '255.255.255.0', hostAddress: '10.10.40.1', dhcp: false };
    const o = { vnetlibPath: 'C:\\VMware\\vnetlib64.exe', runner, isAdmin: async () => true };
    await expect(ensureWindowsVnet(v, false, { ...o, listHostNetworks: async () => [] })).rejects.toThrow(/was not set up as asked/);
    expect(ran[0]).toEqual(['C:\\VMware\\vnetlib64.exe', '--', 'add', 'adapter', 'vmnet4']);
    const ok = [{ index: 4, name: 'vmnet4', type: 'hostOnly', dhcp: false, subnet: '10.10.40.0', mask: '255.255.255.0' }];
    await expect(ensureWindowsVnet(v, true, { ...o, listHostNetworks: async () => ok })).resolves.toBeUndefined();
    await expect(ensureWindowsVnet(v, true, { ...o, isAdmin: async () => false, elevate: false, listHostNetworks: async () => ok })).rejects.toMatchObject({ code: 'needs-admin' });
  });

  it('elevates only the vnetlib calls, all in one UAC prompt, and lists the commands when the prompt is declined', async () => {
    const ran: string[][] = [];
    const v = { index: 5, subnet: '10.10.50.0', netmask: '255.255.255.0', hostAddress: '10.10.50.1', dhcp: false };
    const ok = [{ index: 5, name: 'vmnet5', type: 'hostOnly', dhcp: false, subnet: '10.10.50.0', mask: '255.255.255.0' }];
    const base = { vnetlibPath: 'C:\\Program Files (x86)\\VMware\\VMware Workstation\\vnetlib64.exe', isAdmin: async () => false, listHostNetworks: async () => ok };
    const accepted = async (argv: string[]) => {
      ran.push(argv);
      return { argv, stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    };
    await expect(ensureWindowsVnet(v, false, { ...base, runner: accepted })).resolves.toBeUndefined();
    expect(ran).toHaveLength(1);
    const argv = ran[0]!;
    expect(argv.slice(0, 4)).toEqual(['powershell.exe', '-NoProfile', '-NonInteractive', '-Command']);
    expect(argv[4]).toMatch(/Start-Process -FilePath powershell\.exe -Verb RunAs -Wait/);
    const encoded = /'-EncodedCommand','([A-Za-z0-9+/=]+)'/.exec(argv[4]!)?.[1] ?? '';
    const inner = Buffer.from(encoded, 'base64').toString('utf16le').split('; ');
    expect(inner[0]).toBe("& 'C:\\Program Files (x86)\\VMware\\VMware Workstation\\vnetlib64.exe' -- 'add' 'adapter' 'vmnet5'");
    expect(inner).toHaveLength(vnetlibEnsureCommands(v, false).length);
    expect(argv).toEqual(elevatedVnetlibArgv(base.vnetlibPath, vnetlibEnsureCommands(v, false)));

    const declined = async (argv: string[]): Promise<never> => {
      throw new CommandError('powershell.exe exited with code 5', argv, '', '', 5, 'exit');
    };
    const err = await ensureWindowsVnet(v, false, { ...base, runner: declined }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'needs-admin' });
    expect((err as Error & { fix: string }).fix).toContain('"C:\\Program Files (x86)\\VMware\\VMware Workstation\\vnetlib64.exe" -- add adapter vmnet5');
  });
});

describe('Windows: reconfigure vmnet8 and restore its vnetlib values (fake vmrun listHostNetworks)', () => {
  let host: FakeVmwareHost;
  afterEach(async () => {
    await host.cleanup();
  });

  /** A stand-in for vnetlib64.exe acting on the fake host's networks (which the fake vmrun's listHostNetworks reports). */
  const fakeVnetlib = (etcDir: string, ran: string[]) => async (argv: string[]) => {
    const [, , verb, obj, name, key, value] = argv;
    ran.push(argv.slice(2).join(' '));
    const n = Number(/(\d+)$/.exec(name ?? '')?.[1]);
    const file = join(etcDir, 'networking');
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    const set = (k: string, v: string) => {
      const i = lines.findIndex((l) => l.startsWith(`answer VNET_${n}_${k} `));
      if (i >= 0) lines[i] = `answer VNET_${n}_${k} ${v}`;
      else lines.push(`answer VNET_${n}_${k} ${v}`);
    };
    if (verb === 'add' && obj === 'adapter') set('VIRTUAL_ADAPTER', 'yes');
    if (verb === 'set' && obj === 'vnet' && key === 'addr') set('HOSTONLY_SUBNET', value!);
    if (verb === 'set' && obj === 'vnet' && key === 'mask') set('HOSTONLY_NETMASK', value!);
    if (obj === 'nat' && (verb === 'add' || verb === 'remove')) set('NAT', verb === 'add' ? 'yes' : 'no');
    if (obj === 'dhcp' && (verb === 'add' || verb === 'remove')) set('DHCP', verb === 'add' ? 'yes' : 'no');
    await writeFile(file, `${lines.join('\n')}\n`);
    return { argv, stdout: '', stderr: '', exitCode: 1, durationMs: 1 };
  };

  it('records the previous values, refuses without the yes, and puts them back on remove', async () => {
    host = await createFakeVmwareHost();
    const ran: string[] = [];
    const nets = new VmnetManager({
      client: new VmrunClient({ vmrunPath: FAKE_VMRUN, platform: 'win32' }),
      platform: 'win32',
      etcDir: host.etcDir,
      vmwareNetworks: 'unused',
      vnetlibPath: 'C:\\VMware\\vnetlib64.exe',
      windowsDataDir: 'C:\\ProgramData\\VMware',
      isAdmin: async () => true,
      vnetlibRunner: fakeVnetlib(host.etcDir, ran),
    });
    const lab = { id: 'win', dir: host.labDir };
    const nat = { name: 'vmnet8', type: 'nat' as const, subnet: '192.168.10.0/24', hostAddress: '192.168.10.1', natGateway: '192.168.10.2', dhcp: { start: '192.168.10.128', end: '192.168.10.254' } };
    expect(await nets.clashes([nat])).toMatchObject([{ vmnet: 'vmnet8', hostSubnet: '172.16.86.0/24', blueprintSubnet: '192.168.10.0/24' }]);
    await expect(nets.ensure(lab, nat)).rejects.toMatchObject({ code: 'conflict' });
    expect(ran).toEqual([]);
    expect(await nets.ensure(lab, nat, { reconfigureVmnet8: true })).toBe('changed');
    expect(ran).toContain('set vnet vmnet8 addr 192.168.10.0');
    expect((await readNetworkRecord(lab)).reconfigured?.vmnet8?.previous).toEqual({ windows: { subnet: '172.16.86.0', netmask: '255.255.255.0', dhcp: true, nat: true } });
    ran.length = 0;
    expect(await nets.remove(lab, 'vmnet8')).toBe('changed');
    expect(ran).toEqual(expect.arrayContaining(['set vnet vmnet8 addr 172.16.86.0', 'set adapter vmnet8 addr 172.16.86.1', 'set nat vmnet8 internalipaddr 172.16.86.2', 'add dhcp vmnet8']));
    const h = (await new VmrunClient({ vmrunPath: FAKE_VMRUN }).listHostNetworks()).find((x) => x.name === 'vmnet8');
    expect(h).toMatchObject({ subnet: '172.16.86.0', mask: '255.255.255.0', dhcp: true, type: 'nat' });
  });
});
