import { describe, expect, it } from 'vitest';
import { freeSpot, occupied, VM_WIDTH, vmHeight } from '../../src-renderer/src/lib/auto-layout';
import { describeEdge, describePath } from '../../src-renderer/src/lib/describe';
import { emptyDraft, type Draft } from '../../src-renderer/src/lib/draft';


const lab: Draft = {
  ...emptyDraft(),
  networks: [{ name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24' }, { name: 'vmnet2', type: 'custom', subnet: '10.0.0.0/24' }],
  nodes: [
    { hostname: 'lb-master', roles: ['loadbalancer'], nics: [{ network: 'vmnet8', address: '192.168.10.11' }, { network: 'vmnet2', address: '10.0.0.11' }] },
    { hostname: 'app-server-01', roles: ['app'], nics: [{ network: 'vmnet2', address: '10.0.0.21' }] },
  ],
  services: { vips: [{ name: 'web', address: '192.168.10.100', network: 'vmnet8', virtualRouterId: 51, members: [{ node: 'lb-master', priority: 150 }] }], loadBalancer: { members: ['lb-master'], listen: [80], upstream: { members: ['app-server-01'] } } },
  layout: { positions: { 'lb-master': { x: 0, y: 0 }, 'app-server-01': { x: 0, y: 300 }, 'net:vmnet8': { x: -24, y: -120 } } },
};

describe('names in the student\'s words', () => {
  it('turns blueprint paths into "lb-master\'s first NIC" in English and Korean', () => {
    expect(describePath(lab, ['nodes', 0, 'nics', 0], 'en')).toBe("lb-master's first NIC");
    expect(describePath(lab, ['nodes', 0, 'nics', 1, 'address'], 'en')).toBe("lb-master's second NIC · Address");
    expect(describePath(lab, ['nodes', 0, 'nics', 0], 'ko')).toBe('lb-master의 첫 번째 NIC');
    expect(describePath(lab, ['nodes', 1, 'hostname'], 'en')).toBe('app-server-01 · Hostname');
    expect(describePath(lab, ['networks', 1, 'subnet'], 'en')).toBe('network vmnet2 · Subnet');
    expect(describePath(lab, ['services', 'vips', 0, 'members', 0, 'priority'], 'en')).toBe('VIP group web · lb-master · Priority');
    expect(describePath(lab, ['services', 'loadBalancer', 'upstream', 'members'], 'en')).toBe('Load balancer (nginx) · Upstream app servers');
    for (const p of [['nodes', 0, 'nics', 0], ['networks', 0], ['services', 'vips', 0, 'address']]) expect(describePath(lab, p, 'ko')).not.toMatch(/\[|\]|nodes|nics/);
  });

  it('names both ends of every kind of line', () => {
    expect(describeEdge(lab, 'nic:0:1')).toEqual({ kind: 'nic', from: 'lb-master', to: 'vmnet2' });
    expect(describeEdge(lab, 'up:lb-master:app-server-01')).toEqual({ kind: 'upstream', from: 'lb-master', to: 'app-server-01' });
    expect(describeEdge(lab, 'vipm:0:0')).toEqual({ kind: 'vip', from: 'VIP web', to: 'lb-master' });
    expect(describeEdge(lab, 'nic:9:0')).toBeUndefined();
  });
});

describe('placing at free spots', () => {
  it('a spot taken by a card moves the new one next to it, never on top', () => {
    const at = { x: 0, y: 0 };
    const p = freeSpot(lab, at, VM_WIDTH, vmHeight(1));
    const boxes = occupied(lab);
    for (const b of boxes) expect(p.x + VM_WIDTH <= b.x || b.x + b.w <= p.x || p.y + vmHeight(1) <= b.y || b.y + b.h <= p.y).toBe(true);
    // Nearest first: one step sideways, not far away.
    expect(Math.hypot(p.x - at.x, p.y - at.y)).toBeLessThan(VM_WIDTH * 2);
  });

  it('three placements at the same point take three different free spots', () => {
    let d = lab;
    const spots = [];
    for (let i = 0; i < 3; i++) {
      const p = freeSpot(d, { x: 400, y: 0 }, VM_WIDTH, vmHeight(1));
      spots.push(p);
      d = { ...d, nodes: [...d.nodes, { hostname: `vm-0${i}`, roles: ['generic'], nics: [] }], layout: { positions: { ...d.layout?.positions, [`vm-0${i}`]: p } } };
    }
    expect(spots[0]).toEqual({ x: 400, y: 0 });
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) expect(Math.abs(spots[i]!.x - spots[j]!.x) >= VM_WIDTH || Math.abs(spots[i]!.y - spots[j]!.y) >= vmHeight(0)).toBe(true);
  });
});
