/**
 * The sample app's MySQL client against a scripted server that plays the
 * server side of each authentication path the way MySQL 8 does (the local
 * MariaDB only speaks mysql_native_password), plus escaping rules.
 */
import { createHash, generateKeyPairSync, privateDecrypt, constants, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, escapeValue, formatQuery } from '../../resources/guest/app/mysql-client.mjs';

const sha = (alg: string, ...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash(alg)).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i % b.length]!));
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

type Mode = 'fast' | 'full' | 'switch';
const PASSWORD = 'S3cret-pässword';

/** A tiny scripted server: handshake, one auth path, then one result set per query. */
function fakeServer(mode: Mode): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let seq = 0;
    const send = (payload: Buffer) => {
      const h = Buffer.alloc(4);
      h.writeUIntLE(payload.length, 0, 3);
      h[3] = seq++ & 0xff;
      sock.write(Buffer.concat([h, payload]));
    };
    const ok = () => send(Buffer.from([0, 0, 0, 2, 0, 0, 0]));
    const err = (code: number, msg: string) => {
      const b = Buffer.alloc(3);
      b[0] = 0xff;
      b.writeUInt16LE(code, 1);
      send(Buffer.concat([b, Buffer.from('#28000' + msg)]));
    };
    const lenStr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
    const scramble = Buffer.from(randomBytes(20).map((x) => (x % 94) + 33));
    let switchScramble = Buffer.alloc(0);
    let step = 0;
    const caps = 0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000 | 0x200000;
    const hs = Buffer.concat([
      Buffer.from([10]), Buffer.from('8.0.40-fake\0'), Buffer.from([1, 0, 0, 0]), scramble.subarray(0, 8), Buffer.from([0]),
      Buffer.from([caps & 0xff, (caps >> 8) & 0xff, 255, 2, 0, (caps >> 16) & 0xff, (caps >> 24) & 0xff, 21]), Buffer.alloc(10),
      scramble.subarray(8), Buffer.from([0]), Buffer.from('caching_sha2_password\0'),
    ]);
    send(hs);
    const stored256 = sha('sha256', sha('sha256', Buffer.from(PASSWORD)));
    const stored1 = sha('sha1', sha('sha1', Buffer.from(PASSWORD)));
    const onPacket = (p: Buffer) => {
      if (step === 0) {
        const userEnd = p.indexOf(0, 32);
        seen.push(`user=${p.subarray(32, userEnd).toString()}`);
        const len = p[userEnd + 1]!;
        const token = p.subarray(userEnd + 2, userEnd + 2 + len);
        // Server-side check: SHA256(pw) = token XOR SHA256(stored + scramble), then SHA256(SHA256(pw)) = stored.
        const candidate = xor(token, sha('sha256', stored256, scramble));
        const valid = sha('sha256', candidate).equals(stored256);
        seen.push(`fast-token-valid=${valid}`);
        step = 1;
        if (mode === 'fast') return valid ? (send(Buffer.from([1, 3])), ok()) : err(1045, 'Access denied');
        if (mode === 'full') return send(Buffer.from([1, 4]));
        switchScramble = Buffer.from(randomBytes(20).map((x) => (x % 94) + 33));
        return send(Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), switchScramble, Buffer.from([0])]));
      }
      if (step === 1 && mode === 'full') {
        seen.push(`request=${p.toString('hex')}`);
        step = 2;
        return send(Buffer.concat([Buffer.from([1]), Buffer.from(PEM)]));
      }
      if (step === 2 && mode === 'full') {
        const plain = xor(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, p), scramble);
        seen.push(`full-password=${plain.subarray(0, plain.length - 1).toString()}`);
        step = 3;
        return plain.subarray(0, plain.length - 1).toString() === PASSWORD ? ok() : err(1045, 'Access denied');
      }
      if (step === 1 && mode === 'switch') {
        const candidate = xor(p, sha('sha1', switchScramble, stored1));
        const valid = sha('sha1', candidate).equals(stored1);
        seen.push(`native-token-valid=${valid}`);
        step = 3;
        return valid ? ok() : err(1045, 'Access denied');
      }
      if (p[0] === 0x03) {
        seen.push(`query=${p.subarray(1).toString()}`);
        seq = 1;
        send(Buffer.from([1]));
        send(Buffer.concat([lenStr('def'), lenStr(''), lenStr(''), lenStr(''), lenStr('v'), lenStr(''), Buffer.from([0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0, 0, 0])]));
        send(Buffer.from([0xfe, 0, 0, 2, 0]));
        send(Buffer.concat([lenStr('hello'), Buffer.from([0xfb])]).subarray(0, 6));
        send(Buffer.from([0xfe, 0, 0, 2, 0]));
      }
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUIntLE(0, 3)) {
        const len = buf.readUIntLE(0, 3);
        seq = (buf[3]! + 1) & 0xff;
        const p = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        onPacket(p);
      }
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, seen })));
}

let current: Server | undefined;
afterEach(() => new Promise<void>((r) => (current ? current.close(() => r()) : r())));

describe('authentication paths', () => {
  it('caching_sha2_password fast auth', async () => {
    const { server, port, seen } = await fakeServer('fast');
    current = server;
    const c = await Connection.connect({ host: '127.0.0.1', port, user: 'app', password: PASSWORD });
    expect(c.serverVersion).toBe('8.0.40-fake');
    const { rows, fields } = await c.query('SELECT ?', ['x']);
    expect(fields).toEqual(['v']);
    expect(rows).toEqual([{ v: 'hello' }]);
    c.close();
    expect(seen).toEqual(['user=app', 'fast-token-valid=true', "query=SELECT 'x'"]);
  });

  it('caching_sha2_password full auth over plain TCP with the server RSA key', async () => {
    const { server, port, seen } = await fakeServer('full');
    current = server;
    const c = await Connection.connect({ host: '127.0.0.1', port, user: 'app', password: PASSWORD });
    c.close();
    expect(seen).toContain('request=02');
    expect(seen).toContain(`full-password=${PASSWORD}`);
  });

  it('auth switch to mysql_native_password', async () => {
    const { server, port, seen } = await fakeServer('switch');
    current = server;
    const c = await Connection.connect({ host: '127.0.0.1', port, user: 'app', password: PASSWORD });
    c.close();
    expect(seen).toContain('native-token-valid=true');
  });

  it('a wrong password is a fatal MysqlError with errno 1045', async () => {
    const { server, port } = await fakeServer('fast');
    current = server;
    await expect(Connection.connect({ host: '127.0.0.1', port, user: 'app', password: 'nope' })).rejects.toMatchObject({ errno: 1045, fatal: true });
  });
});

describe('escaping', () => {
  it('escapes strings for both sql_modes and refuses what it cannot send', () => {
    expect(escapeValue(`O'Brien \\ "x"\n\0`)).toBe(`'O\\'Brien \\\\ \\"x\\"\\n\\0'`);
    expect(escapeValue(`O'Brien \\`, true)).toBe(`'O''Brien \\'`);
    expect(escapeValue(null)).toBe('NULL');
    expect(escapeValue(12.5)).toBe('12.5');
    expect(escapeValue(true)).toBe('1');
    expect(() => escapeValue(Number.NaN)).toThrow();
    expect(() => escapeValue({} as unknown as string)).toThrow();
    expect(formatQuery('SELECT ? , ?', ["a'", 2])).toBe("SELECT 'a\\'' , 2");
    expect(() => formatQuery('SELECT ?', [])).toThrow(/Not enough/);
    expect(() => formatQuery('SELECT 1', [1])).toThrow(/Too many/);
  });
});
