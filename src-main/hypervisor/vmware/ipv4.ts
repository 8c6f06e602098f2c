/** Small IPv4 helpers for subnets written as CIDR (`192.168.10.0/24`). */

/** Dotted quad to a 32-bit unsigned number. Throws on malformed input. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** `{ network: '10.0.0.0', mask: '255.255.255.0', bits: 24 }` from `10.0.0.7/24`. */
export function parseCidr(cidr: string): { network: string; mask: string; bits: number } {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!addr || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not a CIDR subnet: ${cidr}`);
  const size = 2 ** (32 - bits);
  return { network: intToIp(Math.floor(ipToInt(addr) / size) * size), mask: intToIp(2 ** 32 - size), bits };
}

/** Prefix length of a dotted mask (`255.255.255.0` → 24). */
export function maskBits(mask: string): number {
  return ipToInt(mask).toString(2).replace(/0+$/, '').length;
}

/** True when `ip` is inside `cidr`. False for malformed input. */
export function inCidr(ip: string, cidr: string): boolean {
  try {
    const { network, bits } = parseCidr(cidr);
    const size = 2 ** (32 - bits);
    const start = ipToInt(network);
    const v = ipToInt(ip);
    return v >= start && v < start + size;
  } catch {
    return false;
  }
}
