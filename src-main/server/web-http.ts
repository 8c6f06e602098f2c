/**
 * The HTTP parts of web mode that hold no state: parsing a request target,
 * the Host allow-list, the token carriers (cookie, bearer), answers and
 * refusals, the body limit, and the token written into index.html. The
 * security rules they serve are in `web-server.ts`'s header.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

export class WebServerError extends Error {
  override readonly name = 'WebServerError';
}

/** A request this server cannot make sense of: answered 400, never thrown further. */
export class BadRequest extends Error {}

/** A refused request: status and the message the user reads. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequest(`${what} has a bad percent-encoding.`);
  }
}

/** Splits an origin-form request target (`/path?query`); anything else is a bad request. */
export function parseTarget(raw: string | undefined): { pathname: string; query: URLSearchParams } {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) throw new BadRequest('The request target must be a path such as "/".');
  const q = raw.indexOf('?');
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const pathname = decode(rawPath, 'The request path');
  if (pathname.includes('\0')) throw new BadRequest('The request path contains a NUL byte.');
  // URLSearchParams never throws: a bad escape is kept as written, so decode values ourselves.
  const query = new URLSearchParams();
  if (q >= 0) {
    for (const part of raw.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      query.append(decode(k.replace(/\+/g, ' '), 'The query string'), decode(v.replace(/\+/g, ' '), 'The query string'));
    }
  }
  return { pathname, query };
}

/** The value of one cookie; a bad encoding is a bad request. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const c = part.trim();
    if (c.startsWith(`${name}=`)) return decode(c.slice(name.length + 1), `The cookie ${name}`);
  }
  return undefined;
}

export function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer +(\S+) *$/i.exec(auth) : null;
  return m ? m[1] : undefined;
}

/** `[v6]` for IPv6 literals, the name otherwise, lower case. */
export function authorityName(host: string): string {
  const h = host.toLowerCase().replace(/%.*$/, '');
  return isIP(h) === 6 ? `[${h}]` : h;
}

/** Host header values (name:port) this server answers to; see the module header, rule 2. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set<string>([authorityName(host)]);
  if (isLoopback(host) || host === '0.0.0.0' || host === '::') for (const n of ['localhost', '127.0.0.1', '[::1]']) names.add(n);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(authorityName(a.address));
  }
  const out = new Set<string>();
  for (const n of names) {
    out.add(`${n}:${port}`);
    if (port === 80) out.add(n);
  }
  return out;
}

export function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra });
  res.end(body);
}

export function sendApiError(res: ServerResponse, r: Refusal, extra: Record<string, string> = {}): void {
  send(res, r.status, JSON.stringify({ ok: false, error: { name: 'HttpError', code: r.code, message: r.message } }), 'application/json', extra);
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/** Reads the body up to `limit` bytes; undefined when it is larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** index.html with the bearer token as `<meta name="halab-token">` (module header, rule 4). */
export function injectToken(html: string, token: string): string {
  const meta = `<meta name="halab-token" content="${escapeAttr(token)}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0] + meta + html.slice(doctype[0].length) : meta + html;
}
