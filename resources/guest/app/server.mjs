// HA Lab sample app: the plumbing reservation service of the seed lab.
// Node 18+, no dependencies (mysql-client.mjs is shipped beside it).
//
//   POST /api/reservations            {name, phone, address?, issue} -> 201 {reservationNo}
//   GET  /api/reservations/:no?name=&phone=                            -> 200 reservation | 404
//   GET  /health                      DB check, cache state            -> 200 | 503
//   GET  /                            service info
//
// With CACHE_SENTINELS set (a lab with a `cache:` service), look-ups are
// cached in Redis, whose primary redis-cache.mjs finds through the Sentinels;
// when Redis is unreachable the app reads the database as without a cache.
//
// Every response names the host: the X-Served-By header and a servedBy field.
// Maintenance (MAINTENANCE=1 or the MAINTENANCE_FILE exists) refuses new
// reservations with 503 and a reason, but look-ups keep working.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { Pool } from './mysql-client.mjs';

const env = process.env;
const config = {
  host: env.HOST || '127.0.0.1',
  port: Number(env.PORT || 3000),
  servedBy: env.APP_HOSTNAME || os.hostname(),
  maintenance: /^(1|true|yes|on)$/i.test(env.MAINTENANCE || ''),
  maintenanceFile: env.MAINTENANCE_FILE || '',
  primaryFile: env.DB_PRIMARY_FILE || '',
  db: {
    // Unset: a lab without a database; reservations are then kept in memory.
    primaryHost: env.DB_PRIMARY_HOST || '',
    primaryPort: Number(env.DB_PRIMARY_PORT || env.DB_PORT || 3306),
    replicaHost: env.DB_REPLICA_HOST || '',
    replicaPort: Number(env.DB_REPLICA_PORT || env.DB_PORT || 3306),
    user: env.DB_USER || 'app',
    password: env.DB_PASSWORD || '',
    database: env.DB_NAME || 'reservations',
    // postgresql: DB_HOSTS lists every node; pg-client.mjs finds the leader.
    engine: env.DB_ENGINE || 'mysql',
    hosts: (env.DB_HOSTS || '').split(',').filter(Boolean),
  },
  cache: {
    // Unset: no cache. `host:port` of every Sentinel, asked in turn.
    sentinels: env.CACHE_SENTINELS || '',
    masterName: env.CACHE_MASTER_NAME || 'halab',
    password: env.CACHE_PASSWORD || '',
    sentinelPassword: env.CACHE_SENTINEL_PASSWORD || '',
    ttlSeconds: Number(env.CACHE_TTL_SECONDS || 300),
  },
};
const pgLeader = config.db.engine === 'postgresql' ? new (await import('./pg-client.mjs')).PgLeader({ hosts: config.db.hosts, user: config.db.user, password: config.db.password, database: config.db.database }) : undefined;

const reservationCache = config.cache.sentinels
  ? await import('./redis-cache.mjs').then(({ SentinelCache, parseHosts }) => new SentinelCache({ ...config.cache, sentinels: parseHosts(config.cache.sentinels, 26379), log }))
  : undefined;
const cacheKey = (no) => `halab:reservation:${no}`;

