/**
 * IPv4 helpers in the string forms VMware's tools use (dotted masks), over
 * the project's one IPv4 module (`shared/blueprint/ip.ts`).
 */
import { cidrOf, formatIpv4, inCidr as inSubnet, ipv4OrThrow, maskPrefix } from '../../shared/blueprint/ip';

/** Dotted quad to a 32-bit unsigned number. Throws on malformed input. */
export const ipToInt = ipv4OrThrow;

export const intToIp = formatIpv4;

/** `{ network: '10.0.0.0', mask: '255.255.255.0', bits: 24 }` from `10.0.0.7/24`. */
export function parseCidr(cidr: string): { network: string; mask: string; bits: number } {
  const c = cidrOf(cidr);
  return { network: formatIpv4(c.network), mask: formatIpv4(c.mask), bits: c.prefix };
}

/** Prefix length of a dotted mask (`255.255.255.0` → 24). */
export function maskBits(mask: string): number {
  return maskPrefix(ipv4OrThrow(mask));
}

/** True when `ip` is inside `cidr`. False for malformed input. */
export function inCidr(ip: string, cidr: string): boolean {
  try {
    return inSubnet(ipv4OrThrow(ip), cidrOf(cidr));
  } catch {
    return false;
  }
}
