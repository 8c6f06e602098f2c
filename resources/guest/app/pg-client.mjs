// PostgreSQL for the sample app (DB_ENGINE=postgresql): node-pg as Debian
// ships it (/usr/share/nodejs/pg), and the leader found among DB_HOSTS the
// way libpq's target_session_attrs=read-write does: the first host that
// answers and is not in recovery. After a connection error or a read-only
// answer (the old leader after a Patroni failover) the next query looks
// again. The server's queries are written for MySQL (? placeholders,
// @@global.read_only, UNIX_TIMESTAMP); they are translated here, and
// PostgreSQL's error codes are given the MySQL numbers the server checks.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require(process.env.PG_MODULE || '/usr/share/nodejs/pg');

/** MySQL-flavoured SQL of server.mjs → PostgreSQL. */
export function translate(sql) {
  if (/^SELECT @@global\.read_only AS ro$/.test(sql)) return 'SELECT pg_is_in_recovery()::int AS ro';
  let n = 0;
  return sql.replace(/UNIX_TIMESTAMP\(([a-z_]+)\)/g, 'EXTRACT(EPOCH FROM $1)').replace(/\?/g, () => `$${++n}`);
}

// 23505 unique_violation → 1062 (duplicate key); 25006 read_only_sql_transaction → 1290 (read-only).
const ERRNO = { 23505: 1062, 25006: 1290 };

export class PgLeader {
  constructor({ hosts, user, password, database, connectTimeoutMs = 2000, queryTimeoutMs = 5000 }) {
    this.hosts = hosts.map((h) => { const [host, port] = h.split(':'); return { host, port: Number(port || 5432) }; });
    this.opts = { user, password, database, connectionTimeoutMillis: connectTimeoutMs, query_timeout: queryTimeoutMs, statement_timeout: queryTimeoutMs, max: 10, idleTimeoutMillis: 30000 };
    this.pools = new Map();
    this.current = undefined;
    this.finding = undefined;
  }

  get host() { return this.current ? this.current.host : 'postgresql'; }

  pool(h) {
    const key = `${h.host}:${h.port}`;
    let p = this.pools.get(key);
    if (!p) {
      p = new pg.Pool({ ...this.opts, host: h.host, port: h.port });
      p.on('error', () => {}); // an idle client losing its server is not fatal: the next query reconnects
      this.pools.set(key, p);
    }
    return p;
  }

  /** The read-write host (every host is asked at once; the first writable one wins). */
  async leader() {
    if (this.current) return this.current;
    if (!this.finding) {
      this.finding = new Promise((resolve, reject) => {
        let left = this.hosts.length;
        const errors = [];
        for (const h of this.hosts) {
          this.pool(h).query('SELECT pg_is_in_recovery() AS r').then(
            (res) => { if (res.rows[0].r === false && !this.current) { this.current = h; resolve(h); } else if (--left === 0) reject(Object.assign(new Error(`no writable PostgreSQL among ${this.hosts.map((x) => x.host).join(', ')}${errors.length ? `: ${errors.join('; ')}` : ''}`), { errno: 2003 })); },
            (e) => { errors.push(`${h.host}: ${e.message}`); if (--left === 0 && !this.current) reject(Object.assign(new Error(`no PostgreSQL answered: ${errors.join('; ')}`), { errno: 2003 })); },
          );
        }
      }).finally(() => { this.finding = undefined; });
    }
    return this.finding;
  }

  async query(sql, params = [], retried = false) {
    const h = await this.leader();
    try {
      const res = await this.pool(h).query(translate(sql), params.map((v) => (v === undefined ? null : v)));
      return { rows: res.rows, fields: res.fields.map((f) => f.name), affectedRows: res.rowCount ?? 0 };
    } catch (e) {
      const errno = ERRNO[e.code];
      // Lost the server, or it is a standby now: look for the leader on the next query.
      if (!errno || errno === 1290) { if (this.current === h) this.current = undefined; }
      // Nothing was written when the server refused the connection or answered read-only: ask the new leader at once.
      if (!retried && (e.code === '25006' || e.code === 'ECONNREFUSED' || e.code === '57P03')) return this.query(sql, params, true);
      throw Object.assign(e, { errno: errno ?? e.errno ?? 2013 });
    }
  }

  end() { for (const p of this.pools.values()) p.end().catch(() => {}); }
}
