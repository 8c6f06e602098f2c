/**
 * Backups of a PostgreSQL lab (seed 001: "pg_dumpall → gzip" daily and
 * "pg_dump per DB"): the roles without passwords and the schema's database
 * as plain SQL, gzip, a SHA-256 file, an integrity check (the gzip stream
 * reads back and the dump holds as many reservations as the database had
 * between the counts taken before and after the dump), retention, and the
 * same node_exporter metrics and unit names as the MySQL backup. Pure.
 */
import { BACKUP_LOG_PATH, BACKUP_SCRIPT_PATH } from './backup';
import { managedHeader, nodeOf, type RenderContext, type RenderedFile } from './context';
import { TEXTFILE_DIR } from './keepalived';
import { PG_PORT } from './postgres';
import { shellQuote } from './quote';

export const PG_BACKUP_PASS_PATH = '/etc/halab/backup.pgpass';

export function renderPgBackupScript(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const b = ctx.lab.lab.services.backup!;
  const db = ctx.lab.lab.services.database!;
  return `#!/bin/bash
${managedHeader(ctx)}# Dump PostgreSQL database ${db.schema} and the roles on ${hostname}, check the dump, keep ${b.retentionDays} days.
set -euo pipefail
umask 077
DB=${shellQuote(db.schema)}
USER_=${shellQuote(db.accounts.backup.user)}
NODE=${shellQuote(hostname)}
RETENTION_DAYS=${b.retentionDays}
BACKUP_DIR="\${HALAB_BACKUP_DIR:-${b.targetDir}}"
LOG_FILE="\${HALAB_LOG_FILE:-${BACKUP_LOG_PATH}}"
TEXTFILE_DIR="\${HALAB_TEXTFILE_DIR:-${TEXTFILE_DIR}}"
export PGPASSFILE="\${HALAB_PGPASSFILE:-${PG_BACKUP_PASS_PATH}}" PGHOST=127.0.0.1 PGPORT=${PG_PORT} PGUSER="$USER_" PGCONNECT_TIMEOUT=10
mkdir -p "$BACKUP_DIR" "$(dirname "$LOG_FILE")"
log() { printf '%s %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NODE" "$*" | tee -a "$LOG_FILE" >&2; }
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
partial=""
on_exit() { local rc=$?; [ -n "$partial" ] && rm -f "$partial"*; if [ "$rc" -ne 0 ]; then log "FAILED (exit $rc)"; write_metrics 1 || true; fi; exit "$rc"; }
trap on_exit EXIT
exec 9>"$BACKUP_DIR/.lock"
flock -n 9 || { log "another backup is running"; exit 1; }

count() { psql -X -A -t -d "$DB" -c 'SELECT count(*) FROM reservations'; }
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="\${DB}_\${stamp}.sql.gz"
dump="$BACKUP_DIR/$name"
partial="$dump.partial"
low="$(count)"
{ pg_dumpall --globals-only --no-role-passwords -l "$DB"; pg_dump --no-owner --no-privileges "$DB"; } | gzip -6 > "$partial"
high="$(count)"
gzip -t "$partial"
rows="$(gzip -dc "$partial" | awk '/^COPY public\\.reservations /{on=1; next} on && /^\\\\\\.$/ {on=0} on {n++} END {print n+0}')"
if [ "$rows" -lt "$low" ] || [ "$rows" -gt "$high" ]; then log "integrity check: the dump holds $rows reservations, the database had $low..$high"; exit 3; fi
mv -f "$partial" "$dump"; partial=""
(cd "$BACKUP_DIR" && sha256sum "$name" > "$name.sha256")
log "integrity check passed: $rows reservations in $name"
find "$BACKUP_DIR" -maxdepth 1 -type f \\( -name "\${DB}_*.sql.gz" -o -name "\${DB}_*.sql.gz.sha256" \\) -mtime +"$RETENTION_DAYS" -print -delete | while IFS= read -r old; do log "removed old backup $old"; done
write_metrics 0
log "backup finished: $name"
`;
}

/** Script, credentials and units of the backup node of a PostgreSQL lab. */
export function renderPgBackupFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  const b = ctx.lab.lab.services.backup;
  const db = ctx.lab.lab.services.database;
  if (!b || !db || b.runOn !== hostname) return [];
  if (/[\n\r]/.test(b.schedule)) throw new Error('The backup schedule cannot contain line breaks.');
  return [
    { path: BACKUP_SCRIPT_PATH, mode: '0750', content: renderPgBackupScript(ctx, hostname) },
    { path: PG_BACKUP_PASS_PATH, mode: '0600', content: `127.0.0.1:${PG_PORT}:*:${db.accounts.backup.user}:${ctx.secrets.db.backup}\n` },
    {
      path: '/etc/systemd/system/halab-backup.service',
      mode: '0644',
      content: `${managedHeader(ctx)}[Unit]\nDescription=HA Lab: dump, check and rotate the ${db.schema} PostgreSQL backup\nAfter=network-online.target patroni.service postgresql.service\n\n[Service]\nType=oneshot\nExecStart=${BACKUP_SCRIPT_PATH}\nNice=10\nIOSchedulingClass=idle\nTimeoutStartSec=1h\n`,
    },
    {
      path: '/etc/systemd/system/halab-backup.timer',
      mode: '0644',
      content: `${managedHeader(ctx)}[Unit]\nDescription=HA Lab: nightly database backup\n\n[Timer]\nOnCalendar=${b.schedule}\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`,
    },
  ];
}
