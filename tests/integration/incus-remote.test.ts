/**
 * Remote Incus/LXD over HTTPS with a client certificate and a trust token,
 * for real on this machine: the local LXD daemon is made to listen on
 * 127.0.0.1:8443 (loopback only), a token is made through the unix socket
 * (what `lxc config trust add NAME` does), `addRemote` pins the server
 * certificate, sends the token once with a fresh client certificate, and the
 * provider then works over HTTPS by the remote's name. The listener and the
 * certificate are removed afterwards. No instance is started.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncusClient, IncusProvider } from '../../src-main/hypervisor/incus';
import { addRemote, findLocalSocket, remoteEndpoint } from '../../src-main/hypervisor/incus/remotes';

const ADDRESS = '127.0.0.1:8443';
const local = new IncusClient({ kind: 'unix', socketPath: findLocalSocket() ?? '/var/lib/lxd/unix.socket' });
let cfgDir = '';
let before: unknown;

async function makeToken(name: string): Promise<string> {
  const op = await local.raw<{ id: string; metadata: Record<string, unknown> }>('POST', '/1.0/certificates', { body: { type: 'client', name, token: true } });
  const m = op.metadata.metadata as { secret: string; fingerprint: string; addresses: string[]; request: { name: string } };
  return Buffer.from(JSON.stringify({ client_name: name, fingerprint: m.fingerprint, addresses: m.addresses, secret: m.secret, expires_at: '0001-01-01T00:00:00Z' })).toString('base64');
}

beforeAll(async () => {
  const info = await local.server(true);
  if (info.auth !== 'trusted') throw new Error('The local Incus/LXD daemon is not reachable as root; run sudo bash scripts/incus/setup.sh.');
  before = info.config?.['core.https_address'];
  await local.sync('PATCH', '/1.0', { body: { config: { 'core.https_address': ADDRESS } } });
  cfgDir = await mkdtemp(join(tmpdir(), 'halab-incus-remote-'));
}, 60_000);

afterAll(async () => {
  const certs = await local.get<{ name: string; fingerprint: string }[]>('/1.0/certificates', { query: { recursion: '1' } }).catch(() => []);
  for (const c of certs.filter((x) => x.name.startsWith('halab-'))) await local.sync('DELETE', `/1.0/certificates/${c.fingerprint}`).catch(() => undefined);
  await local.sync('PATCH', '/1.0', { body: { config: { 'core.https_address': typeof before === 'string' ? before : '' } } });
  await rm(cfgDir, { recursive: true, force: true });
}, 60_000);

describe('a remote Incus/LXD over HTTPS, trusted with a token', () => {
  it('is untrusted before the token, trusted after, and remembered by name', async () => {
    const token = await makeToken('halab-it-remote');
    const client = await addRemote('loop', `https://${ADDRESS}`, token, cfgDir);
    expect((await client.server(true)).auth).toBe('trusted');
    expect((await client.facts()).flavor).toMatch(/^(lxd|incus)$/);
    expect((await stat(join(cfgDir, 'client.key'))).mode & 0o777).toBe(0o600);
    const ep = await remoteEndpoint('loop', cfgDir);
    expect(ep.kind).toBe('https');
    // A fresh client with the stored certificate and pinned server certificate is trusted without any token.
    expect((await new IncusClient(ep).server(true)).auth).toBe('trusted');
  });

  it('refuses a used token, and a client without trust is told so', async () => {
    const other = await mkdtemp(join(tmpdir(), 'halab-incus-remote2-'));
    try {
      await expect(addRemote('loop2', `https://${ADDRESS}`, 'bm90LWEtdG9rZW4=', other)).rejects.toThrow();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('the provider works through the remote by name (HALAB_INCUS_CONFIG_DIR)', async () => {
    process.env.HALAB_INCUS_CONFIG_DIR = cfgDir;
    try {
      const hv = new IncusProvider({ remote: 'loop' });
      const u = await hv.checkUsable();
      expect(u.usable, `${u.reason} ${u.fix}`).toBe(true);
      expect(u.details).toContain(`https://${ADDRESS}`);
      expect(await hv.list({ id: 'no-such-lab', dir: cfgDir })).toEqual([]);
    } finally {
      delete process.env.HALAB_INCUS_CONFIG_DIR;
    }
  });
});
