/**
 * The nightly backup: a bash script (dump, gzip, sha256, restore check,
 * retention, optional copy), its credentials and the systemd service+timer.
 *
 * The integrity check restores into a throw-away server instance started by
 * the script on a scratch datadir, not into the live server: the backup
 * usually runs on a read-only replica, where writing a scratch schema would be
 * refused, and (as root) would create errant GTIDs that break replication
 * under gtid_strict_mode. The backup account therefore needs no write grant.
 */
import { managedHeader, nodeOf, reach, type RenderContext, type RenderedFile } from './context';
import { TEXTFILE_DIR } from './keepalived';
import { renderClientCnf } from './mysql-server';
import { renderPgBackupFiles } from './pg-backup';
import { assertIpv4, shellQuote, sqlIdent, sqlString } from './quote';

export const BACKUP_SCRIPT_PATH = '/usr/local/sbin/halab-backup.sh';
export const BACKUP_CNF_PATH = '/etc/halab/backup.cnf';
export const BACKUP_LOG_PATH = '/var/log/halab/backup.log';
/** The account on the copy target that receives dumps, and the key the backup node uses. */
export const BACKUP_COPY_USER = 'halab-backup';
export const BACKUP_COPY_KEY = '/root/.ssh/halab_backup_ed25519';
/** Root-owned authorized keys for the copy account (sshd reads `<dir>/<user>`): nothing is written in its home. */
export const BACKUP_COPY_KEYS_DIR = '/etc/ssh/halab-authorized-keys';
export const BACKUP_COPY_SSHD_PATH = '/etc/ssh/sshd_config.d/60-halab-backup-copy.conf';
/** The copy account's shell: it never gets one (sshd serves it internal-sftp only). */
export const BACKUP_COPY_SHELL = '/usr/sbin/nologin';
/** The only folders a backup target may be under (validation rule `backup-target-dir`). */
export const BACKUP_ALLOWED_ROOTS = ['/var/backups/', '/srv/'];

/**
 * sshd drop-in on the copy target: the copy account logs in with the key
 * in {@link BACKUP_COPY_KEYS_DIR} only, gets SFTP and nothing else (no shell,
 * no forwarding, no TTY), chrooted to the backup folder, where it may write
 * only into `<backup node>/`. OpenSSH's scp speaks SFTP, so the backup
 * script's scp works unchanged. A Match block in an included file ends at
 * the end of that file.
 */
export function renderBackupCopySshd(ctx: RenderContext): string {
  const b = ctx.lab.lab.services.backup;
  if (!b?.copyTo) throw new Error('The lab has no backup copy target.');
  return `${managedHeader(ctx)}Match User ${BACKUP_COPY_USER}
	AuthorizedKeysFile ${BACKUP_COPY_KEYS_DIR}/%u
	ForceCommand internal-sftp
	ChrootDirectory ${b.targetDir}
	PermitTTY no
	AllowTcpForwarding no
	AllowAgentForwarding no
	AllowStreamLocalForwarding no
	X11Forwarding no
	PermitTunnel no
`;
}

/** The copy account's authorized_keys line: only that key, only from the backup node, no forwarding or PTY. */
export function renderBackupCopyKey(publicKey: string, sourceAddress: string): string {
  const key = publicKey.trim();
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( [\w.@-]+)?$/.test(key)) throw new Error('The backup copy key is not an ed25519 public key.');
  return `restrict,from="${assertIpv4(sourceAddress)}" ${key}\n`;
}

function backupService(ctx: RenderContext) {
  const b = ctx.lab.lab.services.backup;
  const db = ctx.lab.lab.services.database;
  if (!b || !db) throw new Error('The lab has no backup (or no database) service.');
  return { b, db };
}

