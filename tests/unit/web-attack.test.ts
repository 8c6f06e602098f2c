/**
 * Web mode under attack: a real `halab serve` process on 127.0.0.1, hostile
 * requests written byte for byte on raw sockets. Every one must get its
 * refusal, and the same process must still answer a good request after it
 * (a crash would kill any provisioning or drill running in `halab serve`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnBackground, type BackgroundProcess } from '../../src-main/exec/runner';
import { MAX_BODY } from '../../src-main/server/web-server';
import { ROOT } from '../helpers/paths';

let serve: BackgroundProcess;
let port = 0;
let token = '';
let exitedWith: number | string | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'halab-attack-'));
const host = () => `127.0.0.1:${port}`;

interface Answer {
  status: number;
  head: string;
  body: string;
}

/** Writes `chunks` on a fresh TCP connection and collects everything the server sends until it closes. */
function raw(...chunks: (string | Buffer)[]): Promise<Answer> {
  return new Promise((ok, fail) => {
    const sock = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      fail(new Error(`no answer within 10 s to ${String(chunks[0]).slice(0, 80)}`));
    }, 10_000);
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(got).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      ok({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), head, body });
    };
    sock.on('data', (d) => got.push(d));
    sock.on('close', finish);
    // The server may close while we still write (a refused oversized body): keep what it said.
    sock.on('error', () => undefined);
    sock.on('connect', () => {
      for (const c of chunks) if (!sock.destroyed) sock.write(c);
    });
  });
}

const request = (line: string, headers: Record<string, string> = {}, body = ''): Promise<Answer> => {
  const all: Record<string, string> = { Host: host(), Connection: 'close', ...headers };
  if (body) all['Content-Length'] = String(Buffer.byteLength(body));
  const head = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return raw(`${line}\r\n${head}\r\n${body}`);
};

const invokeInfo = (headers: Record<string, string> = {}) =>
  request('POST /api/invoke/app:info HTTP/1.1', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers }, '{}');

/** The process is alive and a good request still gets a good answer. */
async function stillServes(): Promise<void> {
  expect(exitedWith, serve.output().slice(-2000)).toBeUndefined();
  const r = await invokeInfo();
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ ok: true, data: { mode: 'web' } });
}

beforeAll(async () => {
  const staticDir = join(tmp, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><html><head><title>HA Lab Studio</title></head><body></body></html>');
  writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
  serve = spawnBackground([process.execPath, join(ROOT, 'bin/halab.mjs'), 'serve', '--static-dir', staticDir], {
    cwd: ROOT,
    env: { ...process.env, HALAB_DATA_DIR: join(tmp, 'data'), HALAB_LABS_DIR: join(tmp, 'labs'), NO_COLOR: '1' } as Record<string, string>,
    quiet: true,
  });
  void serve.exited.then((code) => (exitedWith = code));
  const until = Date.now() + 60_000;
  let m: RegExpExecArray | null = null;
  while (!m && Date.now() < until && exitedWith === undefined) {
    await new Promise((ok) => setTimeout(ok, 100));
    m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)/.exec(serve.output());
  }
  if (!m) throw new Error(`halab serve did not print its URL:\n${serve.output()}`);
  port = Number(m[1]);
  token = m[2]!;
}, 90_000);

