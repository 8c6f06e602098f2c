// A minimal MySQL/MariaDB client for the HA Lab sample app: no dependencies,
// Node 18+. Handshake v10 with mysql_native_password and
// caching_sha2_password (fast auth, and full auth over plain TCP with the
// server's RSA key), COM_QUERY with text result sets, and client-side
// escaping of `?` parameters. See README.md for why this exists.
import crypto from 'node:crypto';
import net from 'node:net';

const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_LONG_FLAG = 0x4;
const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_TRANSACTIONS = 0x2000;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_MULTI_RESULTS = 0x20000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;
const SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x200;
const UTF8MB4_GENERAL_CI = 45;
const MAX_PACKET = 0xffffff;
const INTEGER_TYPES = new Set([1, 2, 3, 8, 9, 13]); // TINY SHORT LONG LONGLONG INT24 YEAR

/** A server error (ERR packet) or a client-side failure. */
export class MysqlError extends Error {
  constructor(message, { errno = 0, sqlState = 'HY000', fatal = false } = {}) {
    super(message);
    this.name = 'MysqlError';
    this.errno = errno;
    this.sqlState = sqlState;
    this.fatal = fatal;
  }
}

const sha1 = (...parts) => { const h = crypto.createHash('sha1'); for (const p of parts) h.update(p); return h.digest(); };
const sha256 = (...parts) => { const h = crypto.createHash('sha256'); for (const p of parts) h.update(p); return h.digest(); };
const xor = (a, b) => { const out = Buffer.alloc(a.length); for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i % b.length]; return out; };

/** mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
export function nativePasswordToken(password, scramble) {
  if (!password) return Buffer.alloc(0);
  const p1 = sha1(Buffer.from(password, 'utf8'));
  return xor(p1, sha1(scramble, sha1(p1)));
}

/** caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble). */
export function cachingSha2Token(password, scramble) {
  if (!password) return Buffer.alloc(0);
  const p1 = sha256(Buffer.from(password, 'utf8'));
  return xor(p1, sha256(sha256(p1), scramble));
}

/** Full caching_sha2 auth without TLS: (password + NUL) XOR scramble, RSA-OAEP with the server's key. */
export function encryptPassword(password, scramble, publicKeyPem) {
  const plain = xor(Buffer.from(password + '\0', 'utf8'), scramble);
  return crypto.publicEncrypt({ key: publicKeyPem, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, plain);
}

/**
 * Escape a value as an SQL literal. Strings get backslash escapes, or
 * quote doubling when the server runs with NO_BACKSLASH_ESCAPES.
 */
export function escapeValue(value, noBackslashEscapes = false) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MysqlError(`Cannot send ${value} to MySQL.`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) value = value.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof value !== 'string') throw new MysqlError(`Cannot escape a ${typeof value}.`);
  if (noBackslashEscapes) return `'${value.replace(/'/g, "''")}'`;
  return `'${value.replace(/[\0\n\r\b\t\x1a'"\\]/g, (c) => ({ '\0': '\\0', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\t': '\\t', '\x1a': '\\Z' })[c] ?? `\\${c}`)}'`;
}

/** Replace each `?` in `sql` by the escaped next parameter. `sql` must not contain literal question marks. */
export function formatQuery(sql, params = [], noBackslashEscapes = false) {
  let i = 0;
  const out = sql.replace(/\?/g, () => {
    if (i >= params.length) throw new MysqlError('Not enough parameters for the query.');
    return escapeValue(params[i++], noBackslashEscapes);
  });
  if (i !== params.length) throw new MysqlError('Too many parameters for the query.');
  return out;
}

