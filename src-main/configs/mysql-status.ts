/**
 * A parser for `SHOW REPLICA STATUS` output in both vocabularies (MySQL 8:
 * Replica_IO_Running, Seconds_Behind_Source…; MariaDB: Slave_IO_Running,
 * Seconds_Behind_Master…) and both client formats (`\G` and `--batch` tabs).
 */
import type { SemiSyncState } from '../shared/drills/report';

/** The normalised status of one replication channel. */
export interface ReplicaStatus {
  /** `Yes`, `No` or `Connecting`. */
  ioRunning: string;
  sqlRunning: string;
  /** null when the server reports NULL (SQL thread stopped or IO not connected). */
  secondsBehind: number | null;
  sourceHost: string;
  sourcePort: number | null;
  lastIoError: string;
  lastSqlError: string;
  /** SQL thread state text (MySQL `Replica_SQL_Running_State`, MariaDB `Slave_SQL_Running_State`). */
  sqlState: string;
  /** MySQL: `Retrieved_Gtid_Set`; MariaDB: `Gtid_IO_Pos`. */
  receivedGtids: string;
  /** MySQL: `Executed_Gtid_Set`; MariaDB has none in this output (use @@gtid_slave_pos). */
  executedGtids: string;
  /** MySQL `Auto_Position` = 1, or MariaDB `Using_Gtid` other than No. */
  usingGtid: boolean;
  /** Every column as printed, by its original name. */
  raw: Record<string, string>;
}

function unescapeBatch(v: string): string {
  return v.replace(/\\([0ntr\\])/g, (_, c: string) => ({ '0': '\0', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? c);
}

/** Split output into one record per row (columns by name), in either client format. */
export function parseRows(output: string): Record<string, string>[] {
  const text = output.replace(/\r\n/g, '\n');
  if (/^\*+ \d+\. row \*+$/m.test(text)) {
    const rows: Record<string, string>[] = [];
    let row: Record<string, string> | undefined;
    let last: string | undefined;
    for (const line of text.split('\n')) {
      if (/^\*+ \d+\. row \*+$/.test(line.trim())) {
        row = {};
        rows.push(row);
        last = undefined;
        continue;
      }
      if (!row) continue;
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*): ?(.*)$/.exec(line);
      if (m) {
        last = m[1] as string;
        row[last] = m[2] as string;
      } else if (last && line.trim() !== '' && !/^\d+ rows? in set/.test(line.trim())) {
        // Long GTID sets continue on the next line.
        row[last] += '\n' + line.trim();
      }
    }
    return rows;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines.length < 2) return [];
  const header = (lines[0] as string).split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = unescapeBatch(cells[i] ?? '')));
    return row;
  });
}

function pick(raw: Record<string, string>, ...names: string[]): string {
  for (const n of names) {
    const v = raw[n];
    if (v !== undefined) return v === 'NULL' ? '' : v;
  }
  return '';
}

function num(v: string): number | null {
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : null;
}

/**
 * Parse `SHOW REPLICA STATUS` output; returns one entry per channel, an empty
 * array when the server is not a replica (empty result set).
 */
export function parseReplicaStatus(output: string): ReplicaStatus[] {
  return parseRows(output)
    .filter((raw) => pick(raw, 'Replica_IO_Running', 'Slave_IO_Running') !== '' || pick(raw, 'Source_Host', 'Master_Host') !== '')
    .map((raw) => {
      const usingGtid = pick(raw, 'Using_Gtid');
      return {
        ioRunning: pick(raw, 'Replica_IO_Running', 'Slave_IO_Running'),
        sqlRunning: pick(raw, 'Replica_SQL_Running', 'Slave_SQL_Running'),
        secondsBehind: num(pick(raw, 'Seconds_Behind_Source', 'Seconds_Behind_Master')),
        sourceHost: pick(raw, 'Source_Host', 'Master_Host'),
        sourcePort: num(pick(raw, 'Source_Port', 'Master_Port')),
        lastIoError: pick(raw, 'Last_IO_Error'),
        lastSqlError: pick(raw, 'Last_SQL_Error'),
        sqlState: pick(raw, 'Replica_SQL_Running_State', 'Slave_SQL_Running_State'),
        receivedGtids: pick(raw, 'Retrieved_Gtid_Set', 'Gtid_IO_Pos').replace(/\s+/g, ''),
        executedGtids: pick(raw, 'Executed_Gtid_Set').replace(/\s+/g, ''),
        usingGtid: pick(raw, 'Auto_Position') === '1' || (usingGtid !== '' && usingGtid.toLowerCase() !== 'no'),
        raw,
      };
    });
}

/** Both threads running and no lag: safe to call the replica healthy. */
export function replicaHealthy(s: ReplicaStatus, maxLagSeconds = 30): boolean {
  return s.ioRunning === 'Yes' && s.sqlRunning === 'Yes' && s.secondsBehind !== null && s.secondsBehind <= maxLagSeconds;
}

/**
 * The SQL thread has applied everything received (before a promotion):
 * MySQL: Executed ⊇ Retrieved is approximated by the SQL thread waiting for
 * more events; both engines print a state starting with this text then.
 */
export function replicaCaughtUp(s: ReplicaStatus): boolean {
  return /has read all relay log|Replica has read all|Slave has read all/i.test(s.sqlState) || (s.sqlRunning === 'Yes' && s.secondsBehind === 0);
}

