/**
 * A thin typed client for the Incus/LXD `/1.0` REST API, over the local unix
 * socket or remote HTTPS with a client certificate (node's http/https; no
 * other dependency). Every answer is the API's envelope
 * (`{type: sync|async|error, metadata, operation, error}`); async answers are
 * operations, waited for with `GET /1.0/operations/<id>/wait`.
 *
 * Remote trust: the instructor makes a token on the cluster
 * (`incus config trust add NAME` / `lxc config trust add NAME`); `trust()`
 * sends it once with this client's certificate, after which the certificate
 * alone authenticates. The server's certificate is pinned (`serverCert`) when
 * given, else checked against the system's CAs.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { flavorOf, trustRequestBody, type FlavorFacts } from './flavor';

/** Where the daemon is. */
export type IncusEndpoint =
  | { kind: 'unix'; socketPath: string }
  | {
      kind: 'https';
      /** `https://host:8443` */
      url: string;
      /** Client certificate and key (PEM). */
      cert: string;
      key: string;
      /** The server's certificate (PEM), pinned; undefined = the system's CAs. */
      serverCert?: string;
    };

/** The API's answer envelope. */
interface Envelope<T> {
  type: 'sync' | 'async' | 'error';
  status_code?: number;
  error_code?: number;
  error?: string;
  operation?: string;
  metadata: T;
}

/** An operation (async answer). */
export interface IncusOperation {
  id: string;
  status: string;
  status_code: number;
  err: string;
  metadata?: Record<string, unknown> | null;
  resources?: Record<string, string[]> | null;
}

/** `GET /1.0` (the fields this provider reads). */
export interface ServerInfo {
  api_extensions?: string[];
  api_version?: string;
  auth: 'trusted' | 'untrusted';
  auth_methods?: string[];
  environment?: {
    server?: string;
    server_name?: string;
    server_version?: string;
    server_clustered?: boolean;
    driver?: string;
    kernel_version?: string;
    storage?: string;
    certificate_fingerprint?: string;
  };
  config?: Record<string, unknown>;
}

/** An error the API returned (or the transport hit), with where. */
export class IncusApiError extends Error {
  override readonly name = 'IncusApiError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the daemon could not be reached. */
    readonly status: number,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

export interface RequestOptions {
  /** JSON body. */
  body?: unknown;
  /** A file streamed as the body (image uploads). */
  file?: string;
  /** Raw bytes as the body (file pushes). */
  data?: string | Buffer;
  /** `?project=` */
  project?: string;
  /** More query parameters. */
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Socket timeout (default 60 s; image uploads longer). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The thin client. One instance per endpoint; `facts()` tells Incus from LXD. */
export class IncusClient {
  private info?: Promise<ServerInfo>;
  /** Last request and error, for failure details. */
  last: { request?: string; error?: string } = {};

  constructor(readonly endpoint: IncusEndpoint) {}

  /** Human-readable place: the socket path or the URL. */
  get where(): string {
    return this.endpoint.kind === 'unix' ? this.endpoint.socketPath : this.endpoint.url;
  }

  /** `GET /1.0`, cached per client. */
  server(refresh = false): Promise<ServerInfo> {
    if (refresh || !this.info) {
      this.info = this.get<ServerInfo>('/1.0');
      this.info.catch(() => (this.info = undefined));
    }
    return this.info;
  }

  /** Incus or LXD, and their differences. */
  async facts(): Promise<FlavorFacts> {
    return flavorOf(await this.server());
  }

  get<T>(path: string, o: RequestOptions = {}): Promise<T> {
    return this.sync<T>('GET', path, o);
  }

  /** A request whose answer is sync; an async answer is waited for and its operation returned as T. */
  async sync<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const env = await this.raw<T>(method, path, o);
    if (env.type === 'async') return (await this.wait(env, o)) as T;
    return env.metadata;
  }

  /** A request that starts an operation: waits for it and throws when it failed. */
  async op(method: string, path: string, o: RequestOptions = {}): Promise<IncusOperation> {
    const env = await this.raw<IncusOperation>(method, path, o);
    if (env.type !== 'async') return env.metadata ?? ({ id: '', status: 'Success', status_code: 200, err: '' } as IncusOperation);
    return this.wait(env, o);
  }

