/**
 * What a cloned VM needs in its overlay upper layer before first boot, the
 * way cloud-init or a VMware customization would do it: its own random
 * machine-id, its hostname, and the lab's SSH key for root.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A fresh machine-id (32 lower-case hex digits). */
export function newMachineId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Create `rel` (a/b/c) inside `upper`, each new folder taking the mode and
 * owner of the same folder in the base image: a new upper folder's mode wins
 * in the merged view, so `/root` must stay 0700 for sshd to accept keys.
 */
export async function mkdirLike(base: string, upper: string, rel: string, fallbackMode = 0o755): Promise<void> {
  let cur = '';
  for (const part of rel.split('/').filter(Boolean)) {
    cur = cur ? join(cur, part) : part;
    const target = join(upper, cur);
    if (existsSync(target)) continue;
    const lower = await stat(join(base, cur)).catch(() => undefined);
    await mkdir(target);
    await chmod(target, lower ? lower.mode & 0o7777 : fallbackMode);
    if (lower) await chown(target, lower.uid, lower.gid);
  }
}

async function put(path: string, content: string, mode: number): Promise<void> {
  await writeFile(path, content);
  await chmod(path, mode);
  await chown(path, 0, 0);
}

/** Write identity files into a VM's upper layer (before its first boot). */
export async function seedUpper(base: string, upper: string, vm: { hostname: string; sshPublicKey?: string }): Promise<void> {
  await mkdir(upper, { recursive: true });
  await mkdirLike(base, upper, 'etc');
  await put(join(upper, 'etc', 'machine-id'), `${newMachineId()}\n`, 0o444);
  await put(join(upper, 'etc', 'hostname'), `${vm.hostname}\n`, 0o644);
  await put(
    join(upper, 'etc', 'hosts'),
    `127.0.0.1\tlocalhost\n127.0.1.1\t${vm.hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`,
    0o644,
  );
  if (vm.sshPublicKey) {
    await mkdirLike(base, upper, 'root');
    await mkdirLike(base, upper, 'root/.ssh', 0o700);
    await put(join(upper, 'root', '.ssh', 'authorized_keys'), `${vm.sshPublicKey.trim()}\n`, 0o600);
  }
}