/** The backup script for the node it runs on. */
export function renderBackupScript(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const { b, db } = backupService(ctx);
  const maria = ctx.engine === 'mariadb';
  const copyTo = b.copyTo && b.copyTo !== hostname ? reach(ctx, hostname, b.copyTo) : '';
  const dumpOpts = maria ? '--single-transaction --routines --events --triggers' : '--single-transaction --routines --events --triggers --no-tablespaces --set-gtid-purged=AUTO';
  return `#!/bin/bash
${managedHeader(ctx)}# Dump ${db.schema} on ${hostname}, verify it by restoring it into a scratch
# server, keep ${b.retentionDays} days. Exit status is non-zero on any failure.
set -euo pipefail
umask 077

ENGINE=${ctx.engine}
SCHEMA=${shellQuote(db.schema)}
SCHEMA_SQL=${shellQuote(sqlString(db.schema))}
SCHEMA_IDENT=${shellQuote(sqlIdent(db.schema))}
NODE=${shellQuote(hostname)}
RETENTION_DAYS=${b.retentionDays}
BACKUP_DIR="\${HALAB_BACKUP_DIR:-${b.targetDir}}"
DEFAULTS_FILE="\${HALAB_DEFAULTS_FILE:-${BACKUP_CNF_PATH}}"
LOG_FILE="\${HALAB_LOG_FILE:-${BACKUP_LOG_PATH}}"
TEXTFILE_DIR="\${HALAB_TEXTFILE_DIR:-${TEXTFILE_DIR}}"
SCRATCH_BASE="\${HALAB_SCRATCH_BASE:-${maria ? '/var/tmp' : '/var/lib/mysql-files'}}"
COPY_TO=${shellQuote(copyTo)}
COPY_USER=${shellQuote(BACKUP_COPY_USER)}
# On the copy target the account is chrooted to the backup folder: its own folder is /NODE there.
COPY_DIR=${shellQuote(`/${hostname}`)}
COPY_KEY=${shellQuote(BACKUP_COPY_KEY)}
if [ "$ENGINE" = mariadb ]; then
  DUMP=mariadb-dump CLIENT=mariadb SERVER=\${HALAB_SERVER:-/usr/sbin/mariadbd}
else
  DUMP=mysqldump CLIENT=mysql SERVER=\${HALAB_SERVER:-/usr/sbin/mysqld}
fi
SCRATCH_DB=halab_restorecheck

mkdir -p "$BACKUP_DIR" "$(dirname "$LOG_FILE")"
log() { printf '%s %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NODE" "$*" | tee -a "$LOG_FILE" >&2; }
live() { "$CLIENT" --defaults-extra-file="$DEFAULTS_FILE" --batch --skip-column-names "$@"; }
scratch_sql() { "$CLIENT" --no-defaults --user=root --socket="$scratch/mysqld.sock" --batch --skip-column-names "$@"; }

# halab_backup_last_status 0|1 and the last success time, for node_exporter.
write_metrics() {
  [ -d "$TEXTFILE_DIR" ] || return 0
  local prom="$TEXTFILE_DIR/halab_backup.prom" last=""
  if [ "$1" = 0 ]; then last="$(date +%s)"; elif [ -f "$prom" ]; then last="$(awk '$1 == "halab_backup_last_success_timestamp_seconds" {print $2}' "$prom")"; fi
  local tmp; tmp="$(mktemp "$TEXTFILE_DIR/.halab_backup.prom.XXXXXX")" || return 0
  { echo '# TYPE halab_backup_last_status gauge'; echo "halab_backup_last_status $1"
    if [ -n "$last" ]; then echo '# TYPE halab_backup_last_success_timestamp_seconds gauge'; echo "halab_backup_last_success_timestamp_seconds $last"; fi
  } > "$tmp"
  chmod 0644 "$tmp" && mv -f "$tmp" "$prom"
}

scratch="" scratch_pid="" partial=""
cleanup() {
  if [ -n "$scratch_pid" ]; then kill "$scratch_pid" 2>/dev/null || true; wait "$scratch_pid" 2>/dev/null || true; fi
  if [ -n "$scratch" ]; then rm -rf "$scratch"; fi
  if [ -n "$partial" ]; then rm -f "$partial"; fi
}
on_exit() {
  local rc=$?
  cleanup
  if [ "$rc" -ne 0 ]; then log "FAILED (exit $rc)"; write_metrics 1 || true; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'log "error at line $LINENO: $BASH_COMMAND"' ERR

exec 9>"$BACKUP_DIR/.lock"
flock -n 9 || { log "another backup is running"; exit 1; }

# "table<TAB>rows" for every base table of the live schema.
live_counts() {
  local tables t c
  tables="$(live -e "SELECT table_name FROM information_schema.tables WHERE table_schema = $SCHEMA_SQL AND table_type = 'BASE TABLE' ORDER BY table_name")"
  while IFS= read -r t; do
    [ -n "$t" ] || continue
    c="$(live -e "SELECT COUNT(*) FROM $SCHEMA_IDENT.\\\`\${t//\\\`/\\\`\\\`}\\\`")"
    printf '%s\\t%s\\n' "$t" "$c"
  done <<< "$tables"
}

log "backup of $SCHEMA starting"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="\${SCHEMA}_\${stamp}.sql.gz"
dump="$BACKUP_DIR/$name"
partial="$dump.partial"
before="$(live_counts)"
"$DUMP" --defaults-extra-file="$DEFAULTS_FILE" ${dumpOpts} "$SCHEMA" | gzip -6 > "$partial"
after="$(live_counts)"
gzip -t "$partial"
mv "$partial" "$dump"
partial=""
( cd "$BACKUP_DIR" && sha256sum "$name" > "$name.sha256" )
log "dump written: $dump ($(stat -c %s "$dump") bytes)"

# Integrity check: restore into a scratch server and compare row counts.
scratch="$(mktemp -d "$SCRATCH_BASE/halab-restorecheck.XXXXXX")"
mkdir "$scratch/data"
chown -R mysql:mysql "$scratch"
if [ "$ENGINE" = mariadb ]; then
  mariadb-install-db --no-defaults --datadir="$scratch/data" --user=mysql --auth-root-authentication-method=socket --skip-test-db > "$scratch/install.log" 2>&1 \\
    || { log "scratch install failed: $(tail -n 5 "$scratch/install.log")"; exit 1; }
  extra=(--skip-log-bin)
else
  "$SERVER" --no-defaults --initialize-insecure --datadir="$scratch/data" --user=mysql --log-error="$scratch/install.log" \\
    || { log "scratch initialize failed: $(tail -n 5 "$scratch/install.log")"; exit 1; }
  extra=(--skip-log-bin --mysqlx=OFF --gtid-mode=ON --enforce-gtid-consistency=ON)
fi
"$SERVER" --no-defaults --datadir="$scratch/data" --socket="$scratch/mysqld.sock" --pid-file="$scratch/mysqld.pid" \\
  --skip-networking --user=mysql --log-error="$scratch/error.log" --innodb-buffer-pool-size=16M "\${extra[@]}" > "$scratch/server.out" 2>&1 &
scratch_pid=$!
for _ in $(seq 1 120); do
  if scratch_sql -e 'SELECT 1' > /dev/null 2>&1; then break; fi
  kill -0 "$scratch_pid" 2>/dev/null || { log "scratch server died: $(tail -n 5 "$scratch/error.log" 2>/dev/null)"; exit 1; }
  sleep 0.5
done
scratch_sql -e "CREATE DATABASE $SCRATCH_DB"
gunzip -c "$dump" | scratch_sql "$SCRATCH_DB"

declare -A low=() high=()
while IFS=$'\\t' read -r t c; do
  [ -n "$t" ] || continue
  low["$t"]="$c" high["$t"]="$c"
done <<< "$before"
while IFS=$'\\t' read -r t c; do
  [ -n "$t" ] || continue
  if [ -z "\${low[$t]+x}" ] || [ "$c" -lt "\${low[$t]}" ]; then low["$t"]="$c"; fi
  if [ -z "\${high[$t]+x}" ] || [ "$c" -gt "\${high[$t]}" ]; then high["$t"]="$c"; fi
done <<< "$after"
bad=0 tables=0
for t in "\${!low[@]}"; do
  tables=$((tables + 1))
  r="$(scratch_sql -e "SELECT COUNT(*) FROM $SCRATCH_DB.\\\`\${t//\\\`/\\\`\\\`}\\\`" 2>/dev/null || echo missing)"
  # The dump's snapshot lies between the counts taken before and after it.
  if [ "$r" = missing ] || [ "$r" -lt "\${low[$t]}" ] || [ "$r" -gt "\${high[$t]}" ]; then
    log "integrity check: table $t has $r rows restored, expected \${low[$t]}..\${high[$t]}"
    bad=1
  fi
done
scratch_sql -e "DROP DATABASE $SCRATCH_DB"
if [ "$bad" -ne 0 ]; then exit 3; fi
log "integrity check passed: $tables tables restored with matching row counts"

if [ -n "$COPY_TO" ]; then
  # -s: the SFTP protocol (OpenSSH 8.9 on Ubuntu 22.04 still defaults to the old one), the only one the target serves.
  scp -s -q -i "$COPY_KEY" -o BatchMode=yes -o StrictHostKeyChecking=yes "$dump" "$dump.sha256" "$COPY_USER@$COPY_TO:$COPY_DIR/"
  log "copied to $COPY_TO:$COPY_DIR"
fi

find "$BACKUP_DIR" -maxdepth 1 -type f \\( -name "\${SCHEMA}_*.sql.gz" -o -name "\${SCHEMA}_*.sql.gz.sha256" \\) -mtime +"$RETENTION_DAYS" -print -delete | while IFS= read -r old; do log "removed old backup $old"; done
write_metrics 0
log "backup finished: $name"
`;
}

