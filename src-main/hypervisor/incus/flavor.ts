/**
 * Incus and LXD speak the same `/1.0` REST API (Incus was forked from LXD).
 * Every difference this provider meets is kept here, in one place: where the
 * local socket is, the daemon's name, the header prefix of the file and image
 * APIs, and the field a trust token travels in.
 *
 * Which one answers is read from `GET /1.0` (`environment.server`: `incus` or
 * `lxd`); an old LXD without that field is LXD.
 */

export type IncusFlavor = 'incus' | 'lxd';

export interface FlavorFacts {
  flavor: IncusFlavor;
  /** What the user calls it. */
  label: string;
  /** Its command-line client (for fixes we print). */
  cli: string;
  /** Default local unix socket of the Debian/upstream packages. */
  socketPaths: string[];
  /** Prefix of the file/image API headers: `X-Incus-uid` or `X-LXD-uid`. */
  headerPrefix: string;
  /**
   * The field of `POST /1.0/certificates` that carries a trust token: Incus
   * has `trust_token`; LXD 5.0 takes the token in `password` (its
   * `certificate_token` extension).
   */
  tokenField: 'trust_token' | 'password';
}

export const FLAVORS: Record<IncusFlavor, FlavorFacts> = {
  incus: {
    flavor: 'incus',
    label: 'Incus',
    cli: 'incus',
    socketPaths: ['/var/lib/incus/unix.socket', '/run/incus/unix.socket'],
    headerPrefix: 'X-Incus',
    tokenField: 'trust_token',
  },
  lxd: {
    flavor: 'lxd',
    label: 'LXD',
    cli: 'lxc',
    socketPaths: ['/var/lib/lxd/unix.socket', '/var/snap/lxd/common/lxd/unix.socket'],
    headerPrefix: 'X-LXD',
    tokenField: 'password',
  },
};

/** Local sockets to try, Incus first (it is the maintained fork). `HALAB_INCUS_SOCKET` wins. */
export function localSocketCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.HALAB_INCUS_SOCKET) return [env.HALAB_INCUS_SOCKET];
  return [...FLAVORS.incus.socketPaths, ...FLAVORS.lxd.socketPaths];
}

/** The flavor from `GET /1.0`'s metadata. */
export function flavorOf(server: { environment?: { server?: string; server_name?: string } }): FlavorFacts {
  const name = (server.environment?.server ?? '').toLowerCase();
  return name === 'incus' ? FLAVORS.incus : FLAVORS.lxd;
}

/** Body of `POST /1.0/certificates` that trusts a client certificate with a token. */
export function trustRequestBody(f: FlavorFacts, certPem: string | undefined, token: string, name: string): Record<string, unknown> {
  const body: Record<string, unknown> = { type: 'client', name, [f.tokenField]: token };
  if (certPem) body.certificate = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return body;
}