afterAll(async () => {
  if (serve && exitedWith === undefined) {
    serve.kill('SIGTERM');
    await serve.exited;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('web mode: malformed requests answer 400 and never crash halab serve', () => {
  it('a cookie with a bad percent-encoding', async () => {
    expect((await request('GET / HTTP/1.1', { Cookie: `halab_token_${port}=%E0%A4%A` })).status).toBe(400);
    // The name from before cookies were per port: not ours, so simply no credential.
    expect((await request('GET / HTTP/1.1', { Cookie: 'halab_token=%E0%A4%A' })).status).toBe(401);
    await stillServes();
  });

  it('GET //[ and other targets that are not a plain path', async () => {
    expect((await request('GET //[ HTTP/1.1')).status).toBe(400);
    expect((await request('GET http://evil.example/ HTTP/1.1')).status).toBe(400);
    expect((await request('OPTIONS * HTTP/1.1')).status).toBe(400);
    await stillServes();
  });

  it('a WebSocket upgrade with a bad cookie, a bad path encoding, or garbage headers', async () => {
    const upgrade = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    expect((await request('GET /api/events HTTP/1.1', { ...upgrade, Cookie: `halab_token_${port}=%E0%A4%A` })).status).toBe(400);
    expect((await request('GET /api/events?token=%ZZ HTTP/1.1', upgrade)).status).toBe(400);
    expect((await request('GET //[ HTTP/1.1', upgrade)).status).toBe(400);
    expect((await request('GET /api/events HTTP/1.1', { ...upgrade, Cookie: 'x' })).status).toBe(401);
    await stillServes();
  });

  it('bad percent-encoding anywhere: path, query, API channel, before and after the token check', async () => {
    const bearer = { Authorization: `Bearer ${token}` };
    expect((await request('GET /%E0%A4%A HTTP/1.1')).status).toBe(400);
    expect((await request('GET /%E0%A4%A HTTP/1.1', bearer)).status).toBe(400);
    expect((await request('GET /assets/%ZZ.js HTTP/1.1', bearer)).status).toBe(400);
    expect((await request('GET /?token=%E0%A4%A HTTP/1.1')).status).toBe(400);
    expect((await request('GET /?x=1&%ZZ=2 HTTP/1.1', bearer)).status).toBe(400);
    expect((await request('GET /%00 HTTP/1.1', bearer)).status).toBe(400);
    expect((await request('POST /api/invoke/%E0%A4 HTTP/1.1', { ...bearer, 'Content-Type': 'application/json' }, '{}')).status).toBe(400);
    await stillServes();
  });

  it('broken HTTP: a garbage request line, a missing Host, an invalid header, a truncated body', async () => {
    expect((await raw('GARBAGE\r\n\r\n')).status).toBe(400);
    expect((await raw('GET / HTTP/1.1\r\nConnection: close\r\n\r\n')).status).toBe(400);
    expect((await raw(`GET / HTTP/1.1\r\nHost: ${host()}\r\nBad Header\r\n\r\n`)).status).toBe(400);
    // A body shorter than announced, then the client goes away.
    const cut = await new Promise<void>((ok) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end(`POST /api/invoke/app:info HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`);
        setTimeout(() => {
          s.destroy();
          ok();
        }, 100);
      });
      s.on('error', () => undefined);
    });
    expect(cut).toBeUndefined();
    await stillServes();
  });

  it('a JSON body that is not JSON answers 400 with an IpcResult', async () => {
    const r = await request('POST /api/invoke/app:info HTTP/1.1', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, '{not json');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    await stillServes();
  });
});

