/**
 * ISC dhcpd lease files as VMware's DHCP server writes them (Linux:
 * /etc/vmware/vmnetN/dhcpd/dhcpd.leases; Windows:
 * C:\ProgramData\VMware\vmnetdhcp.leases). A second way to learn a guest's
 * address when VMware Tools cannot tell (headless starts, secondary NICs).
 */

export interface DhcpLease {
  ip: string;
  mac?: string;
  starts?: Date;
  ends?: Date;
  hostname?: string;
}

/** ISC writes `<weekday> YYYY/MM/DD HH:MM:SS` in UTC, or `never`. */
function leaseDate(text: string | undefined): Date | undefined {
  const m = /(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})/.exec(text ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0));
}

/** Parse every `lease <ip> { … }` block. Unknown statements are ignored. */
export function parseDhcpLeases(text: string): DhcpLease[] {
  const out: DhcpLease[] = [];
  const block = /lease\s+(\d+\.\d+\.\d+\.\d+)\s*\{([^}]*)\}/g;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const body = m[2] ?? '';
    const field = (re: RegExp): string | undefined => re.exec(body)?.[1];
    const lease: DhcpLease = { ip: m[1] ?? '' };
    const mac = field(/hardware\s+ethernet\s+([0-9a-fA-F:]+)\s*;/);
    if (mac) lease.mac = mac.toLowerCase();
    const starts = leaseDate(field(/starts\s+([^;]*);/));
    if (starts) lease.starts = starts;
    const ends = leaseDate(field(/ends\s+([^;]*);/));
    if (ends) lease.ends = ends;
    const host = field(/client-hostname\s+"([^"]*)"\s*;/);
    if (host) lease.hostname = host;
    out.push(lease);
  }
  return out;
}

/** The most recent lease for `mac` that is active at `now`, or undefined. */
export function activeLeaseFor(leases: DhcpLease[], mac: string, now: Date = new Date()): DhcpLease | undefined {
  const want = mac.toLowerCase();
  const t = now.getTime();
  return leases
    .filter((l) => l.mac === want && (l.starts === undefined || l.starts.getTime() <= t) && (l.ends === undefined || l.ends.getTime() > t))
    .sort((a, b) => (b.starts?.getTime() ?? 0) - (a.starts?.getTime() ?? 0))[0];
}

/** Format a date the way ISC dhcpd does (used by the fake DHCP server in tests and by fixtures). */
export function formatLeaseDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
