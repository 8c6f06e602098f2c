// Redis for the sample app (CACHE_SENTINELS set): a read-through cache of
// reservations, with node-redis as Debian ships it (/usr/share/nodejs/redis,
// 4.5, which has no Sentinel client). So the primary is found here the way a
// Sentinel-aware client does it: ask each Sentinel in turn
// `SENTINEL get-master-addr-by-name <name>` (with the Sentinel password),
// connect to the address the first one names, and check with ROLE that it
// is a primary. On a connection error, a timeout (a powered-off primary never
// answers) or a READONLY answer (the old primary, now a replica) the client
// is dropped and the next operation asks the Sentinels again; every few
// seconds the Sentinels are asked anyway, so the app follows a failover even
// while its old connection still works. The cache never decides an answer:
// when Redis cannot be reached, every operation returns "miss" at once and
// the server reads the database, as without a cache.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `host:port,host:port` → [{host, port}]. */
export function parseHosts(text, defaultPort) {
  return String(text || '').split(',').map((s) => s.trim()).filter(Boolean).map((h) => {
    const [host, port] = h.split(':');
    return { host, port: Number(port || defaultPort) };
  });
}

/** A Sentinel's answer to get-master-addr-by-name (`[ip, port]`) as {host, port}, or undefined. */
export function parseMasterReply(reply) {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [host, port] = reply.map(String);
  return /^[0-9a-fA-F.:]+$/.test(host) && /^\d+$/.test(port) ? { host, port: Number(port) } : undefined;
}

const withTimeout = (p, ms, what) => {
  let timer;
  return Promise.race([p, new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms); })]).finally(() => clearTimeout(timer));
};

/** node-redis 4 (its promise API), or `{error}`: the app then runs without a cache rather than not at all. */
function loadRedis(path) {
  try {
    const version = require(`${path}/package.json`).version;
    if (Number(String(version).split('.')[0]) < 4) return { error: `node-redis ${version} at ${path} is too old (4 or later needed); running without the cache` };
    return require(path);
  } catch (e) {
    return { error: `node-redis not found at ${path} (${e.code || e.message}); running without the cache` };
  }
}

export class SentinelCache {
  /**
   * @param {{sentinels: {host: string, port: number}[], masterName: string, password: string, sentinelPassword: string,
   *   ttlSeconds?: number, opTimeoutMs?: number, refreshMs?: number, retryMs?: number, redisModule?: string, log?: (f: object) => void}} o
   */
  constructor(o) {
    this.o = { ttlSeconds: 300, opTimeoutMs: 500, refreshMs: 3000, retryMs: 1000, ...o };
    this.redis = loadRedis(o.redisModule || process.env.REDIS_MODULE || '/usr/share/nodejs/redis');
    this.client = undefined; // connected to `master`
    this.master = undefined; // 'host:port' of the primary in use
    this.connecting = undefined;
    this.lastError = undefined;
    this.lastAttempt = 0;
    this.lastResolve = 0;
    this.switches = 0;
    this.log = o.log || (() => {});
    if (this.redis.error) {
      this.lastError = this.redis.error;
      this.log({ event: 'cache-unavailable', message: this.redis.error });
    }
  }

  newClient(host, port, password) {
    const c = this.redis.createClient({ socket: { host, port, connectTimeout: this.o.opTimeoutMs * 2, reconnectStrategy: () => new Error('no reconnect: the cache asks the Sentinels again') }, password, disableOfflineQueue: true });
    c.on('error', () => {}); // reported through the failing command
    return c;
  }

  /** The primary the first answering Sentinel names (each asked in turn, the one that answered last time first). */
  async resolve() {
    if (this.redis.error) throw new Error(this.redis.error);
    const errors = [];
    const order = [...this.o.sentinels];
    if (this.goodSentinel) order.unshift(...order.splice(order.indexOf(this.goodSentinel), 1));
    for (const s of order) {
      const c = this.newClient(s.host, s.port, this.o.sentinelPassword);
      try {
        await withTimeout(c.connect(), this.o.opTimeoutMs * 2, `Sentinel ${s.host}:${s.port}`);
        const m = parseMasterReply(await withTimeout(c.sendCommand(['SENTINEL', 'get-master-addr-by-name', this.o.masterName]), this.o.opTimeoutMs, `Sentinel ${s.host}:${s.port}`));
        if (m) {
          this.goodSentinel = s;
          return m;
        }
        errors.push(`${s.host}:${s.port} knows no primary named ${this.o.masterName}`);
      } catch (e) {
        errors.push(`${s.host}:${s.port}: ${e.message}`);
      } finally {
        c.disconnect().catch(() => {});
      }
    }
    throw new Error(`no Sentinel named the primary: ${errors.join('; ')}`);
  }

