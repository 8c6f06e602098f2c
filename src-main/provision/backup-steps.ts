/**
 * Access for the nightly dump's copy to another node (`backup.copyTo`, e.g.
 * the NFS server of the seed-004 lab): a key on the backup node, a
 * restricted account on the target that only accepts that key from that
 * address, and the target's host key pinned for `scp -o StrictHostKeyChecking=yes`.
 */
import { BACKUP_COPY_KEY, BACKUP_COPY_USER } from '../configs/backup';
import { reach, type RenderContext } from '../configs/context';
import type { StepContext } from './engine';
import type { GuestPool } from './guest-pool';

export async function backupCopyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'changed' | 'unchanged'> {
  const b = ctx.lab.lab.services.backup!;
  const target = b.copyTo!;
  const src = await pool.get(b.runOn, { signal: s.signal, log: s.log });
  const dst = await pool.get(target, { signal: s.signal, log: s.log });
  const targetAddr = reach(ctx, b.runOn, target);
  const sourceAddr = reach(ctx, target, b.runOn);
  let changed = false;
  const made = await src.exec(['sh', '-c', 'if [ -f "$1" ]; then echo have; else mkdir -p "$(dirname "$1")" && ssh-keygen -q -t ed25519 -N "" -C halab-backup -f "$1" && echo made; fi', 'sh', BACKUP_COPY_KEY]);
  changed ||= made.stdout.includes('made');
  const pub = (await src.exec(['cat', `${BACKUP_COPY_KEY}.pub`])).stdout.trim();
  const user = await dst.exec(['sh', '-c', 'id -u "$1" >/dev/null 2>&1 && echo have || { useradd --create-home --shell /bin/sh "$1" && echo made; }', 'sh', BACKUP_COPY_USER]);
  changed ||= user.stdout.includes('made');
  const dir = `${b.targetDir}/${b.runOn}`;
  await dst.exec(['install', '-d', '-o', BACKUP_COPY_USER, '-g', BACKUP_COPY_USER, '-m', '0750', dir]);
  const home = (await dst.exec(['sh', '-c', 'getent passwd "$1" | cut -d: -f6', 'sh', BACKUP_COPY_USER])).stdout.trim();
  const auth = await dst.writeFile(`${home}/.ssh/authorized_keys`, `restrict,from="${sourceAddr}" ${pub}\n`, { mode: '0600', owner: `${BACKUP_COPY_USER}:${BACKUP_COPY_USER}` });
  await dst.exec(['chown', `${BACKUP_COPY_USER}:${BACKUP_COPY_USER}`, `${home}/.ssh`]);
  changed ||= auth.changed;
  const known = await src.exec(['sh', '-c', 'f=/root/.ssh/known_hosts; ssh-keygen -F "$1" -f "$f" >/dev/null 2>&1 && echo have || { ssh-keyscan -T 5 -t ed25519 "$1" >> "$f" 2>/dev/null && echo made; }', 'sh', targetAddr]);
  changed ||= known.stdout.includes('made');
  if (changed) s.log(`${b.runOn} may copy dumps to ${BACKUP_COPY_USER}@${target}:${dir}`);
  return changed ? 'changed' : 'unchanged';
}