/** Read helpers over one packet payload. */
class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  u8() { return this.buf[this.pos++]; }
  u16() { const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  u32() { const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  bytes(n) { const v = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return v; }
  nulStr() { let end = this.buf.indexOf(0, this.pos); if (end < 0) end = this.buf.length; const s = this.buf.subarray(this.pos, end); this.pos = end + 1; return s; }
  rest() { const v = this.buf.subarray(this.pos); this.pos = this.buf.length; return v; }
  lenenc() {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) { const v = this.buf.readUIntLE(this.pos, 3); this.pos += 3; return v; }
    const v = Number(this.buf.readBigUInt64LE(this.pos)); this.pos += 8; return v;
  }
  lenencStr() { const n = this.lenenc(); return n === null ? null : this.bytes(n); }
  done() { return this.pos >= this.buf.length; }
}

function lenencInt(n) {
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = 0xfc; b.writeUInt16LE(n, 1); return b; }
  if (n < 0x1000000) { const b = Buffer.alloc(4); b[0] = 0xfd; b.writeUIntLE(n, 1, 3); return b; }
  const b = Buffer.alloc(9); b[0] = 0xfe; b.writeBigUInt64LE(BigInt(n), 1); return b;
}

function parseError(payload) {
  const r = new Reader(payload);
  r.u8();
  const errno = r.u16();
  let sqlState = 'HY000';
  if (payload[r.pos] === 0x23) { r.u8(); sqlState = r.bytes(5).toString('latin1'); }
  return new MysqlError(r.rest().toString('utf8'), { errno, sqlState });
}

function parseOk(payload) {
  const r = new Reader(payload);
  r.u8();
  const affectedRows = r.lenenc();
  const insertId = r.lenenc();
  const status = r.done() ? 0 : r.u16();
  const warnings = r.done() ? 0 : r.u16();
  return { affectedRows, insertId, status, warnings };
}

