/**
 * The lab's SSH identity: one ed25519 key pair per lab, generated on first
 * use and stored in the lab's folder with mode 0600, and the guests' host
 * keys pinned on first contact (trust on first use, like OpenSSH's
 * known_hosts, but per lab and never shared with the user's own).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface LabKey {
  privateKeyPath: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA… halab-<lab>` for authorized_keys. */
  publicKey: string;
}

/** Load the lab's key pair, creating it (0600) when missing. */
export async function ensureLabKey(labDir: string, labName: string): Promise<LabKey> {
  const dir = join(labDir, 'ssh');
  const privateKeyPath = join(dir, 'id_ed25519');
  try {
    const [privateKey, publicKey] = await Promise.all([readFile(privateKeyPath, 'utf8'), readFile(`${privateKeyPath}.pub`, 'utf8')]);
    await chmod(privateKeyPath, 0o600);
    return { privateKeyPath, privateKey, publicKey: publicKey.trim() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `halab-${labName}` });
  const tmp = `${privateKeyPath}.${process.pid}.tmp`;
  await writeFile(tmp, pair.private, { mode: 0o600 });
  await writeFile(`${privateKeyPath}.pub`, `${pair.public.trim()}\n`, { mode: 0o644 });
  await rename(tmp, privateKeyPath);
  return { privateKeyPath, privateKey: pair.private, publicKey: pair.public.trim() };
}

/** OpenSSH-style fingerprint of a host key blob: `SHA256:…`. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Pinned host keys of a lab's guests, kept in `<lab>/ssh/known_hosts.json`. */
export class HostKeyStore {
  private cache?: Record<string, string>;
  constructor(private readonly labDir: string) {}

  private get file(): string {
    return join(this.labDir, 'ssh', 'known_hosts.json');
  }

  async load(): Promise<Record<string, string>> {
    if (!this.cache) {
      try {
        this.cache = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
      } catch {
        this.cache = {};
      }
    }
    return this.cache;
  }

  async pin(name: string, fp: string): Promise<void> {
    const all = { ...(await this.load()), [name]: fp };
    await mkdir(join(this.labDir, 'ssh'), { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify(all, null, 2));
    await rename(`${this.file}.tmp`, this.file);
    this.cache = all;
  }

  /** Forget a VM's key (it was destroyed and will be re-created). */
  async forget(name: string): Promise<void> {
    const all = { ...(await this.load()) };
    if (!(name in all)) return;
    delete all[name];
    await mkdir(join(this.labDir, 'ssh'), { recursive: true, mode: 0o700 });
    await writeFile(`${this.file}.tmp`, JSON.stringify(all, null, 2));
    await rename(`${this.file}.tmp`, this.file);
    this.cache = all;
  }
}
