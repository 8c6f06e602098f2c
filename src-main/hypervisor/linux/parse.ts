/**
 * Parsers for the text the Linux lab provider reads: `ip -br addr`,
 * dnsmasq's lease file, `/proc/<pid>/stat`, `/proc/mounts` and apt sources.
 * Pure functions, unit-tested on recorded output.
 */

/** One line of `ip -4 -br addr`: interface, its state and its `a.b.c.d/n` addresses. */
export interface BriefAddr {
  ifname: string;
  state: string;
  addresses: string[];
}

/** Parse `ip [-4] -br addr` output. `ens33@if12` becomes `ens33`. */
export function parseBriefAddr(text: string): BriefAddr[] {
  const out: BriefAddr[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    const [name, state, ...addresses] = fields;
    if (!name || !state) continue;
    out.push({ ifname: name.replace(/@.*$/, ''), state, addresses: addresses.filter((a) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(a)) });
  }
  return out;
}

/** The first IPv4 address (without prefix) on an interface, from `ip -4 -br addr`. */
export function addressOf(text: string, ifname: string): string | undefined {
  const entry = parseBriefAddr(text).find((e) => e.ifname === ifname);
  return entry?.addresses[0]?.split('/')[0];
}

/** One dnsmasq lease. */
export interface Lease {
  expires: number;
  mac: string;
  ip: string;
  hostname: string;
}

/** Parse dnsmasq's lease file (`EXPIRY MAC IP HOSTNAME CLIENT-ID` per line). */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split('\n')) {
    const [expires, mac, ip, hostname] = line.trim().split(/\s+/);
    if (!expires || !mac || !ip || !/^\d+$/.test(expires) || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) continue;
    out.push({ expires: Number(expires), mac: mac.toLowerCase(), ip, hostname: hostname ?? '*' });
  }
  return out;
}

/** The fields of `/proc/<pid>/stat` the provider needs. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T (stopped), Z (zombie), … */
  state: string;
  ppid: number;
  /** Start time in clock ticks after boot: with the pid it identifies a process for sure. */
  starttime: number;
}

/** Parse `/proc/<pid>/stat`; the command name may itself contain spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state); starttime is field 22.
  const state = rest[0];
  const ppid = Number(rest[1]);
  const starttime = Number(rest[19]);
  if (!Number.isInteger(pid) || !state || !Number.isInteger(ppid) || !Number.isFinite(starttime)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, starttime };
}

/** One line of /proc/mounts. */
export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string;
}

const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parse /proc/mounts (octal escapes such as `\040` for a space are decoded). */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, target, fstype, options] = line.split(' ');
    if (!source || !target || !fstype) continue;
    out.push({ source: unescapeMount(source), target: unescapeMount(target), fstype, options: options ?? '' });
  }
  return out;
}

/** A Debian archive URL found in apt's sources, with the suites it serves. */
export interface AptSource {
  uri: string;
  suites: string[];
}

/**
 * Read apt sources: deb822 `.sources` text (`URIs:` / `Suites:` stanzas) and
 * one-line `deb URI SUITE …` lists. Comment lines are ignored — a commented-out
 * snapshot URL is not what apt uses.
 */
export function parseAptSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  const lines = text.split('\n').map((l) => l.trim());
  for (const line of lines) {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m?.[1] && m[2]) out.push({ uri: m[1], suites: [m[2]] });
  }
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string): string[] => {
      const m = new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n'));
      return m?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
    };
    const types = field('Types');
    if (types.length > 0 && !types.includes('deb')) continue;
    const suites = field('Suites');
    for (const uri of field('URIs')) out.push({ uri, suites });
  }
  return out;
}

/**
 * The Debian mirror debootstrap should use: the first non-security source
 * serving the suite (or its -updates), preferring an http(s) URL whose path
 * ends in `/debian`.
 */
export function pickDebianMirror(sources: AptSource[], suite: string): string | undefined {
  const fits = sources.filter(
    (s) => /^https?:\/\//.test(s.uri) && !/security/.test(s.uri) && s.suites.some((x) => x === suite || x === `${suite}-updates`),
  );
  const best = fits.find((s) => /\/debian\/?$/.test(s.uri)) ?? fits[0];
  return best?.uri.replace(/\/+$/, '');
}
