/**
 * Where the Incus/LXD daemon is: the local unix socket (Incus first, then
 * LXD; `HALAB_INCUS_SOCKET` to pick one), or a named remote over HTTPS.
 *
 * Remotes live in `${HALAB_INCUS_CONFIG_DIR:-~/.config/halab/incus}`:
 * `client.crt`/`client.key` (this computer's client certificate, made once
 * with openssl, key 0600) and `remotes/<name>.json` (`{url, serverCert}`,
 * the server certificate pinned when the remote was added). `addRemote`
 * sends the instructor's trust token once; afterwards the certificate alone
 * is trusted. `HALAB_INCUS_REMOTE=<name>` (or `--remote`) selects one.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { run } from '../../exec/runner';
import { IncusClient, type IncusEndpoint } from './client';
import { localSocketCandidates } from './flavor';

export interface RemoteRecord {
  url: string;
  /** PEM of the server certificate seen when the remote was added (pinned). */
  serverCert?: string;
}

export function incusConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HALAB_INCUS_CONFIG_DIR || join(homedir(), '.config', 'halab', 'incus');
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The first local socket that exists, or undefined. */
export function findLocalSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return localSocketCandidates(env).find((p) => existsSync(p));
}

/** This computer's client certificate, made once (EC P-384, 10 years, like the incus/lxc clients). */
export async function ensureClientCert(dir = incusConfigDir()): Promise<{ cert: string; key: string }> {
  const crt = join(dir, 'client.crt');
  const key = join(dir, 'client.key');
  if (!existsSync(crt) || !existsSync(key)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-sha384', '-nodes', '-keyout', key, '-out', crt, '-days', '3650', '-subj', `/O=halab/CN=halab@${hostname()}`]);
    await chmod(key, 0o600);
  }
  return { cert: await readFile(crt, 'utf8'), key: await readFile(key, 'utf8') };
}

/** The server's certificate as it presents it (to pin on first contact). */
export function fetchServerCert(url: string, timeoutMs = 10_000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: u.hostname, port: Number(u.port || 8443), rejectUnauthorized: false, servername: /^[\d.]+$/.test(u.hostname) ? undefined : u.hostname }, () => {
      const c = sock.getPeerCertificate();
      sock.end();
      if (!c?.raw) return reject(new Error(`${url} presented no certificate`));
      const b64 = c.raw.toString('base64').replace(/(.{64})/g, '$1\n');
      resolve(`-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`);
    });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`${url}: no TLS answer within ${timeoutMs / 1000} s`)));
    sock.on('error', reject);
  });
}

/** Add (or re-trust) a remote with the instructor's token; returns a client for it. */
export async function addRemote(name: string, url: string, token: string, dir = incusConfigDir()): Promise<IncusClient> {
  if (!REMOTE_NAME.test(name)) throw new Error(`"${name}" is not a usable remote name (letters, digits, ".", "_", "-").`);
  if (!/^https:\/\//.test(url)) throw new Error(`The remote address must start with https:// (got "${url}").`);
  const { cert, key } = await ensureClientCert(dir);
  const serverCert = await fetchServerCert(url);
  const client = new IncusClient({ kind: 'https', url, cert, key, serverCert });
  await client.trust(token, `halab-${hostname()}`);
  await mkdir(join(dir, 'remotes'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'remotes', `${name}.json`), JSON.stringify({ url, serverCert } satisfies RemoteRecord, null, 2) + '\n', { mode: 0o600 });
  return client;
}

/** The endpoint of a named remote (after addRemote). */
export async function remoteEndpoint(name: string, dir = incusConfigDir()): Promise<IncusEndpoint> {
  if (!REMOTE_NAME.test(name)) throw new Error(`"${name}" is not a usable remote name.`);
  const file = join(dir, 'remotes', `${name}.json`);
  const rec = JSON.parse(await readFile(file, 'utf8').catch(() => {
    throw new Error(`There is no Incus remote named "${name}" (${file} is missing). Add it with: halab class remote add ${name} https://HOST:8443 TOKEN`);
  })) as RemoteRecord;
  const { cert, key } = await ensureClientCert(dir);
  return { kind: 'https', url: rec.url, cert, key, serverCert: rec.serverCert };
}

/** The endpoint to use: a remote by name (argument or HALAB_INCUS_REMOTE), else the local socket; undefined when none exists. */
export async function resolveEndpoint(remote?: string, env: NodeJS.ProcessEnv = process.env): Promise<IncusEndpoint | undefined> {
  const name = remote ?? env.HALAB_INCUS_REMOTE;
  if (name) return remoteEndpoint(name);
  const socketPath = findLocalSocket(env);
  return socketPath ? { kind: 'unix', socketPath } : undefined;
}
