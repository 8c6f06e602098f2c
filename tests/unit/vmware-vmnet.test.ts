import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyNetworking, linuxLeasePath, NetworkingFile, readNetworking } from '../../src-main/hypervisor/vmware/vmnet-linux.js';
import { CommandError } from '../../src-main/exec/runner.js';
import { elevatedVnetlibArgv, vnetlibEnsureCommands, vnetlibRemoveCommands, ensureWindowsVnet } from '../../src-main/hypervisor/vmware/vmnet-windows.js';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMWARE_NETWORKS, type FakeVmwareHost } from '../fake-vmrun/fake-env.js';

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

    it('says root is needed when vmware-networks refuses', async () => {
      process.env.FAKE_VMWARE_NETWORKS_DENY = '1';
      const file = await readNetworking(host.etcDir);
      await expect(applyNetworking(file, { etcDir: host.etcDir, vmwareNetworks: FAKE_VMWARE_NETWORKS })).rejects.toMatchObject({ code: 'needs-admin' });
    });
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