  /** Connects to the primary the Sentinels name (shared by concurrent callers). */
  async connect() {
    if (!this.connecting) {
      this.lastAttempt = Date.now();
      this.connecting = (async () => {
        const m = await this.resolve();
        this.lastResolve = Date.now();
        // The Sentinels still name the primary in use: keep its connection.
        if (this.client?.isReady && this.master === `${m.host}:${m.port}`) return this.client;
        const c = this.newClient(m.host, m.port, this.o.password);
        try {
          await withTimeout(c.connect(), this.o.opTimeoutMs * 2, `Redis ${m.host}:${m.port}`);
          const role = await withTimeout(c.sendCommand(['ROLE']), this.o.opTimeoutMs, `Redis ${m.host}:${m.port}`);
          if (!Array.isArray(role) || role[0] !== 'master') throw new Error(`Redis ${m.host}:${m.port} is a ${Array.isArray(role) ? role[0] : '?'}, not the primary (a failover under way?)`);
        } catch (e) {
          c.disconnect().catch(() => {});
          throw e;
        }
        const addr = `${m.host}:${m.port}`;
        if (this.master && this.master !== addr) this.switches++;
        if (this.master !== addr) this.log({ event: 'cache-primary', master: addr, previous: this.master || null });
        this.drop();
        this.client = c;
        this.master = addr;
        this.lastError = undefined;
        return c;
      })().catch((e) => {
        this.lastError = e.message;
        throw e;
      }).finally(() => { this.connecting = undefined; });
    }
    return this.connecting;
  }

  drop() {
    const c = this.client;
    this.client = undefined;
    c?.disconnect().catch(() => {});
  }

  /** The connected client, or undefined at once while Redis is unreachable (one new attempt per retryMs). */
  async ready() {
    if (this.redis.error) return undefined;
    if (this.client && !this.client.isReady) {
      this.lastError = `lost the connection to the primary ${this.master}`;
      this.drop();
    }
    if (this.client?.isReady && Date.now() - this.lastResolve < this.o.refreshMs) return this.client;
    if (this.client?.isReady) {
      // Still connected: ask the Sentinels in the background whether the primary moved.
      if (!this.connecting) this.connect().catch(() => {});
      return this.client;
    }
    if (!this.connecting && Date.now() - this.lastAttempt < this.o.retryMs) return undefined;
    // A request waits at most opTimeoutMs for a connection; an attempt that takes longer goes on for the next one.
    const attempt = this.connect();
    attempt.catch(() => {});
    try {
      return await withTimeout(attempt, this.o.opTimeoutMs, 'connecting to the cache');
    } catch {
      return undefined;
    }
  }

  async op(what, fn) {
    const c = await this.ready();
    if (!c) return undefined;
    try {
      return await withTimeout(fn(c), this.o.opTimeoutMs, `Redis ${this.master} ${what}`);
    } catch (e) {
      // Lost the server, no answer, or it is a replica now: ask the Sentinels on the next operation.
      this.lastError = e.message;
      if (this.client === c) this.drop();
      this.log({ event: 'cache-error', op: what, master: this.master || null, message: e.message });
      return undefined;
    }
  }

  /** The cached value, or undefined (a miss, or Redis unreachable). */
  async get(key) {
    const v = await this.op('GET', (c) => c.get(key));
    return v === null ? undefined : v;
  }

  /** Stores `value` for ttlSeconds; true when the primary took it. */
  async set(key, value) {
    return (await this.op('SET', (c) => c.set(key, value, { EX: this.o.ttlSeconds }))) === 'OK';
  }

  /** What /health reports about the cache. */
  status() {
    return { enabled: true, inUse: !!this.client?.isReady, master: this.client?.isReady ? this.master : null, masterName: this.o.masterName, sentinels: this.o.sentinels.map((s) => `${s.host}:${s.port}`), switches: this.switches, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  end() {
    this.drop();
  }
}
