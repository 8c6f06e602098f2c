/**
 * The classroom's re-numbering: every student's subnets are new blocks of the
 * same size in the same private range, overlapping nothing, and every address
 * keeps its host part; the student blueprints validate and differ only where
 * they should.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocateSubnets, ClassFullError, studentBlueprint, studentLabName } from '../../src-main/hypervisor/incus/classroom';
import { cidrOf, cidrOverlap } from '../../src-main/shared/blueprint/ip';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

describe('classroom subnets', () => {
  it('gives each student non-overlapping blocks of the same size, in the same private range', () => {
    const plan = allocateSubnets(['192.168.10.0/24', '10.0.0.0/24', '192.168.11.0/24'], 30);
    expect(plan).toHaveLength(30);
    const all = [['192.168.10.0/24', '10.0.0.0/24', '192.168.11.0/24'], ...plan].flat().map(cidrOf);
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(cidrOverlap(all[i]!, all[j]!), `${i} ${j}`).toBe(false);
    expect(plan[0]).toEqual(['192.168.12.0/24', '10.0.1.0/24', '192.168.13.0/24']);
    for (const s of plan) {
      expect(s[0]).toMatch(/^192\.168\.\d+\.0\/24$/);
      expect(s[1]).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    }
  });
  it('says how many students fit when the range is full', () => {
    expect(() => allocateSubnets(['192.168.0.0/17'], 2)).toThrow(ClassFullError);
    try {
      allocateSubnets(['192.168.0.0/17'], 2);
    } catch (e) {
      expect((e as ClassFullError).max).toBe(1);
    }
  });
  it('refuses a public subnet', () => {
    expect(() => allocateSubnets(['8.8.8.0/24'], 1)).toThrow(/not a private subnet/);
  });
});

describe('student blueprints', () => {
  const text = readFileSync(join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8');
  it('moves every lab address to the student subnet with the same host part; the lab name gets -sNN', () => {
    const [mine] = allocateSubnets(['192.168.20.0/24'], 1);
    const out = studentBlueprint(text, 1, ['192.168.20.0/24'], mine!);
    expect(out).not.toContain('192.168.20.');
    expect(out).toContain('192.168.21.0/24');
    expect(out).toContain('address: 192.168.21.11');
    expect(out).toContain('address: 192.168.21.100');
    expect(out).toContain('# The smallest HA lab');
    const v = validateBlueprintText(out, { provider: 'incus' });
    expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(v.resolved?.name).toBe('lb-pair-minimal-s01');
    expect(v.resolved?.nodes.map((n) => n.nics[0]?.address)).toEqual(['192.168.21.11', '192.168.21.12', '192.168.21.21']);
    expect(studentLabName('lab', 12)).toBe('lab-s12');
  });
  it('re-numbers the seed lab (two subnets) into a valid blueprint', () => {
    const seed = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
    const r = validateBlueprintText(seed).resolved!;
    const from = r.networks.map((n) => n.subnet);
    const plan = allocateSubnets(from, 3);
    const out = studentBlueprint(seed, 3, from, plan[2]!);
    const v = validateBlueprintText(out, { provider: 'incus' });
    expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(v.resolved?.networks.map((n) => n.subnet)).toEqual(plan[2]);
  });
});
