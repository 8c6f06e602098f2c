import { describe, expect, it } from 'vitest';
import { dnsmasqArgv } from '../../src-main/hypervisor/linux/dnsmasq';
import { nspawnArgs } from '../../src-main/hypervisor/linux/machine';
import { checkLabSubnet } from '../../src-main/hypervisor/linux/net-guard';
import { validateNetwork } from '../../src-main/hypervisor/linux/networks';
import { cidrContains, cidrOverlaps, formatCidr, isPrivateSubnet, parseCidr, prefixToMask } from '../../src-main/hypervisor/linux/subnet';
import type { NetworkSpec } from '../../src-main/hypervisor/types';

const NET: NetworkSpec = {
  name: 'vmnet8',
  type: 'nat',
  subnet: '192.168.10.0/24',
  hostAddress: '192.168.10.1',
  natGateway: '192.168.10.2',
  dhcp: { start: '192.168.10.128', end: '192.168.10.254' },
};

describe('Linux lab subnets and network safety', () => {
  it('does subnet arithmetic', () => {
    expect(formatCidr(parseCidr('192.168.10.77/24'))).toBe('192.168.10.0/24');
    expect(cidrContains(parseCidr('10.1.0.0/16'), '10.1.255.3')).toBe(true);
    expect(cidrContains(parseCidr('10.1.0.0/16'), '10.2.0.1')).toBe(false);
    expect(cidrOverlaps(parseCidr('10.0.0.0/8'), parseCidr('10.5.5.0/24'))).toBe(true);
    expect(cidrOverlaps(parseCidr('192.168.1.0/24'), parseCidr('192.168.2.0/24'))).toBe(false);
    expect(prefixToMask(24)).toBe('255.255.255.0');
    expect(prefixToMask(12)).toBe('255.240.0.0');
    expect(() => parseCidr('192.168.1.0')).toThrow(/CIDR/);
  });

  it('accepts only private ranges as lab subnets', () => {
    for (const s of ['10.0.0.0/8', '10.231.11.0/24', '172.16.0.0/12', '172.31.5.0/24', '192.168.10.0/24']) expect(isPrivateSubnet(parseCidr(s))).toBe(true);
    for (const s of ['8.8.8.0/24', '172.32.0.0/24', '192.169.0.0/24', '0.0.0.0/0', '192.168.0.0/15', '192.0.2.0/24']) expect(isPrivateSubnet(parseCidr(s))).toBe(false);
    expect(() => checkLabSubnet('8.8.8.0/24')).toThrow(/not a private address range/);
    expect(checkLabSubnet('192.168.10.0/24').prefix).toBe(24);
  });

  it('validates a network spec with plain-language errors', () => {
    expect(() => validateNetwork(NET)).not.toThrow();
    expect(() => validateNetwork({ ...NET, type: 'bridged' })).toThrow(/real LAN/);
    expect(() => validateNetwork({ ...NET, hostAddress: '192.168.11.1' })).toThrow(/not inside/);
    expect(() => validateNetwork({ ...NET, dhcp: { start: '192.168.10.1', end: '192.168.10.9' } })).toThrow(/inside the DHCP range/);
    expect(() => validateNetwork({ ...NET, dhcp: { start: '192.168.10.200', end: '192.168.10.100' } })).toThrow(/ends before/);
    expect(() => validateNetwork({ ...NET, subnet: '1.2.3.0/24', hostAddress: '1.2.3.1', dhcp: undefined })).toThrow(/private/);
    expect(() => validateNetwork({ ...NET, name: '../x' })).toThrow(/network name/);
  });

  it('runs dnsmasq for DHCP only, on one bridge, without handing out a router or pinging before an offer', () => {
    const argv = dnsmasqArgv('hlabcde-vmnet8', NET.dhcp as { start: string; end: string }, '/labs/x/networks/vmnet8');
    expect(argv[0]).toBe('dnsmasq');
    expect(argv).toContain('--port=0');
    expect(argv).toContain('--bind-interfaces');
    expect(argv).toContain('--interface=hlabcde-vmnet8');
    expect(argv).toContain('--dhcp-range=192.168.10.128,192.168.10.254,12h');
    expect(argv).toContain('--dhcp-option=option:router');
    // No 3 s ping per offer, one client at a time (VMs booting together waited up to 18 s).
    expect(argv).toContain('--no-ping');
    expect(argv).toContain('--dhcp-leasefile=/labs/x/networks/vmnet8/dnsmasq.leases');
    expect(argv).toContain('--pid-file=/labs/x/networks/vmnet8/dnsmasq.pid');
  });

  it('boots nspawn the way that was verified on this kind of machine', () => {
    const args = nspawnArgs('lb1', '/labs/x/vms/lb1/merged', 'halab-x-lb1');
    for (const a of ['--register=no', '--keep-unit', '--boot', '--capability=CAP_NET_ADMIN,CAP_NET_RAW', '--network-namespace-path=/run/netns/halab-x-lb1', '--directory=/labs/x/vms/lb1/merged']) {
      expect(args).toContain(a);
    }
  });
});
