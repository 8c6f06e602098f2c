/**
 * Which links the desktop window may hand to the system browser
 * (`shell.openExternal`). The renderer is untrusted, so a link is opened
 * only when it is one of these, and refused otherwise:
 *
 * 1. **Documentation**: `https:` on the default port to one of
 *    `DOCUMENTATION_HOSTS` (VMware Workstation and Ubuntu cloud image docs).
 * 2. **A lab's own web pages** (Prometheus, Grafana on the dashboard):
 *    `http:` or `https:` to an origin (scheme, address, port) that the
 *    backend itself announced in a `monitor:state` event of this process,
 *    and whose address is an IPv4 literal in an RFC 1918 range (lab subnets
 *    must be private; see `rules-network.ts`).
 *
 * Nothing else: no loopback (other local services), no host names for labs,
 * no user:password@ URLs, no other schemes (file:, javascript:, custom
 * protocol handlers).
 */
import { isPrivateCidr, parseCidr } from '../shared/blueprint/ip';

export const DOCUMENTATION_HOSTS: readonly string[] = ['techdocs.broadcom.com', 'docs.vmware.com', 'documentation.ubuntu.com', 'cloud-images.ubuntu.com'];

/** How many lab origins are remembered (a few labs, each with a couple of web UIs). */
const MAX_LAB_ORIGINS = 64;

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function isPrivateIpv4(host: string): boolean {
  const r = parseCidr(`${host}/32`);
  return r.ok && isPrivateCidr(r.cidr);
}

export class ExternalLinks {
  private readonly labOrigins = new Set<string>();

  /** Remember a lab web page's origin that the backend announced. Ignored unless it is http(s) to a private IPv4 address. */
  announceLabUrl(url: string | undefined): void {
    if (!url) return;
    const u = parse(url);
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || !isPrivateIpv4(u.hostname)) return;
    if (this.labOrigins.size >= MAX_LAB_ORIGINS) this.labOrigins.delete(this.labOrigins.values().next().value as string);
    this.labOrigins.add(u.origin);
  }

  /** Read the lab web pages out of a backend event (`monitor:state` carries them). */
  observeEvent(channel: string, payload: unknown): void {
    if (channel !== 'monitor:state' || !payload || typeof payload !== 'object') return;
    const p = payload as { prometheusUrl?: unknown; grafanaUrl?: unknown };
    for (const u of [p.prometheusUrl, p.grafanaUrl]) if (typeof u === 'string') this.announceLabUrl(u);
  }

  /** The URL to open in the system browser, normalised; null when it is not allowed. */
  allowed(url: string): string | null {
    const u = parse(url);
    if (!u || u.username || u.password) return null;
    if (u.protocol === 'https:' && u.port === '' && DOCUMENTATION_HOSTS.includes(u.hostname)) return u.href;
    if ((u.protocol === 'http:' || u.protocol === 'https:') && isPrivateIpv4(u.hostname) && this.labOrigins.has(u.origin)) return u.href;
    return null;
  }
}