  /** Trust this client's certificate with the instructor's token (remote HTTPS only). */
  async trust(token: string, name: string): Promise<void> {
    if (this.endpoint.kind !== 'https') throw new IncusApiError('Trust tokens are for remote servers; the local socket is trusted already.', 400, 'POST', '/1.0/certificates');
    const info = await this.server(true);
    if (info.auth === 'trusted') return;
    await this.sync('POST', '/1.0/certificates', { body: trustRequestBody(flavorOf(info), undefined, token, name) });
    const after = await this.server(true);
    if (after.auth !== 'trusted') throw new IncusApiError(`The server at ${this.where} accepted the token but still does not trust this certificate.`, 403, 'POST', '/1.0/certificates');
  }

  private async wait(env: Envelope<unknown>, o: RequestOptions): Promise<IncusOperation> {
    const opPath = env.operation ?? `/1.0/operations/${(env.metadata as IncusOperation).id}`;
    const timeoutS = Math.max(1, Math.ceil((o.timeoutMs ?? 10 * 60_000) / 1000));
    for (;;) {
      const res = await this.raw<IncusOperation>('GET', `${opPath}/wait`, { project: o.project, query: { timeout: String(Math.min(timeoutS, 30)) }, timeoutMs: 40_000, signal: o.signal });
      const op = res.metadata;
      if (op.status_code >= 400 || op.status === 'Failure' || op.status === 'Cancelled') {
        this.last.error = op.err || op.status;
        throw new IncusApiError(op.err || `operation ${op.status}`, op.status_code >= 400 ? op.status_code : 500, 'WAIT', opPath);
      }
      if (op.status_code === 200 || op.status === 'Success') return op;
      if (o.signal?.aborted) throw new IncusApiError('Canceled while waiting for the operation.', 499, 'WAIT', opPath);
    }
  }

  /** One HTTP round trip; rejects on error envelopes and transport errors. */
  async raw<T>(method: string, path: string, o: RequestOptions = {}): Promise<Envelope<T>> {
    const q = new URLSearchParams({ ...(o.project ? { project: o.project } : {}), ...(o.query ?? {}) }).toString();
    const fullPath = q ? `${path}${path.includes('?') ? '&' : '?'}${q}` : path;
    this.last.request = `${method} ${fullPath}`;
    const headers: Record<string, string | number> = { ...(o.headers ?? {}) };
    let payload: string | undefined;
    if (o.file) {
      headers['Content-Type'] ??= 'application/octet-stream';
      headers['Content-Length'] = (await stat(o.file)).size;
    } else if (o.data !== undefined) {
      headers['Content-Type'] ??= 'application/octet-stream';
      headers['Content-Length'] = Buffer.byteLength(o.data);
    } else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const ep = this.endpoint;
    const base: http.RequestOptions = { method, path: fullPath, headers, signal: o.signal };
    const reqOpts: https.RequestOptions =
      ep.kind === 'unix'
        ? { ...base, socketPath: ep.socketPath }
        : (() => {
            const u = new URL(ep.url);
            return {
              ...base,
              host: u.hostname,
              port: u.port || 8443,
              cert: ep.cert,
              key: ep.key,
              ...(ep.serverCert ? { ca: ep.serverCert, checkServerIdentity: () => undefined } : {}),
            };
          })();
    const doRequest = ep.kind === 'unix' ? http.request : https.request;
    const text = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = doRequest(reqOpts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer within ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s`)));
      req.on('error', (e) => reject(new IncusApiError(`${this.where}: ${(e as Error).message}`, 0, method, path)));
      if (o.file) {
        const s = createReadStream(o.file);
        s.on('error', (e) => req.destroy(e));
        s.pipe(req);
      } else {
        req.end(o.data ?? payload);
      }
    });
    let env: Envelope<T>;
    try {
      env = JSON.parse(text.body) as Envelope<T>;
    } catch {
      throw new IncusApiError(`${method} ${path}: the server answered HTTP ${text.status} with something that is not the API's JSON.`, text.status || 502, method, path);
    }
    if (env.type === 'error' || text.status >= 400) {
      const status = env.error_code ?? text.status;
      this.last.error = env.error ?? `HTTP ${status}`;
      throw new IncusApiError(env.error || `HTTP ${status}`, status, method, path);
    }
    return env;
  }
}
