import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { activeLeaseFor, parseDhcpLeases } from '../../src-main/hypervisor/vmware/dhcp-leases.js';
import { findVmrun, parseRegQueryValue } from '../../src-main/hypervisor/vmware/find-vmrun.js';
import {
  parseGuestIpAddresses,
  parseHostNetworks,
  parseList,
  parseListSnapshots,
  parseSnapshotTree,
  parseToolsState,
  parseVmrunVersion,
  vmxPathKey,
} from '../../src-main/hypervisor/vmware/vmrun-parsers.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/vmrun/${name}`, import.meta.url)), 'utf8');

describe('vmrun output parsers', () => {
  it('parses list on Linux, Windows (CRLF) and when empty', () => {
    expect(parseList(fixture('list-linux.txt'))).toEqual({
      total: 2,
      vmxPaths: ['/home/student/labs/ha/vms/lb1/lb1.vmx', '/home/student/labs/ha/vms/web 01/web 01.vmx'],
    });
    const win = parseList(fixture('list-windows-crlf.txt'));
    expect(win.total).toBe(2);
    expect(win.vmxPaths[0]).toBe('C:\\Users\\Student\\Documents\\Virtual Machines\\lb1\\lb1.vmx');
    expect(win.vmxPaths.every((p) => !p.includes('\r'))).toBe(true);
    expect(parseList(fixture('list-empty.txt'))).toEqual({ total: 0, vmxPaths: [] });
    expect(() => parseList('Error: Unable to connect to host.')).toThrow(/unexpected/);
  });

  it('parses listSnapshots flat, as a CRLF tree, and empty', () => {
    expect(parseListSnapshots(fixture('listSnapshots.txt'))).toEqual(['halab-base', 'before-drill', 'after-drill']);
    expect(parseSnapshotTree(fixture('listSnapshots-tree-crlf.txt'))).toEqual([
      { name: 'halab-base', depth: 0 },
      { name: 'before-drill', depth: 1 },
      { name: 'after-drill', depth: 2 },
      { name: 'other branch', depth: 1 },
    ]);
    expect(parseListSnapshots(fixture('listSnapshots-empty.txt'))).toEqual([]);
  });

  it('parses getGuestIPAddress and ignores non-addresses', () => {
    expect(parseGuestIpAddresses(fixture('getGuestIPAddress.txt'))).toEqual(['192.168.10.11']);
    expect(parseGuestIpAddresses(fixture('getGuestIPAddress-crlf.txt'))).toEqual(['192.168.10.11']);
    expect(parseGuestIpAddresses('unknown\n300.1.1.1\n')).toEqual([]);
  });

  it('parses listHostNetworks (LF and CRLF)', () => {
    const nets = parseHostNetworks(fixture('listHostNetworks.txt'));
    expect(nets).toHaveLength(4);
    expect(nets[3]).toEqual({ index: 8, name: 'vmnet8', type: 'nat', dhcp: true, subnet: '192.168.3.0', mask: '255.255.255.0' });
    expect(nets[2]?.dhcp).toBe(false);
    const win = parseHostNetworks(fixture('listHostNetworks-windows-crlf.txt'));
    expect(win.map((n) => `${n.name} ${n.subnet} ${n.mask}`)).toEqual(['vmnet1 192.168.56.0 255.255.255.0', 'vmnet8 192.168.10.0 255.255.255.0']);
  });

  it('parses checkToolsState and the version banner', () => {
    expect(parseToolsState(fixture('checkToolsState-running.txt'))).toBe('running');
    expect(parseToolsState(fixture('checkToolsState-installed-crlf.txt'))).toBe('installed');
    expect(parseToolsState('something else')).toBe('unknown');
    expect(parseVmrunVersion(fixture('version-banner.txt'))).toEqual({ version: '1.17.0', build: '24995812' });
    expect(parseVmrunVersion(fixture('version-banner-crlf.txt'))).toEqual({ version: '1.17.0', build: '24995812' });
    expect(parseVmrunVersion('Usage: something')).toBeUndefined();
  });

  it('compares .vmx paths like VMware: case-insensitive with any slash on Windows, exact on Linux', () => {
    expect(vmxPathKey('C:\\Labs\\LB1\\lb1.vmx', 'win32')).toBe(vmxPathKey('c:/labs/lb1/LB1.vmx', 'win32'));
    expect(vmxPathKey('/home/a/LB1.vmx', 'linux')).not.toBe(vmxPathKey('/home/a/lb1.vmx', 'linux'));
  });

  it('parses DHCP lease files and picks the newest active lease of a MAC', () => {
    const leases = parseDhcpLeases(fixture('dhcpd.leases'));
    expect(leases).toHaveLength(3);
    expect(leases[0]).toMatchObject({ ip: '192.168.10.130', mac: '00:50:56:2a:10:01', hostname: 'lb1' });
    expect(activeLeaseFor(leases, '00:50:56:2A:10:01', new Date(Date.UTC(2026, 10, 2, 10, 25)))?.ip).toBe('192.168.10.140');
    expect(activeLeaseFor(leases, '00:50:56:2a:10:01', new Date(Date.UTC(2026, 10, 2, 10, 10)))?.ip).toBe('192.168.10.130');
    expect(activeLeaseFor(leases, '00:50:56:2a:10:01', new Date(Date.UTC(2026, 10, 2, 12, 0)))).toBeUndefined();
  });
});

describe('finding vmrun', () => {
  it('reads InstallPath from reg query output', () => {
    expect(parseRegQueryValue(fixture('reg-query-installpath-crlf.txt'), 'InstallPath')).toBe('C:\\Program Files (x86)\\VMware\\VMware Workstation\\');
    expect(parseRegQueryValue(fixture('reg-query-installpath-crlf.txt'), 'ProductVersion')).toBeUndefined();
  });

  it('prefers the setting, then HALAB_VMRUN, then the registry, then the default path', async () => {
    const none = async () => false;
    expect(await findVmrun({ setting: '/opt/x/vmrun', env: { HALAB_VMRUN: '/env/vmrun' }, platform: 'linux', exists: none })).toMatchObject({ path: '/opt/x/vmrun', source: 'setting' });
    expect(await findVmrun({ env: { HALAB_VMRUN: '/env/vmrun' }, platform: 'linux', exists: none })).toMatchObject({ path: '/env/vmrun', source: 'env', hostType: 'ws' });
    const win = await findVmrun({
      env: {},
      platform: 'win32',
      readInstallPath: async () => 'D:\\VMware\\Workstation\\',
      exists: async (p) => p === 'D:\\VMware\\Workstation\\vmrun.exe',
    });
    expect(win).toMatchObject({ path: 'D:\\VMware\\Workstation\\vmrun.exe', source: 'registry', installDir: 'D:\\VMware\\Workstation\\' });
    const winDefault = await findVmrun({ env: {}, platform: 'win32', readInstallPath: async () => undefined, exists: async (p) => p.endsWith('VMware Workstation\\vmrun.exe') });
    expect(winDefault).toMatchObject({ source: 'default', path: 'C:\\Program Files (x86)\\VMware\\VMware Workstation\\vmrun.exe' });
    expect(await findVmrun({ env: {}, platform: 'linux', exists: async (p) => p === '/usr/bin/vmrun' })).toMatchObject({ path: '/usr/bin/vmrun', hostType: 'ws' });
    expect(await findVmrun({ env: {}, platform: 'darwin', exists: async () => true })).toMatchObject({ hostType: 'fusion' });
    expect(await findVmrun({ env: {}, platform: 'linux', exists: none })).toBeUndefined();
  });
});