/** One connection; queries are serialised. */
export class Connection {
  constructor(socket, options) {
    this.socket = socket;
    this.options = options;
    this.chunks = Buffer.alloc(0);
    this.waiters = [];
    this.packets = [];
    this.seq = 0;
    this.closed = false;
    this.fatal = null;
    this.noBackslashEscapes = false;
    this.queue = Promise.resolve();
    this.serverVersion = '';
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.fail(new MysqlError(e.message, { fatal: true, errno: 2013 })));
    socket.on('close', () => this.fail(new MysqlError('Connection closed by the server.', { fatal: true, errno: 2013 })));
  }

  /** Connect and authenticate. options: host, port, user, password, database, connectTimeoutMs, queryTimeoutMs. */
  static connect(options) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port ?? 3306 });
      socket.setNoDelay(true);
      const conn = new Connection(socket, options);
      const timer = setTimeout(() => { conn.destroy(); reject(new MysqlError(`Connecting to ${options.host}:${options.port ?? 3306} timed out.`, { fatal: true, errno: 2003 })); }, options.connectTimeoutMs ?? 3000);
      conn.handshake().then(
        () => { clearTimeout(timer); resolve(conn); },
        (e) => { clearTimeout(timer); conn.destroy(); reject(e); },
      );
    });
  }

  onData(data) {
    this.chunks = this.chunks.length ? Buffer.concat([this.chunks, data]) : data;
    while (this.chunks.length >= 4) {
      const len = this.chunks.readUIntLE(0, 3);
      if (this.chunks.length < 4 + len) break;
      const seq = this.chunks[3];
      const payload = this.chunks.subarray(4, 4 + len);
      this.chunks = this.chunks.subarray(4 + len);
      this.seq = (seq + 1) & 0xff;
      const w = this.waiters.shift();
      if (w) w.resolve(payload);
      else this.packets.push(payload);
    }
  }

  fail(err) {
    if (this.fatal) return;
    this.fatal = err;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  readPacket() {
    if (this.packets.length) return Promise.resolve(this.packets.shift());
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  writePacket(payload) {
    if (payload.length >= MAX_PACKET) throw new MysqlError('Packet too large for this client.');
    const head = Buffer.alloc(4);
    head.writeUIntLE(payload.length, 0, 3);
    head[3] = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    this.socket.write(Buffer.concat([head, payload]));
  }

  authToken(plugin, scramble) {
    const pw = this.options.password ?? '';
    if (plugin === 'mysql_native_password') return nativePasswordToken(pw, scramble);
    if (plugin === 'caching_sha2_password') return cachingSha2Token(pw, scramble);
    throw new MysqlError(`Unsupported authentication plugin ${plugin}.`, { fatal: true, errno: 2059 });
  }

  async handshake() {
    const r = new Reader(await this.readPacket());
    const protocol = r.u8();
    if (protocol === 0xff) throw parseError(r.buf);
    if (protocol !== 10) throw new MysqlError(`Unsupported handshake protocol ${protocol}.`, { fatal: true });
    this.serverVersion = r.nulStr().toString('latin1');
    this.threadId = r.u32();
    const part1 = r.bytes(8);
    r.u8();
    let caps = r.u16();
    r.u8(); // server charset
    r.u16(); // status
    caps |= r.u16() << 16;
    const authLen = r.u8();
    r.bytes(10);
    let part2 = Buffer.alloc(0);
    if (caps & CLIENT_SECURE_CONNECTION) part2 = r.bytes(Math.max(13, authLen - 8));
    let plugin = 'mysql_native_password';
    if (caps & CLIENT_PLUGIN_AUTH) plugin = r.nulStr().toString('latin1') || plugin;
    let scramble = Buffer.concat([part1, part2]).subarray(0, 20);

    let flags = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
    if (this.options.database) flags |= CLIENT_CONNECT_WITH_DB;
    flags &= caps | CLIENT_CONNECT_WITH_DB;
    const token = this.authToken(plugin, scramble);
    const head = Buffer.alloc(32);
    head.writeUInt32LE(flags >>> 0, 0);
    head.writeUInt32LE(MAX_PACKET, 4);
    head[8] = UTF8MB4_GENERAL_CI;
    const parts = [head, Buffer.from(`${this.options.user ?? ''}\0`, 'utf8')];
    parts.push(flags & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA ? lenencInt(token.length) : Buffer.from([token.length]), token);
    if (flags & CLIENT_CONNECT_WITH_DB) parts.push(Buffer.from(`${this.options.database}\0`, 'utf8'));
    if (flags & CLIENT_PLUGIN_AUTH) parts.push(Buffer.from(`${plugin}\0`, 'latin1'));
    this.writePacket(Buffer.concat(parts));

    for (;;) {
      const p = await this.readPacket();
      if (p[0] === 0x00) { const ok = parseOk(p); this.noBackslashEscapes = !!(ok.status & SERVER_STATUS_NO_BACKSLASH_ESCAPES); return; }
      if (p[0] === 0xff) { const e = parseError(p); e.fatal = true; throw e; }
      if (p[0] === 0xfe) {
        // Auth switch: a new plugin and a new scramble.
        const sr = new Reader(p);
        sr.u8();
        plugin = sr.nulStr().toString('latin1');
        const data = sr.rest();
        scramble = data[data.length - 1] === 0 ? data.subarray(0, data.length - 1) : data;
        this.writePacket(this.authToken(plugin, scramble));
        continue;
      }
      if (p[0] === 0x01 && plugin === 'caching_sha2_password') {
        if (p[1] === 0x03) continue; // fast auth succeeded; the OK packet follows
        if (p[1] === 0x04) {
          this.writePacket(Buffer.from([0x02])); // request the server's RSA public key
          const keyPacket = await this.readPacket();
          if (keyPacket[0] === 0xff) throw parseError(keyPacket);
          const pem = keyPacket.subarray(1).toString('latin1');
          this.writePacket(encryptPassword(this.options.password ?? '', scramble, pem));
          continue;
        }
      }
      throw new MysqlError(`Unexpected packet 0x${p[0].toString(16)} during authentication.`, { fatal: true });
    }
  }

  /**
   * Run one statement. Result: { rows: object[], fields: string[],
   * affectedRows, insertId, warnings }. Integer columns become numbers when
   * they fit, NULL becomes null, everything else a string.
   */
  query(sql, params) {
    const run = () => this.runQuery(params ? formatQuery(sql, params, this.noBackslashEscapes) : sql);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async runQuery(sql) {
    if (this.fatal) throw this.fatal;
    const timeoutMs = this.options.queryTimeoutMs ?? 5000;
    const timer = setTimeout(() => { this.fail(new MysqlError(`Query timed out after ${timeoutMs} ms.`, { fatal: true, errno: 2013 })); this.socket.destroy(); }, timeoutMs);
    try {
      this.seq = 0;
      this.writePacket(Buffer.concat([Buffer.from([0x03]), Buffer.from(sql, 'utf8')]));
      const first = await this.readPacket();
      if (first[0] === 0x00) {
        const ok = parseOk(first);
        this.noBackslashEscapes = !!(ok.status & SERVER_STATUS_NO_BACKSLASH_ESCAPES);
        return { rows: [], fields: [], affectedRows: ok.affectedRows, insertId: ok.insertId, warnings: ok.warnings };
      }
      if (first[0] === 0xff) throw parseError(first);
      if (first[0] === 0xfb) throw new MysqlError('LOAD DATA LOCAL is not supported.');
      const count = new Reader(first).lenenc();
      const fields = [];
      for (let i = 0; i < count; i++) {
        const r = new Reader(await this.readPacket());
        r.lenencStr(); r.lenencStr(); r.lenencStr(); r.lenencStr();
        const name = r.lenencStr().toString('utf8');
        r.lenencStr(); r.lenenc(); r.u16(); r.u32();
        const type = r.u8();
        fields.push({ name, type });
      }
      const eof = await this.readPacket();
      if (eof[0] !== 0xfe) throw new MysqlError('Expected EOF after column definitions.', { fatal: true });
      const rows = [];
      for (;;) {
        const p = await this.readPacket();
        if (p[0] === 0xfe && p.length < 9) break;
        if (p[0] === 0xff) throw parseError(p);
        const r = new Reader(p);
        const row = {};
        for (const f of fields) {
          const v = r.lenencStr();
          if (v === null) row[f.name] = null;
          else if (INTEGER_TYPES.has(f.type) && Number.isSafeInteger(Number(v.toString('latin1')))) row[f.name] = Number(v.toString('latin1'));
          else row[f.name] = v.toString('utf8');
        }
        rows.push(row);
      }
      return { rows, fields: fields.map((f) => f.name), affectedRows: 0, insertId: 0, warnings: 0 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Politely close (COM_QUIT), then drop the socket. */
  close() {
    if (!this.closed) {
      try { this.seq = 0; this.writePacket(Buffer.from([0x01])); } catch { /* closing anyway */ }
    }
    this.destroy();
  }

  destroy() {
    this.closed = true;
    this.socket.destroy();
  }
}

/** A small pool of connections to one server. */
export class Pool {
  constructor(options, maxIdle = 4) {
    this.options = options;
    this.maxIdle = maxIdle;
    this.idle = [];
  }

  async query(sql, params) {
    let conn = this.idle.pop();
    while (conn && conn.closed) conn = this.idle.pop();
    if (!conn) conn = await Connection.connect(this.options);
    try {
      const result = await conn.query(sql, params);
      if (this.idle.length < this.maxIdle && !conn.closed) this.idle.push(conn);
      else conn.close();
      return result;
    } catch (e) {
      if (e.fatal || conn.closed) conn.destroy();
      else if (this.idle.length < this.maxIdle) this.idle.push(conn);
      else conn.close();
      throw e;
    }
  }

  end() {
    for (const c of this.idle.splice(0)) c.close();
  }
}
