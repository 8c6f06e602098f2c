/**
 * Web mode: the same backend and renderer in a browser, for machines where
 * the desktop window cannot start. Listens on 127.0.0.1 by default (a
 * non-loopback address is refused unless `allowRemote`), and requires the
 * per-run token on every HTTP request and on the WebSocket (401 without it).
 *
 * - `GET /…` serves the built renderer. The first page load carries
 *   `?token=…`; the server then sets an HttpOnly cookie so assets load.
 * - `POST /api/invoke/<channel>` with a JSON payload answers an IpcResult.
 * - `GET /api/events` upgrades to a WebSocket of `{channel, payload}` messages.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Backend } from '../backend/backend';

export interface WebServerOptions {
  backend: Backend;
  /** Folder with the built renderer (index.html and assets). */
  staticDir: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Allow binding to a non-loopback address. */
  allowRemote?: boolean;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 6 * 1024 * 1024;
const COOKIE = 'halab_token';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export class WebServerError extends Error {
  override readonly name = 'WebServerError';
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function tokenFrom(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url.searchParams.get('token');
  if (q) return q;
  const cookie = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new WebServerError('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.allowRemote) {
    throw new WebServerError(`Refusing to listen on ${host}: anyone on that network could reach your labs. Use 127.0.0.1, or pass --allow-remote if you really mean it.`);
  }
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.staticDir);
  const sockets = new Set<WebSocket>();

  const unsubscribe = opts.backend.events.subscribe((channel, payload) => {
    const msg = JSON.stringify({ channel, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  async function serveStatic(res: ServerResponse, url: URL, setCookie: boolean): Promise<void> {
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    let file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'Forbidden');
    let info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      // Single-page app: unknown paths without an extension get index.html.
      if (extname(rel)) return send(res, 404, 'Not found');
      file = join(root, 'index.html');
      info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return send(res, 500, `The app is not built: ${file} is missing. Run "npm run build" first.`);
    }
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    if (setCookie) headers['Set-Cookie'] = `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = tokenFrom(req, url);
    if (!given || !safeEqual(given, token)) {
      return send(res, 401, 'Unauthorized: open the URL printed by "halab serve" (it carries the access token).');
    }
    void (async () => {
      try {
        if (url.pathname.startsWith('/api/invoke/')) {
          if (req.method !== 'POST') return send(res, 405, 'Use POST', 'text/plain', { Allow: 'POST' });
          const channel = decodeURIComponent(url.pathname.slice('/api/invoke/'.length));
          let payload: unknown;
          try {
            const body = await readBody(req);
            payload = body ? JSON.parse(body) : {};
          } catch (e) {
            const msg = (e as Error).message === 'request body too large' ? 'The request is too large.' : 'The request body is not valid JSON.';
            return send(res, 400, JSON.stringify({ ok: false, error: { name: 'IpcError', code: 'invalid-payload', message: msg } }), 'application/json');
          }
          const result = await opts.backend.invoke(channel, payload);
          return send(res, 200, JSON.stringify(result), 'application/json');
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
        await serveStatic(res, url, url.searchParams.has('token'));
      } catch (e) {
        if (!res.headersSent) send(res, 500, `Internal error: ${(e as Error).message}`);
        else res.destroy();
      }
    })();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = tokenFrom(req, url);
    if (url.pathname !== '/api/events' || !given || !safeEqual(given, token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new WebServerError(e.code === 'EADDRINUSE' ? `Port ${opts.port} is already in use; pick another with --port, or omit it for a free one.` : `Cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`)),
    );
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
