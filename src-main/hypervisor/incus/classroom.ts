/**
 * The classroom: one blueprint, N students, each with their own lab (a
 * project of its own on Incus/LXD) on subnets of their own. Pure: the
 * re-numbering of a blueprint's text for student i.
 *
 * Every lab subnet is moved to the next free block of the same size inside
 * the same private range (10/8, 172.16/12, 192.168/16), never overlapping the
 * blueprint's own subnets or another student's; every IPv4 address of the
 * text inside a lab subnet keeps its host part in the new one (addresses,
 * VIPs, gateways, DHCP ranges). The lab's name gets `-sNN`.
 */
import { parseDocument } from 'yaml';
import { cidrOf, cidrOverlap, formatIpv4, ipv4OrThrow, type Cidr } from '../../shared/blueprint/ip';

const RANGES: Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(cidrOf);

const size = (c: Cidr): number => 2 ** (32 - c.prefix);
const fmt = (c: Cidr): string => `${formatIpv4(c.network)}/${c.prefix}`;

/** A student's subnet for each of the blueprint's subnets (index 0 = the blueprint itself). */
export function allocateSubnets(subnets: string[], students: number): string[][] {
  const orig = subnets.map(cidrOf);
  const taken: Cidr[] = [...orig];
  const out: string[][] = [];
  for (let s = 1; s <= students; s++) {
    const mine: string[] = [];
    for (const c of orig) {
      const range = RANGES.find((r) => c.network >= r.network && c.network + size(c) <= r.network + size(r));
      if (!range) throw new Error(`${fmt(c)} is not a private subnet; a class needs private ones.`);
      let found: Cidr | undefined;
      for (let k = 1; ; k++) {
        const start = c.network + k * size(c);
        const wrapped = range.network + ((start - range.network) % size(range));
        if (k * size(c) >= size(range)) break;
        const cand = cidrOf(`${formatIpv4(wrapped)}/${c.prefix}`);
        if (!taken.some((t) => cidrOverlap(t, cand))) {
          found = cand;
          break;
        }
      }
      if (!found) throw new ClassFullError(s - 1);
      taken.push(found);
      mine.push(fmt(found));
    }
    out.push(mine);
  }
  return out;
}

/** The blueprint's subnets leave room for only `max` students. */
export class ClassFullError extends Error {
  constructor(readonly max: number) {
    super(`The blueprint's subnets leave room for ${max} students.`);
  }
}

/** Student lab name: `<lab>-sNN`. */
export function studentLabName(lab: string, n: number): string {
  return `${lab}-s${String(n).padStart(2, '0')}`;
}

/** The blueprint text for one student: name and every address in a lab subnet moved to the student's subnets. */
export function studentBlueprint(text: string, n: number, from: string[], to: string[]): string {
  const doc = parseDocument(text);
  const name = String(doc.getIn(['metadata', 'name']) ?? 'lab');
  doc.setIn(['metadata', 'name'], studentLabName(name, n));
  const title = doc.getIn(['metadata', 'title']);
  if (typeof title === 'string') doc.setIn(['metadata', 'title'], `${title} (student ${n})`);
  const pairs = from.map((f, i) => ({ from: cidrOf(f), to: cidrOf(to[i] ?? f) }));
  return doc.toString().replace(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(\/\d{1,2})?\b/g, (all, ip: string, bits: string | undefined) => {
    let v: number;
    try {
      v = ipv4OrThrow(ip);
    } catch {
      return all;
    }
    const p = pairs.find((x) => v >= x.from.network && v < x.from.network + size(x.from));
    if (!p) return all;
    return `${formatIpv4(p.to.network + (v - p.from.network))}${bits ?? ''}`;
  });
}