/** Does `applied` contain everything in `received`? MariaDB `d-s-n` lists, or MySQL `uuid:1-n` sets. */
export function gtidCovers(applied: string, received: string): boolean {
  if (!received.trim()) return true;
  const mariadb = (t: string) => new Map(t.split(',').map((x) => x.trim()).filter(Boolean).map((x) => { const [d, , n] = x.split('-'); return [d ?? '', Number(n)] as const; }));
  if (/^\d+-\d+-\d+/.test(received.trim())) {
    const a = mariadb(applied);
    for (const [domain, seq] of mariadb(received)) if ((a.get(domain) ?? -1) < seq) return false;
    return true;
  }
  const mysql = (t: string) => {
    const m = new Map<string, number>();
    for (const part of t.replace(/\s+/g, '').split(',').filter(Boolean)) {
      const [uuid, ...ranges] = part.split(':');
      const high = Math.max(...ranges.map((r) => Number(r.split('-').at(-1))));
      m.set(uuid ?? '', Math.max(m.get(uuid ?? '') ?? 0, high));
    }
    return m;
  };
  const a = mysql(applied);
  for (const [uuid, high] of mysql(received)) if ((a.get(uuid) ?? 0) < high) return false;
  return true;
}

/** Semi-sync as a node reports it: the primary's side (shared with drill reports), and its own replica side. */
export interface SemiSyncStatus extends SemiSyncState {
  /** This node acknowledges as a replica (Rpl_semi_sync_slave_status / _replica_status). */
  replicaActive: boolean;
}

/**
 * Read `SHOW GLOBAL STATUS/VARIABLES LIKE 'rpl_semi_sync_%'` output (batch
 * format, one or both result sets). Undefined when the server has no
 * semi-sync at all (MySQL 8 without the plugins).
 */
export function parseSemiSync(output: string): SemiSyncStatus | undefined {
  const v = new Map<string, string>();
  for (const line of output.replace(/\r\n/g, '\n').split('\n')) {
    const [k, val] = line.split('\t');
    if (k === undefined || val === undefined || k === 'Variable_name') continue;
    v.set(k.trim().toLowerCase(), val.trim());
  }
  if (![...v.keys()].some((k) => k.startsWith('rpl_semi_sync_'))) return undefined;
  const get = (...names: string[]) => names.map((n) => v.get(n)).find((x) => x !== undefined);
  const on = (x: string | undefined) => x !== undefined && /^(ON|1|YES)$/i.test(x);
  const int = (x: string | undefined) => (x !== undefined && /^\d+$/.test(x) ? Number(x) : undefined);
  return {
    enabled: on(get('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')),
    active: on(get('rpl_semi_sync_master_status', 'rpl_semi_sync_source_status')),
    clients: int(get('rpl_semi_sync_master_clients', 'rpl_semi_sync_source_clients')) ?? 0,
    waitPoint: (get('rpl_semi_sync_master_wait_point', 'rpl_semi_sync_source_wait_point') ?? '').toUpperCase(),
    timeoutMs: int(get('rpl_semi_sync_master_timeout', 'rpl_semi_sync_source_timeout')),
    yesTx: int(get('rpl_semi_sync_master_yes_tx', 'rpl_semi_sync_source_yes_tx')),
    noTx: int(get('rpl_semi_sync_master_no_tx', 'rpl_semi_sync_source_no_tx')),
    replicaActive: on(get('rpl_semi_sync_slave_status', 'rpl_semi_sync_replica_status')),
  };
}

/**
 * How many transactions of `want` are missing from `have`: MariaDB
 * `domain-server-seq` lists (per domain, the sequence numbers after `have`'s;
 * sequence numbers are gap-free per domain under gtid_strict_mode), or MySQL
 * `uuid:1-5:7` sets (exact interval arithmetic).
 */
export function gtidMissing(have: string, want: string): number {
  const w = want.replace(/\s+/g, '');
  if (!w) return 0;
  if (/^\d+-\d+-\d+/.test(w)) {
    const seqs = (t: string) => {
      const m = new Map<string, number>();
      for (const x of t.replace(/\s+/g, '').split(',').filter(Boolean)) {
        const [d, , n] = x.split('-');
        m.set(d ?? '', Math.max(m.get(d ?? '') ?? 0, Number(n)));
      }
      return m;
    };
    const h = seqs(have);
    let missing = 0;
    for (const [d, n] of seqs(w)) missing += Math.max(0, n - (h.get(d) ?? 0));
    return missing;
  }
  const sets = (t: string) => {
    const m = new Map<string, [number, number][]>();
    for (const part of t.replace(/\s+/g, '').split(',').filter(Boolean)) {
      const [uuid, ...ranges] = part.split(':');
      const list = m.get((uuid ?? '').toLowerCase()) ?? [];
      for (const r of ranges) {
        const [a, b] = r.split('-').map(Number);
        if (Number.isFinite(a)) list.push([a as number, Number.isFinite(b) ? (b as number) : (a as number)]);
      }
      m.set((uuid ?? '').toLowerCase(), list);
    }
    return m;
  };
  const h = sets(have);
  let missing = 0;
  for (const [uuid, ranges] of sets(w)) {
    const got = h.get(uuid) ?? [];
    for (const [a, b] of ranges) {
      let count = b - a + 1;
      for (const [c, d] of got) count -= Math.max(0, Math.min(b, d) - Math.max(a, c) + 1);
      missing += Math.max(0, count);
    }
  }
  return missing;
}
