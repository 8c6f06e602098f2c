/**
 * Can the Incus/LXD provider run here, and if not why and what to do, in the
 * catalog's words (`use.incus.*`, en/ko) as the Provision screen, `lab:status`
 * and `up` show them: a daemon found and answering, this computer trusted,
 * and root for a local daemon (halab guards the lab subnets on this host);
 * and the connection itself (`connect`).
 */
import { msg, type Message } from '../../shared/i18n';
import type { Usability } from '../types';
import { HypervisorError, withMsg } from '../types';
import { IncusClient, type IncusEndpoint } from './client';
import { resolveEndpoint } from './remotes';

/** A client for the endpoint given, else the remote by name (or HALAB_INCUS_REMOTE), else the local socket; none found is `use.incus.noDaemon`. */
export async function connect(endpoint: IncusEndpoint | undefined, remote: string | undefined): Promise<IncusClient> {
  const ep = endpoint ?? (await resolveEndpoint(remote));
  if (!ep) {
    throw withMsg(
      new HypervisorError('No Incus or LXD daemon was found on this computer (no /var/lib/incus/unix.socket or /var/lib/lxd/unix.socket).', 'not-usable', 'Install and start one: sudo bash scripts/incus/setup.sh (Debian’s LXD), or add a remote with `halab class remote add NAME https://HOST:8443 TOKEN`.'),
      msg('use.incus.noDaemon'),
    );
  }
  return new IncusClient(ep);
}

export async function incusUsability(client: () => Promise<IncusClient>): Promise<Usability> {
  try {
    const c = await client();
    const info = await c.server(true);
    const f = await c.facts();
    const details = `${f.label} ${info.environment?.server_version ?? '?'} at ${c.where}${info.environment?.server_clustered ? ' (cluster)' : ''}`;
    if (info.auth !== 'trusted') {
      const reasonMsg = msg('use.incus.untrusted', { server: f.label, where: c.where });
      return { usable: false, reason: `${f.label} at ${c.where} does not trust this computer yet.`, fix: 'Ask the instructor for a trust token and run `halab class remote add NAME URL TOKEN`.', reasonMsg, fixMsg: msg('use.incus.untrusted.fix'), details };
    }
    if (c.endpoint.kind === 'unix' && (typeof process.getuid !== 'function' || process.getuid() !== 0)) {
      return {
        usable: false,
        reason: 'A lab on the local Incus/LXD daemon needs root: halab guards the lab subnets with routes on this computer.',
        fix: 'Run it as root, for example `sudo halab up FILE --provider incus` (or `sudo halab serve` for the window).',
        reasonMsg: msg('use.incus.root'),
        fixMsg: msg('use.incus.root.fix'),
        details,
      };
    }
    return { usable: true, details };
  } catch (e) {
    const m = (e as { msg?: Message }).msg;
    if (e instanceof HypervisorError && m) return { usable: false, reason: e.message, fix: e.fix, reasonMsg: m, fixMsg: msg('use.incus.noDaemon.fix') };
    const error = (e as Error).message;
    return {
      usable: false,
      reason: `The Incus/LXD daemon does not answer: ${error}`,
      fix: 'Start it: sudo bash scripts/incus/setup.sh (it starts Debian’s LXD when nothing runs it).',
      reasonMsg: msg('use.incus.noAnswer', { error }),
      fixMsg: msg('use.incus.noAnswer.fix'),
    };
  }
}
