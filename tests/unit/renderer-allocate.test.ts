import { describe, expect, it } from 'vitest';
import { firstFreeAddress, nextName, planAddress, nextSubnet, nextVmnetName, nextVrid } from '../../src-renderer/src/lib/allocate';
import { emptyDraft, type Draft } from '../../src-renderer/src/lib/draft';

const lab = (over: Partial<Draft> = {}): Draft => ({ ...emptyDraft(), networks: [{ name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24' }, { name: 'vmnet2', type: 'custom', subnet: '10.0.0.0/24' }], ...over });

describe('first free static address', () => {
  it('skips the host (.1) and the NAT gateway (.2) on a NAT network', () => {
    expect(firstFreeAddress(lab(), 'vmnet8')).toBe('192.168.10.3');
  });

  it('skips only the host on a custom network', () => {
    expect(firstFreeAddress(lab(), 'vmnet2')).toBe('10.0.0.2');
  });

  it('skips addresses taken by NICs and VIPs', () => {
    const d = lab({
      nodes: [{ hostname: 'a', roles: ['app'], nics: [{ network: 'vmnet8', address: '192.168.10.3' }] }],
      services: { vips: [{ name: 'web', address: '192.168.10.4', network: 'vmnet8', virtualRouterId: 51, members: [] }] },
    });
    expect(firstFreeAddress(d, 'vmnet8')).toBe('192.168.10.5');
  });

  it('never hands out the DHCP pool, and says so when only the pool is left', () => {
    const d = lab({ networks: [{ name: 'n', type: 'custom', subnet: '10.9.0.0/29', dhcp: { start: '10.9.0.3', end: '10.9.0.6' } }] });
    expect(firstFreeAddress(d, 'n')).toBe('10.9.0.2');
    const full = { ...d, nodes: [{ hostname: 'x', roles: ['generic'], nics: [{ network: 'n', address: '10.9.0.2' }] }] } as Draft;
    expect(firstFreeAddress(full, 'n')).toBeUndefined();
  });

  it('respects a custom host address and an explicit pool', () => {
    const d = lab({ networks: [{ name: 'n', type: 'hostonly', subnet: '172.16.0.0/24', hostAddress: '172.16.0.2', dhcp: { start: '172.16.0.3', end: '172.16.0.9' } }] });
    expect(firstFreeAddress(d, 'n')).toBe('172.16.0.1');
  });

  it('gives nothing for an unknown network or an unparsable subnet', () => {
    expect(firstFreeAddress(lab(), 'vmnet9')).toBeUndefined();
    expect(firstFreeAddress(lab({ networks: [{ name: 'n', type: 'custom', subnet: '10.0.0.1/24' }] }), 'n')).toBeUndefined();
  });
});

describe('free names', () => {
  it('numbers hostnames and continues from trailing digits', () => {
    expect(nextName('lb', [])).toBe('lb-01');
    expect(nextName('lb', ['lb-01', 'lb-02'])).toBe('lb-03');
    expect(nextName('app-server-02', ['app-server-02'])).toBe('app-server-03');
  });

  it("prefers VMware's own VMnet names and skips used ones", () => {
    expect(nextVmnetName(emptyDraft(), 'nat')).toBe('vmnet8');
    expect(nextVmnetName(emptyDraft(), 'hostonly')).toBe('vmnet1');
    expect(nextVmnetName(lab(), 'nat')).toBe('vmnet3');
    expect(nextVmnetName(lab(), 'custom')).toBe('vmnet3');
  });

  it('picks subnets that overlap nothing', () => {
    expect(nextSubnet(emptyDraft(), 'nat')).toBe('192.168.10.0/24');
    expect(nextSubnet(lab(), 'nat')).toBe('192.168.11.0/24');
    expect(nextSubnet(lab(), 'custom')).toBe('10.0.1.0/24');
  });

  it('picks a free VRRP router id per network', () => {
    const d = lab({ services: { vips: [{ name: 'web', address: '192.168.10.100', network: 'vmnet8', virtualRouterId: 51, members: [] }] } });
    expect(nextVrid(d, 'vmnet8')).toBe(52);
    expect(nextVrid(d, 'vmnet2')).toBe(51);
  });
});

describe('role-aware address plan', () => {
  it('starts each role at the seed convention: LB .11, app .21, DB .31, monitoring .41, others .51, VIP .100', () => {
    const d = lab();
    expect(planAddress(d, 'vmnet8', 'loadbalancer')).toBe('192.168.10.11');
    expect(planAddress(d, 'vmnet2', 'app')).toBe('10.0.0.21');
    expect(planAddress(d, 'vmnet2', 'database')).toBe('10.0.0.31');
    expect(planAddress(d, 'vmnet2', 'monitoring')).toBe('10.0.0.41');
    expect(planAddress(d, 'vmnet2', 'nfs')).toBe('10.0.0.51');
    expect(planAddress(d, 'vmnet8', 'vip')).toBe('192.168.10.100');
  });

  it('counts on past taken addresses, and falls back to the first free one when the range is used up', () => {
    const d = lab({ nodes: [{ hostname: 'a', roles: ['app'], nics: [{ network: 'vmnet2', address: '10.0.0.21' }] }] });
    expect(planAddress(d, 'vmnet2', 'app')).toBe('10.0.0.22');
    const small = lab({ networks: [{ name: 'n', type: 'custom', subnet: '10.9.0.0/28' }] });
    expect(planAddress(small, 'n', 'database')).toBe('10.9.0.2');
  });

  it('gives the first free address when the lab chose first-free', () => {
    const d = lab({ layout: { positions: {}, addressPlan: 'first-free' } });
    expect(planAddress(d, 'vmnet8', 'loadbalancer')).toBe('192.168.10.3');
  });

  it('never hands out the DHCP pool', () => {
    const d = lab({ networks: [{ name: 'n', type: 'custom', subnet: '10.9.0.0/24', dhcp: { start: '10.9.0.20', end: '10.9.0.40' } }] });
    expect(planAddress(d, 'n', 'app')).toBe('10.9.0.41');
  });
});
