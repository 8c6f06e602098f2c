/**
 * Access for the nightly dump's copy to another node (`backup.copyTo`, e.g.
 * the NFS server of the seed-004 lab): a key on the backup node, an account
 * on the target with no shell that sshd serves SFTP only, chrooted to the
 * backup folder, accepting only that key from that address (the key lives in
 * a root-owned file, never in the account's home), and the target's host key
 * pinned for `scp -o StrictHostKeyChecking=yes`. Also the backup folder
 * itself, which the lab makes and marks, and refuses to take over when
 * something else made it.
 */
import {
  BACKUP_COPY_KEY,
  BACKUP_COPY_KEYS_DIR,
  BACKUP_COPY_SHELL,
  BACKUP_COPY_SSHD_PATH,
  BACKUP_COPY_USER,
  renderBackupCopyKey,
  renderBackupCopySshd,
} from '../configs/backup';
import { reach, type RenderContext } from '../configs/context';
import { GuestError, type Guest } from '../guest/guest';
import type { StepContext } from './engine';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import type { GuestPool } from '../lab/guest-pool';

/** The file in a backup folder that says the lab made it. */
export const LAB_DIR_MARK = '.halab-lab';

/**
 * $1 folder, $2 lab name. Makes the folder (root:root 0755, marked) or
 * accepts it when the mark is there; exit 4 when it exists unmarked, 5 when
 * it is not a plain folder at its own path.
 */
const LAB_DIR_SCRIPT = [
  'set -eu',
  'dir=$1',
  'if [ -L "$dir" ] || { [ -e "$dir" ] && [ ! -d "$dir" ]; }; then echo "$dir is not a plain folder" >&2; exit 5; fi',
  'if [ "$(realpath -m -- "$dir")" != "$dir" ]; then echo "$dir goes through a symbolic link ($(realpath -m -- "$dir"))" >&2; exit 5; fi',
  'if [ -d "$dir" ]; then',
  `  if [ -f "$dir/${LAB_DIR_MARK}" ] && [ ! -L "$dir/${LAB_DIR_MARK}" ] && [ "$(stat -c %u -- "$dir")" = 0 ]; then echo have; else echo "$dir already exists and was not made by HA Lab Studio" >&2; exit 4; fi`,
  'else',
  '  mkdir -p -m 0755 -- "$dir"',
  `  printf '%s\\n' "$2" > "$dir/${LAB_DIR_MARK}"`,
  '  echo made',
  'fi',
  'chown -h root:root -- "$dir"',
  'chmod 0755 -- "$dir"',
].join('\n');

/** Make (or accept, when the lab made it) a backup folder on a guest; refuses any other existing folder. */
export async function ensureLabDir(g: Guest, ctx: RenderContext, dir: string): Promise<boolean> {
  try {
    const r = await g.exec(['sh', '-c', LAB_DIR_SCRIPT, 'sh', dir, ctx.lab.name]);
    return r.stdout.includes('made');
  } catch (e) {
    const code = e instanceof GuestError ? e.result?.code : undefined;
    if (code === 4 || code === 5) {
      throw new MessageError(msg(code === 4 ? 'prov.err.backupDirTaken' : 'prov.err.backupDirNotPlain', { vm: g.name, dir }), { cause: e });
    }
    throw e;
  }
}

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

  // The account: no home, no shell (an older lab's account gets its shell taken away).
  const user = await dst.exec([
    'sh',
    '-c',
    'if id -u "$1" >/dev/null 2>&1; then if [ "$(getent passwd "$1" | cut -d: -f7)" = "$2" ]; then echo have; else usermod --shell "$2" "$1" && echo fixed; fi; else useradd --system --user-group --no-create-home --home-dir /nonexistent --shell "$2" "$1" && echo made; fi',
    'sh',
    BACKUP_COPY_USER,
    BACKUP_COPY_SHELL,
  ]);
  changed ||= !user.stdout.includes('have');

  // The chroot (root's, as sshd demands) and in it the node's folder, the only place the account may write.
  changed = (await ensureLabDir(dst, ctx, b.targetDir)) || changed;
  const dir = `${b.targetDir}/${b.runOn}`;
  const leaf = await dst.exec([
    'sh',
    '-c',
    'if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then echo "$1 is not a plain folder" >&2; exit 5; fi; [ -d "$1" ] && echo have || { mkdir -m 0750 -- "$1" && echo made; }; chown -h "$2:$2" -- "$1"; chmod 0750 -- "$1"',
    'sh',
    dir,
    BACKUP_COPY_USER,
  ]);
  changed ||= leaf.stdout.includes('made');

  const key = await dst.writeFile(`${BACKUP_COPY_KEYS_DIR}/${BACKUP_COPY_USER}`, renderBackupCopyKey(pub, sourceAddr), { mode: '0644' });
  const sshd = await dst.writeFile(BACKUP_COPY_SSHD_PATH, renderBackupCopySshd(ctx), { mode: '0644' });
  if (sshd.changed) {
    await dst.exec(['/usr/sbin/sshd', '-t']);
    await dst.exec(['sh', '-c', 'systemctl reload ssh 2>/dev/null || systemctl reload sshd']);
  }
  changed ||= key.changed || sshd.changed;

  const known = await src.exec(['sh', '-c', 'f=/root/.ssh/known_hosts; ssh-keygen -F "$1" -f "$f" >/dev/null 2>&1 && echo have || { ssh-keyscan -T 5 -t ed25519 "$1" >> "$f" 2>/dev/null && echo made; }', 'sh', targetAddr]);
  changed ||= known.stdout.includes('made');
  if (changed) s.log(msg('prov.log.backupCopy', { from: b.runOn, account: `${BACKUP_COPY_USER}@${target}:${dir}`, dir: b.targetDir }));
  return changed ? 'changed' : 'unchanged';
}
