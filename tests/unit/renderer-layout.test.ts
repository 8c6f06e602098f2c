import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { autoLayout, NET_HEIGHT, NET_MIN_WIDTH, needsLayout, VIP_WIDTH, vipHeight, VM_WIDTH, vmHeight } from '../../src-renderer/src/lib/auto-layout';
import { netKey, toDraft, vipKey, type Draft } from '../../src-renderer/src/lib/draft';

const shipped = (f: string) => toDraft(parse(readFileSync(join(__dirname, '../../lab-blueprints', f), 'utf8')));

function rects(d: Draft) {
  const pos = autoLayout(d);
  const out: { key: string; x: number; y: number; w: number; h: number }[] = [];
  for (const n of d.nodes) out.push({ key: n.hostname, ...pos[n.hostname]!, w: VM_WIDTH, h: vmHeight(n.nics.length) });
  for (const n of d.networks) out.push({ key: netKey(n.name), ...pos[netKey(n.name)]!, w: NET_MIN_WIDTH, h: NET_HEIGHT });
  for (const v of d.services?.vips ?? []) out.push({ key: vipKey(v.name), ...pos[vipKey(v.name)]!, w: VIP_WIDTH, h: vipHeight(v.members.length) });
  return out;
}

const overlap = (a: ReturnType<typeof rects>[number], b: typeof a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

function bigLab(n: number): Draft {
  return toDraft({
    apiVersion: 'halab/v1',
    kind: 'Lab',
    metadata: { name: 'big' },
    networks: [{ name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24' }, { name: 'vmnet2', type: 'custom', subnet: '10.0.0.0/23' }],
    nodes: Array.from({ length: n }, (_, i) => ({ hostname: `vm-${i}`, roles: [(['loadbalancer', 'app', 'database', 'monitoring'] as const)[i % 4]], nics: [{ network: 'vmnet2', address: `10.0.${Math.floor(i / 200)}.${(i % 200) + 2}` }] })),
  });
}

describe('auto-layout', () => {
  for (const file of ['k8s-ha-platform.yaml', 'vmware-3tier-ha.yaml', 'lb-pair-minimal.yaml']) {
    it(`places every element of ${file} without overlap`, () => {
      const d = shipped(file);
      expect(needsLayout(d)).toBe(true);
      const r = rects(d);
      expect(r).toHaveLength(d.nodes.length + d.networks.length + (d.services?.vips?.length ?? 0));
      for (const [i, a] of r.entries()) for (const b of r.slice(i + 1)) expect(overlap(a, b), `${a.key} / ${b.key}`).toBe(false);
    });
  }

  it('puts the entry tier above the app tier above the data tier', () => {
    const pos = autoLayout(shipped('vmware-3tier-ha.yaml'));
    expect(pos['lb-master']!.y).toBeLessThan(pos['app-server-01']!.y);
    expect(pos['app-server-01']!.y).toBeLessThan(pos['db-master']!.y);
    expect(pos['net:vmnet8']!.y).toBeLessThan(pos['lb-master']!.y);
    expect(pos['vip:web']!.y).toBeLessThan(pos['net:vmnet8']!.y);
  });

  it('shifts a row so NIC lines pass between the cards of the row above', () => {
    const pos = autoLayout(shipped('vmware-3tier-ha.yaml'));
    const dbCenter = pos['db-master']!.x + VM_WIDTH / 2;
    for (const app of ['app-server-01', 'app-server-02']) {
      const x = pos[app]!.x;
      expect(dbCenter < x || dbCenter > x + VM_WIDTH).toBe(true);
    }
  });

  it('wraps a 100-VM lab into rows without overlap', () => {
    const r = rects(bigLab(100));
    for (const [i, a] of r.entries()) for (const b of r.slice(i + 1)) expect(overlap(a, b)).toBe(false);
  });

  it('knows when positions are complete', () => {
    const d = shipped('lb-pair-minimal.yaml');
    expect(needsLayout({ ...d, layout: { positions: autoLayout(d) } })).toBe(false);
  });
});
