/**
 * IPv4 subnet arithmetic for the Linux lab provider (pure, no I/O).
 */

/** An IPv4 subnet as numbers: network address and prefix length. */
export interface Cidr {
  network: number;
  prefix: number;
}

/** Parse a dotted IPv4 address into a 32-bit unsigned number; throws on bad input. */
export function ipToInt(ip: string): number {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let value = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    value = value * 256 + Number(p);
  }
  return value;
}

/** Format a 32-bit unsigned number as a dotted IPv4 address. */
export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.');
}

/** Parse `a.b.c.d/n`; the host bits are cleared. Throws on bad input. */
export function parseCidr(cidr: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`"${cidr}" is not a subnet in CIDR form (like 192.168.10.0/24)`);
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  return { network: Math.floor(ipToInt(m[1] ?? '') / size) * size, prefix };
}

/** Canonical `a.b.c.d/n` text for a subnet. */
export function formatCidr(c: Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

/** Number of addresses in the subnet. */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** True when the address lies inside the subnet. */
export function cidrContains(c: Cidr, ip: string): boolean {
  const v = ipToInt(ip);
  return v >= c.network && v < c.network + cidrSize(c);
}

/** True when the two subnets share at least one address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

const PRIVATE: Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(parseCidr);

/** True when the whole subnet lies inside one RFC 1918 private range. */
export function isPrivateSubnet(c: Cidr): boolean {
  return PRIVATE.some((p) => p.prefix <= c.prefix && cidrContains(p, intToIp(c.network)));
}

/** Dotted netmask for a prefix length (24 → 255.255.255.0). */
export function prefixToMask(prefix: number): string {
  return intToIp(prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0);
}
