import { describe, expect, it } from 'vitest';
import { nicsDownArgv, nicsFlushArgv } from '../../src-main/hypervisor/linux/netns';

const NICS = [{ guestNic: 'ens33' }, { guestNic: 'ens34' }];

describe('Linux lab power-off silences the VM on the wire', () => {
  it('cuts the carrier of every guest NIC before a hard stop', () => {
    expect(nicsDownArgv('halab-x-lb1', NICS)).toEqual([
      ['ip', '-n', 'halab-x-lb1', 'link', 'set', 'dev', 'ens33', 'down'],
      ['ip', '-n', 'halab-x-lb1', 'link', 'set', 'dev', 'ens34', 'down'],
    ]);
  });

  it('drops every address and neighbour of a stopped VM so nothing answers ARP or resets TCP for it (the VIP included)', () => {
    const argv = nicsFlushArgv('halab-x-lb1', NICS);
    expect(argv).toContainEqual(['ip', '-n', 'halab-x-lb1', 'addr', 'flush', 'dev', 'ens33']);
    expect(argv).toContainEqual(['ip', '-n', 'halab-x-lb1', 'addr', 'flush', 'dev', 'ens34']);
    expect(argv).toContainEqual(['ip', '-n', 'halab-x-lb1', 'neigh', 'flush', 'dev', 'ens34']);
    // Every command runs inside the VM's namespace, never on the host's own links.
    for (const a of argv) expect(a.slice(0, 3)).toEqual(['ip', '-n', 'halab-x-lb1']);
  });

  it('has nothing to do for a VM without NICs', () => {
    expect(nicsDownArgv('ns', [])).toEqual([]);
    expect(nicsFlushArgv('ns', [])).toEqual([]);
  });
});
