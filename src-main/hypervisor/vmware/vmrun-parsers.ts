/**
 * Pure parsers for vmrun's stdout (formats in reference/vmware.md §1.4).
 * Every parser accepts LF and CRLF output (Windows vmrun writes CRLF).
 */

const lines = (text: string): string[] => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** True for a dotted-quad IPv4 address. */
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** `vmrun list`: `Total running VMs: N` then one .vmx path per line. */
export function parseList(text: string): { total: number; vmxPaths: string[] } {
  const all = lines(text);
  const header = all.findIndex((l) => /^Total running VMs:\s*\d+/i.test(l));
  if (header < 0) throw new Error(`unexpected "vmrun list" output: ${JSON.stringify(text.slice(0, 200))}`);
  const total = Number(/(\d+)/.exec(all[header] ?? '')?.[1] ?? 0);
  return { total, vmxPaths: all.slice(header + 1) };
}

/** One snapshot from `listSnapshots … showTree` (depth 0 = a root snapshot). */
export interface SnapshotEntry {
  name: string;
  depth: number;
}

/** `vmrun listSnapshots`: `Total snapshots: N` then names; with showTree, children are tab-indented. */
export function parseSnapshotTree(text: string): SnapshotEntry[] {
  const raw = text.split(/\r?\n/);
  const header = raw.findIndex((l) => /^Total snapshots:\s*\d+/i.test(l.trim()));
  if (header < 0) throw new Error(`unexpected "vmrun listSnapshots" output: ${JSON.stringify(text.slice(0, 200))}`);
  return raw
    .slice(header + 1)
    .filter((l) => l.trim().length > 0)
    .map((l) => ({ name: l.trim(), depth: /^\t*/.exec(l)?.[0].length ?? 0 }));
}

/** Snapshot names from `vmrun listSnapshots` (flat or tree output). */
export function parseListSnapshots(text: string): string[] {
  return parseSnapshotTree(text).map((s) => s.name);
}

/** `vmrun getGuestIPAddress`: one IPv4 per line; anything else is ignored. */
export function parseGuestIpAddresses(text: string): string[] {
  return lines(text).filter(isIpv4);
}

/** One row of `vmrun listHostNetworks`. */
export interface HostNetwork {
  index: number;
  /** `vmnet8`, lower case. */
  name: string;
  /** `nat`, `hostOnly`, `bridged` as vmrun prints it. */
  type: string;
  dhcp: boolean;
  subnet: string;
  mask: string;
}

/** `vmrun listHostNetworks`: `Total host networks: N`, a header, rows `8 vmnet8 nat true 192.168.3.0 255.255.255.0`. */
export function parseHostNetworks(text: string): HostNetwork[] {
  const out: HostNetwork[] = [];
  for (const l of lines(text)) {
    const m = /^(\d+)\s+(\S+)\s+(\S+)\s+(true|false)\s+(\S+)\s+(\S+)$/i.exec(l);
    if (!m) continue;
    out.push({
      index: Number(m[1]),
      name: (m[2] ?? '').toLowerCase(),
      type: m[3] ?? '',
      dhcp: (m[4] ?? '').toLowerCase() === 'true',
      subnet: m[5] ?? '',
      mask: m[6] ?? '',
    });
  }
  return out;
}

export type ToolsState = 'unknown' | 'installed' | 'running';

/** `vmrun checkToolsState`: one word. */
export function parseToolsState(text: string): ToolsState {
  const word = lines(text).at(-1)?.toLowerCase();
  return word === 'running' || word === 'installed' ? word : 'unknown';
}

/** The `vmrun version 1.17.0 build-24995812` banner vmrun prints when run without arguments. */
export function parseVmrunVersion(text: string): { version: string; build?: string } | undefined {
  const m = /vmrun version ([0-9.]+)(?:\s+build-(\d+))?/i.exec(text);
  if (!m?.[1]) return undefined;
  return m[2] ? { version: m[1], build: m[2] } : { version: m[1] };
}

/** `vmrun readVariable`: the value is the output without its line ending; empty when unset. */
export function parseVariable(text: string): string {
  return text.replace(/\r?\n$/, '').replace(/\r?\n/g, '\n').trim();
}

/**
 * Key to compare .vmx paths as vmrun echoes them: forward slashes, and on
 * Windows (drive letters, case-insensitive file system) lower case.
 */
export function vmxPathKey(path: string, platform: NodeJS.Platform = process.platform): string {
  const slashes = path.trim().replace(/\\/g, '/').replace(/\/+/g, '/');
  return platform === 'win32' || /^[a-z]:\//i.test(slashes) ? slashes.toLowerCase() : slashes;
}
