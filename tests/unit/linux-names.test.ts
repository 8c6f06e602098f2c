import { describe, expect, it } from 'vitest';
import {
  MAX_IFNAME,
  bridgeMac,
  bridgeName,
  bridgePrefix,
  checkName,
  guestNicName,
  hostVethName,
  netnsName,
  vethPrefix,
} from '../../src-main/hypervisor/linux/names';

describe('Linux lab names', () => {
  it('keeps bridge names within IFNAMSIZ, deterministic, per lab and VMnet', () => {
    const a = bridgeName('vmware-3tier-ha', 'vmnet8');
    expect(a).toBe(bridgeName('vmware-3tier-ha', 'vmnet8'));
    expect(a.length).toBeLessThanOrEqual(MAX_IFNAME);
    expect(a.startsWith(bridgePrefix('vmware-3tier-ha'))).toBe(true);
    expect(a.endsWith('-vmnet8')).toBe(true);
    expect(bridgeName('other-lab', 'vmnet8')).not.toBe(a);
    expect(bridgeName('vmware-3tier-ha', 'vmnet2')).not.toBe(a);
  });

  it('hashes VMnet names that are long or not plain', () => {
    const long = bridgeName('lab', 'a-very-long-network-name');
    expect(long.length).toBe(MAX_IFNAME);
    expect(long).toMatch(/^hl[0-9a-f]{5}-[0-9a-f]{7}$/);
    expect(bridgeName('lab', 'VMnet8')).toMatch(/^hl[0-9a-f]{5}-[0-9a-f]{7}$/);
  });

  it('derives short host veth names, unique per VM and NIC', () => {
    const names = new Set<string>();
    for (const vm of ['lb1', 'lb2', 'app1', 'app2', 'db-primary', 'db-replica']) {
      for (let i = 0; i < 4; i++) {
        const n = hostVethName('vmware-3tier-ha', vm, i);
        expect(n.length).toBeLessThanOrEqual(MAX_IFNAME);
        expect(n.startsWith(vethPrefix('vmware-3tier-ha'))).toBe(true);
        names.add(n);
      }
    }
    expect(names.size).toBe(24);
    expect(hostVethName('x', 'vm', 99).length).toBeLessThanOrEqual(MAX_IFNAME);
    expect(() => hostVethName('x', 'vm', 100)).toThrow(/out of range/);
  });

  it('names guest NICs like VMware NICs on Ubuntu and namespaces after lab and VM', () => {
    expect([0, 1, 2].map(guestNicName)).toEqual(['ens33', 'ens34', 'ens35']);
    expect(netnsName('lab1', 'web-01')).toBe('halab-lab1-web-01');
  });

  it('gives bridges a stable, locally administered unicast MAC', () => {
    const mac = bridgeMac('lab', 'vmnet8');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac('lab', 'vmnet8')).toBe(mac);
    expect(bridgeMac('lab', 'vmnet2')).not.toBe(mac);
  });

  it('rejects names that cannot become file, namespace or host names', () => {
    expect(() => checkName('VM name', 'lb1')).not.toThrow();
    expect(() => checkName('VM name', 'Bad Name')).toThrow(/lower-case/);
    expect(() => checkName('VM name', '-x')).toThrow();
    expect(() => checkName('lab id', '../etc')).toThrow();
    expect(() => checkName('snapshot name', 'before-drill.1')).not.toThrow();
    expect(() => checkName('snapshot name', 'a/b')).toThrow(/Snapshot name/);
  });
});
