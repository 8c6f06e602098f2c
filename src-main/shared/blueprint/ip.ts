/**
 * IPv4, CIDR and MAC arithmetic for IP plans. Pure and browser-safe.
 * Addresses are handled as unsigned 32-bit numbers.
 */
import { msg, type Message } from '../i18n/index';

export interface Cidr {
  /** Network address as a number. */
  network: number;
  prefix: number;
  /** Netmask as a number. */
  mask: number;
  /** Broadcast address as a number. */
  broadcast: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a dotted quad; undefined when it is not one (no leading zeros beyond "0"). */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4_RE.exec(text.trim());
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function formatIpv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A malformed CIDR's `reason` in English (logs, old readers) and as a catalog message (`reasonMsg`, rendered in the reader's language). */
export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; reason: string; reasonMsg: Message };

/** Parse `a.b.c.d/p`; the address must be the network address itself. */
export function parseCidr(text: string): CidrResult {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || addr === undefined || prefixText === undefined) {
    return { ok: false, reason: 'it is not in the form a.b.c.d/prefix (for example 192.168.10.0/24)', reasonMsg: msg('v.cidr.form') };
  }
  const ip = parseIpv4(addr);
  if (ip === undefined) return { ok: false, reason: `"${addr}" is not an IPv4 address`, reasonMsg: msg('v.cidr.notIp', { addr }) };
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
    return { ok: false, reason: `the prefix "/${prefixText}" must be a number from 0 to 32`, reasonMsg: msg('v.cidr.prefix', { prefix: prefixText }) };
  }
  const prefix = Number(prefixText);
  const mask = prefixMask(prefix);
  const network = (ip & mask) >>> 0;
  if (network !== ip) {
    return {
      ok: false,
      reason: `${addr} is not the network address of a /${prefix}; did you mean ${formatIpv4(network)}/${prefix}?`,
      reasonMsg: msg('v.cidr.notNetwork', { addr, prefix, network: formatIpv4(network) }),
    };
  }
  return { ok: true, cidr: { network, prefix, mask, broadcast: (network | (~mask >>> 0)) >>> 0 } };
}

/** parseIpv4 that throws a plain-language error (for code past validation). */
export function ipv4OrThrow(text: string): number {
  const n = parseIpv4(text);
  if (n === undefined) throw new Error(`"${text}" is not an IPv4 address`);
  return n;
}

/** The netmask of a prefix length, as a number (24 → 0xffffff00). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The prefix length of a netmask number (0xffffff00 → 24). */
export function maskPrefix(mask: number): number {
  let p = 0;
  while (p < 32 && (mask & (0x80000000 >>> p)) !== 0) p++;
  return p;
}

/** A subnet from `a.b.c.d/p` with any host bits cleared; throws on bad input. */
export function cidrOf(text: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`"${text}" is not a subnet in CIDR form (like 192.168.10.0/24)`);
  const prefix = Number(m[2]);
  const mask = prefixMask(prefix);
  const network = (ipv4OrThrow(m[1] ?? '') & mask) >>> 0;
  return { network, prefix, mask, broadcast: (network | (~mask >>> 0)) >>> 0 };
}

export function inCidr(ip: number, c: Cidr): boolean {
  return ((ip & c.mask) >>> 0) === c.network;
}

/** The n-th address of a subnet (n = 1 is `.1` on a /24). */
export function nthHost(c: Cidr, n: number): number {
  return (c.network + n) >>> 0;
}

/** Private ranges (RFC 1918) that lab subnets must stay inside. */
const PRIVATE: Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((t) => {
  const r = parseCidr(t);
  if (!r.ok) throw new Error(t);
  return r.cidr;
});

/** True when the whole subnet lies inside an RFC 1918 private range. */
export function isPrivateCidr(c: Cidr): boolean {
  return PRIVATE.some((p) => c.prefix >= p.prefix && inCidr(c.network, p));
}

export function cidrOverlap(a: Cidr, b: Cidr): boolean {
  return inCidr(a.network, b) || inCidr(b.network, a);
}

const MAC_RE = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i;

/** Parse `aa:bb:cc:dd:ee:ff` into a number (48 bits fit in a double). */
export function parseMac(text: string): number | undefined {
  const m = MAC_RE.exec(text.trim());
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 6; i++) n = n * 256 + parseInt(m[i] as string, 16);
  return n;
}

export function formatMac(n: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(n / 256 ** i) % 256).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** VMware's range for static MACs. */
export const VMWARE_MAC_MIN = 0x005056000000;
export const VMWARE_MAC_MAX = 0x0050563fffff;

export function isVmwareStaticMac(n: number): boolean {
  return n >= VMWARE_MAC_MIN && n <= VMWARE_MAC_MAX;
}

/** 32-bit FNV-1a, for deterministic MACs and names. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A deterministic static MAC for a NIC inside VMware's static range, derived
 * from the lab, host and NIC index; `salt` moves it on collision.
 */
export function generatedMac(lab: string, hostname: string, nicIndex: number, salt = 0): string {
  const h = fnv1a(`${lab}/${hostname}/${nicIndex}/${salt}`) % 0x400000;
  return formatMac(VMWARE_MAC_MIN + h);
}