/** Script, credentials and systemd units for the backup node (none elsewhere). */
export function renderBackupFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  const b = ctx.lab.lab.services.backup;
  if (!b || b.runOn !== hostname) return [];
  if (ctx.lab.lab.services.database?.engine === 'postgresql') return renderPgBackupFiles(ctx, hostname);
  const { db } = backupService(ctx);
  if (/[\n\r]/.test(b.schedule)) throw new Error('The backup schedule cannot contain line breaks.');
  return [
    { path: BACKUP_SCRIPT_PATH, mode: '0750', content: renderBackupScript(ctx, hostname) },
    { path: BACKUP_CNF_PATH, mode: '0600', content: renderClientCnf(ctx, db.accounts.backup.user, ctx.secrets.db.backup) },
    {
      path: '/etc/systemd/system/halab-backup.service',
      mode: '0644',
      content: `${managedHeader(ctx)}[Unit]
Description=HA Lab: dump, verify and rotate the ${db.schema} database backup
After=network-online.target mariadb.service mysql.service

[Service]
Type=oneshot
ExecStart=${BACKUP_SCRIPT_PATH}
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=1h
`,
    },
    {
      path: '/etc/systemd/system/halab-backup.timer',
      mode: '0644',
      content: `${managedHeader(ctx)}[Unit]
Description=HA Lab: nightly database backup

[Timer]
OnCalendar=${b.schedule}
Persistent=true

[Install]
WantedBy=timers.target
`,
    },
  ];
}
