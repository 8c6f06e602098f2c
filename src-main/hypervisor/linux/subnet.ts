/**
 * IPv4 subnet helpers for the Linux lab provider, over the project's one
 * IPv4 module (`shared/blueprint/ip.ts`). Pure, no I/O.
 */
import { cidrOf, cidrOverlap, formatIpv4, inCidr, ipv4OrThrow, isPrivateCidr, prefixMask, type Cidr } from '../../shared/blueprint/ip';

export type { Cidr };

/** Parse a dotted IPv4 address into a 32-bit unsigned number; throws on bad input. */
export const ipToInt = ipv4OrThrow;

/** Format a 32-bit unsigned number as a dotted IPv4 address. */
export const intToIp = formatIpv4;

/** Parse `a.b.c.d/n`; the host bits are cleared. Throws on bad input. */
export const parseCidr = cidrOf;

/** Canonical `a.b.c.d/n` text for a subnet. */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

/** Number of addresses in the subnet. */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** True when the address lies inside the subnet. */
export function cidrContains(c: Cidr, ip: string): boolean {
  return inCidr(ipv4OrThrow(ip), c);
}

/** True when the two subnets share at least one address. */
export const cidrOverlaps = cidrOverlap;

/** True when the whole subnet lies inside one RFC 1918 private range. */
export const isPrivateSubnet = isPrivateCidr;

/** Dotted netmask for a prefix length (24 → 255.255.255.0). */
export function prefixToMask(prefix: number): string {
  return formatIpv4(prefixMask(prefix));
}