describe('web mode: only this server, only the bearer header, only JSON', () => {
  it('a cookie alone does not open the API (it does open the page)', async () => {
    const page = await request(`GET /?token=${token} HTTP/1.1`);
    expect(page.status).toBe(200);
    const cookie = /^set-cookie: ([^;\r\n]+)/im.exec(page.head)![1]!;
    expect(cookie).toBe(`halab_token_${port}=${token}`);
    expect((await request('GET /app.js HTTP/1.1', { Cookie: cookie })).status).toBe(200);
    const api = await request('POST /api/invoke/app:info HTTP/1.1', { Cookie: cookie, 'Content-Type': 'application/json' }, '{}');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    // Nor does the token in the query string.
    expect((await request(`POST /api/invoke/app:info?token=${token} HTTP/1.1`, { 'Content-Type': 'application/json' }, '{}')).status).toBe(401);
    await stillServes();
  });

  it('the page served to a token holder carries the bearer token, and is not cached', async () => {
    const page = await request(`GET /?token=${token} HTTP/1.1`);
    expect(page.body).toContain(`<meta name="halab-token" content="${token}">`);
    expect(page.head).toMatch(/^cache-control: no-store/im);
    expect(page.head).toMatch(/^content-security-policy: .*frame-ancestors 'none'/im);
    expect((await request('GET / HTTP/1.1')).body).not.toContain(token);
  });

  it('a page on another port of 127.0.0.1 is refused, on HTTP and on the WebSocket', async () => {
    const other = `http://127.0.0.1:${port === 65535 ? 1 : port + 1}`;
    const r = await invokeInfo({ Origin: other });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'wrong-origin' } });
    expect((await invokeInfo({ Origin: 'null' })).status).toBe(403);
    expect((await invokeInfo({ 'Sec-Fetch-Site': 'same-site' })).status).toBe(403);
    expect((await invokeInfo({ 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    // A subresource another site loads is refused; a top-level navigation to the page is not.
    expect((await request(`GET /app.js?token=${token} HTTP/1.1`, { 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'no-cors' })).status).toBe(403);
    expect((await request(`GET /?token=${token} HTTP/1.1`, { 'Sec-Fetch-Site': 'same-site', 'Sec-Fetch-Mode': 'navigate' })).status).toBe(200);
    // Preflight for a cross-origin call with the header: refused, and no CORS headers.
    const pre = await request('OPTIONS /api/invoke/app:info HTTP/1.1', { Origin: other, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' });
    expect(pre.status).toBe(403);
    expect(pre.head).not.toMatch(/access-control-allow/i);

    const ws = (origin: string) =>
      new Promise<number>((ok) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/api/events?token=${token}`, { origin });
        s.on('unexpected-response', (_req, res) => ok(res.statusCode ?? 0));
        s.on('open', () => {
          s.close();
          ok(101);
        });
        s.on('error', () => ok(-1));
      });
    expect(await ws(other)).toBe(403);
    expect(await ws('http://evil.example')).toBe(403);
    expect(await ws(`http://127.0.0.1:${port}`)).toBe(101);
    await stillServes();
  });

  it('a wrong Host (DNS rebinding) is refused, on HTTP and on the WebSocket', async () => {
    const r = await invokeInfo({ Host: `evil.example:${port}` });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'wrong-host' } });
    expect((await invokeInfo({ Host: '127.0.0.1' })).status).toBe(403);
    expect((await request(`GET /?token=${token} HTTP/1.1`, { Host: `rebind.example:${port}` })).status).toBe(403);
    const upgrade = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    expect((await request(`GET /api/events?token=${token} HTTP/1.1`, { ...upgrade, Host: `evil.example:${port}` })).status).toBe(403);
    // Loopback names of this port are this server.
    expect((await invokeInfo({ Host: `localhost:${port}`, Origin: `http://localhost:${port}` })).status).toBe(200);
    await stillServes();
  });

  it('only application/json for /api/invoke (415), only POST (405), and a body size limit (413)', async () => {
    const bearer = { Authorization: `Bearer ${token}` };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/jsonx']) {
      const r = await request('POST /api/invoke/app:info HTTP/1.1', { ...bearer, 'Content-Type': type }, '{}');
      expect(r.status, type).toBe(415);
    }
    expect((await invokeInfo({ 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await request('GET /api/invoke/app:info HTTP/1.1', bearer)).status).toBe(405);
    // Announced too large: refused before reading.
    expect((await request('POST /api/invoke/app:info HTTP/1.1', { ...bearer, 'Content-Type': 'application/json', 'Content-Length': String(MAX_BODY + 1) })).status).toBe(413);
    // Chunked, larger than the limit as it arrives.
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const parts: (string | Buffer)[] = [`POST /api/invoke/app:info HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < MAX_BODY / chunk.length + 2; i++) parts.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    parts.push('0\r\n\r\n');
    expect((await raw(...parts)).status).toBe(413);
    await stillServes();
  });
});