const pools = new Map();
function poolFor(host, port) {
  const key = `${host}:${port}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool({ host, port, user: config.db.user, password: config.db.password, database: config.db.database, connectTimeoutMs: 2000, queryTimeoutMs: 5000 });
    pools.set(key, pool);
  }
  return pool;
}

async function readTrimmed(path) {
  if (!path) return undefined;
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Stand-in for a lab without a database: same queries, answered from memory. */
const memory = {
  rows: [],
  async query(sql, params) {
    if (sql.startsWith('INSERT')) {
      const [reservation_no, name, phone, address, issue, served_by] = params;
      this.rows.push({ reservation_no, name, phone, address, issue, status: 'requested', served_by, created_epoch: Date.now() / 1000 });
      return { rows: [] };
    }
    if (sql.startsWith('SELECT @@global.read_only')) return { rows: [{ ro: 0 }] };
    const [no, name, phone] = params;
    return { rows: this.rows.filter((r) => r.reservation_no === no && r.name === name && r.phone === phone) };
  },
  end() {},
};

/** The primary: the override file (written by the failover drill) wins over DB_PRIMARY_HOST. */
async function primary() {
  if (pgLeader) return { role: 'primary', get host() { return pgLeader.host; }, port: 5432, pool: pgLeader };
  const override = await readTrimmed(config.primaryFile);
  if (!override && !config.db.primaryHost) return { role: 'memory', host: 'memory', port: 0, pool: memory };
  const [host, port] = override ? override.split(':') : [config.db.primaryHost, undefined];
  return { role: 'primary', host, port: Number(port || config.db.primaryPort), pool: poolFor(host, Number(port || config.db.primaryPort)) };
}

function replica() {
  if (pgLeader || !config.db.replicaHost) return undefined;
  return { role: 'replica', host: config.db.replicaHost, port: config.db.replicaPort, pool: poolFor(config.db.replicaHost, config.db.replicaPort) };
}

async function maintenanceState() {
  if (config.maintenance) return { on: true, reason: env.MAINTENANCE_REASON || 'The service is in maintenance mode.' };
  const text = await readTrimmed(config.maintenanceFile);
  if (text === undefined) return { on: false };
  return { on: true, reason: text || 'The service is in maintenance mode.' };
}

function send(res, status, body) {
  const json = JSON.stringify({ ...body, servedBy: config.servedBy });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), 'x-served-by': config.servedBy, 'cache-control': 'no-store' });
  res.end(json);
}

function readBody(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(Object.assign(new Error('body too large'), { status: 413 })); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const normPhone = (p) => String(p).replace(/[^0-9]/g, '');
const str = (v) => (typeof v === 'string' ? v.trim() : '');

function validate(input) {
  const errors = [];
  const name = str(input.name);
  const phone = normPhone(str(input.phone));
  const address = str(input.address);
  const issue = str(input.issue);
  if (!name || name.length > 100) errors.push('name is required (at most 100 characters)');
  if (phone.length < 6 || phone.length > 20 || /[^0-9+\-() ]/.test(str(input.phone))) errors.push('phone must be 6-20 digits');
  if (address.length > 255) errors.push('address is at most 255 characters');
  if (!issue || issue.length > 2000) errors.push('issue is required (at most 2000 characters)');
  return { errors, value: { name, phone, address: address || null, issue } };
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
function reservationNo() {
  const d = new Date();
  const ymd = `${d.getUTCFullYear() % 100}`.padStart(2, '0') + `${d.getUTCMonth() + 1}`.padStart(2, '0') + `${d.getUTCDate()}`.padStart(2, '0');
  let tail = '';
  for (let i = 0; i < 6; i++) tail += ALPHABET[crypto.randomInt(ALPHABET.length)];
  return `R${ymd}-${tail}`;
}

// 1290: --read-only (MySQL and MariaDB); 1836: read-only replica (MySQL 8); 1792: read-only transaction.
const READ_ONLY_ERRORS = new Set([1290, 1836, 1792]);

async function createReservation(req, res) {
  const m = await maintenanceState();
  if (m.on) return send(res, 503, { error: 'maintenance', reason: m.reason });
  let input;
  try {
    input = JSON.parse(await readBody(req));
  } catch (e) {
    return send(res, e.status || 400, { error: 'bad-request', reason: e.status ? 'The request body is too large.' : 'The body must be JSON.' });
  }
  if (!input || typeof input !== 'object') return send(res, 400, { error: 'bad-request', reason: 'The body must be a JSON object.' });
  const { errors, value } = validate(input);
  if (errors.length) return send(res, 400, { error: 'invalid', reason: errors.join('; ') });
  const db = await primary();
  for (let attempt = 0; attempt < 3; attempt++) {
    const no = reservationNo();
    try {
      await db.pool.query('INSERT INTO reservations (reservation_no, name, phone, address, issue, served_by) VALUES (?, ?, ?, ?, ?, ?)', [no, value.name, value.phone, value.address, value.issue, config.servedBy]);
      return send(res, 201, { reservationNo: no, status: 'requested', db: db.host });
    } catch (e) {
      if (e.errno === 1062) continue;
      if (READ_ONLY_ERRORS.has(e.errno)) return send(res, 503, { error: 'primary-read-only', reason: `The database at ${db.host} is read-only (a replica?).` });
      log({ event: 'db-error', op: 'insert', db: db.host, errno: e.errno, message: e.message });
      return send(res, 503, { error: 'database-unavailable', reason: 'The reservation could not be stored; please retry.' });
    }
  }
  return send(res, 503, { error: 'database-unavailable', reason: 'Could not allocate a reservation number.' });
}

const LOOKUP_SQL = 'SELECT reservation_no, name, phone, address, issue, status, served_by, UNIX_TIMESTAMP(created_at) AS created_epoch FROM reservations WHERE reservation_no = ? AND name = ? AND phone = ?';

function reservationBody(r, source) {
  return { reservationNo: r.reservation_no, name: r.name, phone: r.phone, address: r.address, issue: r.issue, status: r.status, createdBy: r.served_by, createdAt: new Date(Number(r.created_epoch) * 1000).toISOString(), source };
}

/** The cache as /health and / report it: in use (a PING to the primary answered) or not, and which primary. */
async function cacheState() {
  if (!reservationCache) return { enabled: false, inUse: false };
  await reservationCache.op('PING', (c) => c.ping());
  return reservationCache.status();
}

async function lookupReservation(res, no, query) {
  const name = str(query.get('name'));
  const phone = normPhone(str(query.get('phone')));
  if (!name || !phone) return send(res, 400, { error: 'bad-request', reason: 'name and phone are required to look up a reservation.' });
  const params = [no, name, phone];
  // The cache first: it holds what the database answered (reservations do not change once made).
  const hit = reservationCache ? await reservationCache.get(cacheKey(no)) : undefined;
  if (hit !== undefined) {
    let r;
    try { r = JSON.parse(hit); } catch { r = undefined; }
    if (r && r.reservation_no === no) {
      res.setHeader('x-cache', 'hit');
      if (r.name !== name || r.phone !== phone) return send(res, 404, { error: 'not-found', reason: 'No reservation with this number, name and phone.' });
      return send(res, 200, reservationBody(r, 'cache'));
    }
  }
  if (reservationCache) res.setHeader('x-cache', 'miss');
  // The replica first (reads off the primary); the primary when the replica
  // fails or has not received a just-created reservation yet.
  const sources = [replica(), await primary()].filter(Boolean);
  let lastError;
  for (const db of sources) {
    try {
      const { rows } = await db.pool.query(LOOKUP_SQL, params);
      if (rows.length) {
        const r = rows[0];
        const row = { reservation_no: r.reservation_no, name: r.name, phone: r.phone, address: r.address, issue: r.issue, status: r.status, served_by: r.served_by, created_epoch: Number(r.created_epoch) };
        // Not awaited: the answer does not wait for the cache (set never throws).
        if (reservationCache) void reservationCache.set(cacheKey(no), JSON.stringify(row));
        return send(res, 200, reservationBody(row, db.role));
      }
      lastError = undefined;
    } catch (e) {
      lastError = e;
      log({ event: 'db-error', op: 'lookup', db: db.host, role: db.role, errno: e.errno, message: e.message });
    }
  }
  if (lastError) return send(res, 503, { error: 'database-unavailable', reason: 'The reservation could not be read; please retry.' });
  return send(res, 404, { error: 'not-found', reason: 'No reservation with this number, name and phone.' });
}

async function check(db) {
  const started = Date.now();
  try {
    const { rows } = await db.pool.query('SELECT @@global.read_only AS ro');
    return { host: db.host, ok: true, readOnly: Number(rows[0].ro) === 1, ms: Date.now() - started };
  } catch (e) {
    return { host: db.host, ok: false, error: e.message, ms: Date.now() - started };
  }
}

async function health(res) {
  const p = await primary();
  const r = replica();
  const [pc, rc, cs] = await Promise.all([check(p), r ? check(r) : Promise.resolve(undefined), cacheState()]);
  const m = await maintenanceState();
  const writable = pc.ok && !pc.readOnly;
  // The cache never makes the app unhealthy: without it, look-ups read the database.
  const status = writable ? (rc && !rc.ok ? 'degraded' : 'ok') : 'down';
  send(res, writable ? 200 : 503, { status, maintenance: m.on, db: { primary: pc, ...(rc ? { replica: rc } : {}) }, cache: cs });
}

function log(fields) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), host: config.servedBy, ...fields }) + '\n');
}

async function route(req, res) {
  const url = new URL(req.url || '/', 'http://app.invalid');
  const path = url.pathname;
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return health(res);
  if (path === '/api/reservations' && req.method === 'POST') return createReservation(req, res);
  const m = /^\/api\/reservations\/([A-Za-z0-9-]{1,32})$/.exec(path);
  if (m && req.method === 'GET') return lookupReservation(res, m[1], url.searchParams);
  if (path === '/' && req.method === 'GET') {
    const mm = await maintenanceState();
    return send(res, 200, { service: 'halab plumbing reservations', maintenance: mm.on, cache: reservationCache ? reservationCache.status() : { enabled: false, inUse: false }, endpoints: ['POST /api/reservations', 'GET /api/reservations/:no?name=&phone=', 'GET /health'] });
  }
  return send(res, 404, { error: 'not-found', reason: `${req.method} ${path} is not an endpoint.` });
}

const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on('finish', () => log({ event: 'request', method: req.method, path: (req.url || '').split('?')[0], status: res.statusCode, ms: Date.now() - started }));
  route(req, res).catch((e) => {
    log({ event: 'error', message: e.message });
    if (!res.headersSent) send(res, 500, { error: 'internal', reason: 'Unexpected error.' });
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;

server.listen(config.port, config.host, () => log({ event: 'listening', address: `${config.host}:${config.port}`, primary: pgLeader ? config.db.hosts.join(',') : config.db.primaryHost, replica: config.db.replicaHost || null, cache: config.cache.sentinels || null }));
// Find the cache's primary before the first request (a failure here only means look-ups read the database).
reservationCache?.ready();

function shutdown() {
  server.close(() => {
    for (const p of pools.values()) p.end();
    pgLeader?.end();
    reservationCache?.end();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
