/**
 * Web mode: the same backend and renderer in a browser, for machines where
 * the desktop window cannot start.
 *
 * - `GET /…` serves the built renderer (a single-page app).
 * - `POST /api/invoke/<channel>` with a JSON payload answers an IpcResult.
 * - `GET /api/events` upgrades to a WebSocket of `{channel, payload}` messages.
 *
 * Security model. The server listens on 127.0.0.1 unless `allowRemote`, and
 * every run has a random token. Any other program on this machine, and any web
 * page the user has open, can send requests to the port, so every rule below
 * is enforced on every request, before anything else happens:
 *
 * 1. Parsing never throws out of a handler. The request target, the Host and
 *    Origin headers, the cookie and every percent-encoding are parsed inside
 *    one try/catch; anything malformed answers 400 and the server carries on
 *    (a provisioning or drill running in `halab serve` is never affected).
 *    Malformed HTTP itself (`clientError`) answers 400; socket errors on an
 *    upgrade are caught.
 * 2. Host must name this server (DNS rebinding: a page on evil.example whose
 *    name later resolves to 127.0.0.1 sends `Host: evil.example`). Allowed:
 *    the `host` the server was started with, at its port; on loopback also
 *    `localhost`, `127.0.0.1` and `[::1]`; with `allowRemote` and a wildcard
 *    address (0.0.0.0, ::), this machine's own interface addresses. With
 *    `--allow-remote --host <name>` open the app with exactly that name.
 * 3. Origin, when a browser sends one, must be this same origin:
 *    `http://` + the (already checked) Host. A page on another port of
 *    127.0.0.1 is same-site but not same-origin, and is refused (403), on HTTP
 *    and on the WebSocket upgrade (browsers always send Origin there).
 *    `Sec-Fetch-Site: same-site|cross-site` is refused too, except for a
 *    top-level navigation to a page (which the other site cannot read).
 * 4. The token. Three carriers, each for one purpose:
 *    - `?token=` in the URL `halab serve` prints: the first page load only.
 *      The answer sets an HttpOnly, SameSite=Strict cookie named per port
 *      (`halab_token_<port>`; cookies do not separate ports).
 *    - The cookie admits static files and the WebSocket (a browser cannot put
 *      headers on those). The `?token=` query also admits the WebSocket.
 *    - `/api/*` accepts ONLY `Authorization: Bearer <token>`. A cookie is sent
 *      by the browser on its own, also for requests other same-site pages
 *      make; the header is not: a cross-origin page can only add it through a
 *      CORS preflight, which this server never grants.
 *    The page gets the bearer token from `<meta name="halab-token">`, which the
 *    server writes into index.html as it serves it. index.html is served only
 *    to a request that already proved the token, with `Cache-Control:
 *    no-store`, and only same-origin script can read it (same-origin policy,
 *    no CORS headers, `frame-ancestors 'none'`, Sec-Fetch checks above).
 * 5. `/api/invoke` takes `Content-Type: application/json` only (415), at most
 *    MAX_BODY bytes (413), and POST only (405).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Backend } from '../backend/backend';
import { allowedHosts, authorityName, BadRequest, bearer, cookieValue, injectToken, isLoopback, parseTarget, readBody, refuseUpgrade, safeEqual, send, sendApiError, WebServerError, type Refusal } from './web-http';

export { allowedHosts, cookieValue, injectToken, isLoopback, parseTarget, WebServerError } from './web-http';

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

/** Largest `/api/invoke` body (a blueprint or a file being saved is far smaller). */
export const MAX_BODY = 6 * 1024 * 1024;
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

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.allowRemote) {
    throw new WebServerError(`Refusing to listen on ${host}: anyone on that network could reach your labs. Use 127.0.0.1, or pass --allow-remote if you really mean it.`);
  }
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const root = resolve(opts.staticDir);
  const sockets = new Set<WebSocket>();
  let hosts = new Set<string>();
  let cookieName = 'halab_token';

  const unsubscribe = opts.backend.events.subscribe((channel, payload) => {
    const msg = JSON.stringify({ channel, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  /** Rules 2 and 3: Host, Origin, Sec-Fetch-Site. Undefined when the request may go on. */
  function checkSource(req: IncomingMessage, navigation: boolean): Refusal | undefined {
    const h = req.headers.host?.toLowerCase();
    if (!h) return { status: 400, code: 'bad-request', message: 'The request has no Host header.' };
    if (!hosts.has(h)) {
      return { status: 403, code: 'wrong-host', message: `This server answers only to ${[...hosts].join(', ')}, not "${h}". Open the address "halab serve" printed.` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin.toLowerCase() !== `http://${h}`) {
      return { status: 403, code: 'wrong-origin', message: `Requests from ${origin} are refused: only pages served by this server (http://${h}) may use it.` };
    }
    const site = req.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && !(navigation && req.headers['sec-fetch-mode'] === 'navigate')) {
      return { status: 403, code: 'wrong-origin', message: 'Requests made by other sites are refused.' };
    }
    return undefined;
  }

  function cspFor(req: IncomingMessage): string {
    const ws = `ws://${req.headers.host ?? '127.0.0.1'}`;
    return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${ws}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'`;
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string, setCookie: boolean): Promise<void> {
    let rel = pathname;
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
      'Content-Security-Policy': cspFor(req),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    if (setCookie) headers['Set-Cookie'] = `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    if (file === join(root, 'index.html')) {
      const body = Buffer.from(injectToken(await readFile(file, 'utf8'), token));
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length), 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(info.size) });
    pipeline(createReadStream(file), res, (err) => {
      if (err) res.destroy();
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, query } = parseTarget(req.url);
    const api = pathname === '/api' || pathname.startsWith('/api/');
    const refused = checkSource(req, !api);
    if (refused) return api ? sendApiError(res, refused) : send(res, refused.status, refused.message);

    if (api) {
      const given = bearer(req);
      if (!given || !safeEqual(given, token)) {
        return sendApiError(res, { status: 401, code: 'unauthorized', message: 'The API needs the header "Authorization: Bearer <token>"; the page reads it from the copy "halab serve" serves. Open the URL "halab serve" printed again.' }, { 'WWW-Authenticate': 'Bearer' });
      }
      if (!pathname.startsWith('/api/invoke/')) return sendApiError(res, { status: 404, code: 'not-found', message: `There is no API at ${pathname}; use POST /api/invoke/<channel> or the WebSocket /api/events.` });
      if (req.method !== 'POST') return sendApiError(res, { status: 405, code: 'method-not-allowed', message: 'Use POST for /api/invoke.' }, { Allow: 'POST' });
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        return sendApiError(res, { status: 415, code: 'unsupported-media-type', message: `The body must be sent as "Content-Type: application/json", not "${req.headers['content-type'] ?? 'none'}".` });
      }
      const tooLarge: Refusal = { status: 413, code: 'too-large', message: `The request is larger than ${MAX_BODY / 1024 / 1024} MiB.` };
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > MAX_BODY) return sendApiError(res, tooLarge, { Connection: 'close' });
      const channel = pathname.slice('/api/invoke/'.length);
      const body = await readBody(req, MAX_BODY);
      if (body === undefined) return sendApiError(res, tooLarge, { Connection: 'close' });
      let payload: unknown;
      try {
        payload = body.trim() ? JSON.parse(body) : {};
      } catch {
        return sendApiError(res, { status: 400, code: 'invalid-payload', message: 'The request body is not valid JSON.' });
      }
      const result = await opts.backend.invoke(channel, payload);
      return send(res, 200, JSON.stringify(result), 'application/json');
    }

    const given = bearer(req) ?? (query.get('token') || undefined) ?? cookieValue(req.headers.cookie, cookieName);
    if (!given || !safeEqual(given, token)) {
      return send(res, 401, 'Unauthorized: open the URL printed by "halab serve" (it carries the access token).');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', undefined, { Allow: 'GET, HEAD' });
    await serveStatic(req, res, pathname, query.has('token'));
  }

  const server = createServer((req, res) => {
    res.on('error', () => res.destroy());
    req.on('error', () => req.destroy());
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof BadRequest ? 400 : 500;
      const message = e instanceof BadRequest ? `Bad request: ${e.message}` : `Internal error: ${(e as Error).message}`;
      if (res.headersSent) res.destroy();
      else send(res, status, message, undefined, { Connection: 'close' });
    });
  });
  // Malformed HTTP (bad request line, oversized headers): 400 and close, never an exception.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) socket.destroy();
    else refuseUpgrade(socket, 400);
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  wss.on('error', () => undefined);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const { pathname, query } = parseTarget(req.url);
      const refused = checkSource(req, false);
      if (refused) return refuseUpgrade(socket, refused.status);
      if (pathname !== '/api/events') return refuseUpgrade(socket, 404);
      const given = bearer(req) ?? (query.get('token') || undefined) ?? cookieValue(req.headers.cookie, cookieName);
      if (!given || !safeEqual(given, token)) return refuseUpgrade(socket, 401);
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', () => sockets.delete(ws));
      });
    } catch (e) {
      refuseUpgrade(socket, e instanceof BadRequest ? 400 : 500);
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new WebServerError(e.code === 'EADDRINUSE' ? `Port ${opts.port} is already in use; pick another with --port, or omit it for a free one.` : `Cannot listen on ${host}:${opts.port ?? 0}: ${e.message}`)),
    );
    server.listen(opts.port ?? 0, host, () => ok());
  });
  // After listening, errors on the server itself must not be unhandled either.
  server.on('error', () => undefined);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  hosts = allowedHosts(host, port);
  cookieName = `halab_token_${port}`;
  const shownHost = authorityName(host);
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
