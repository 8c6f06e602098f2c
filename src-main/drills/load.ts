/**
 * The drill's load through the VIP: look-ups and numbered reservations at a
 * steady rate, each on a fresh connection (a dead load balancer's kept-alive
 * socket would otherwise hide the failover), each with a timeout. Bounded in
 * count and time; stops by itself.
 */
import { request } from 'node:http';
import type { DrillRequest } from '../shared/drills/report';

export interface LoadOptions {
  baseUrl: string;
  /** Requests per second (default 20). */
  rate?: number;
  /** One write in this many requests (default 4). */
  writeEvery?: number;
  /** Hard limits. */
  maxSeconds: number;
  maxRequests?: number;
  timeoutMs?: number;
  /** Names the writes so they can be found again. */
  runId: string;
  /** Is this status what we expect now? (maintenance: a refused write is expected) */
  expect?: (kind: 'read' | 'write', status: number, t: number) => boolean;
}

interface HttpResult {
  status: number;
  body: string;
  servedBy?: string;
}

function call(url: URL, method: 'GET' | 'POST', body: string | undefined, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = request(
      { host: url.hostname, port: url.port || 80, path: url.pathname + url.search, method, agent: false, timeout: timeoutMs, headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' } : { Connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text = (text + d).slice(0, 4096)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, servedBy: (res.headers['x-served-by'] as string | undefined) ?? undefined }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    const timer = setTimeout(() => req.destroy(), timeoutMs);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}

export class LoadGenerator {
  readonly requests: DrillRequest[] = [];
  private stopped = false;
  private loop?: Promise<void>;
  private started = 0;
  private lookup?: { no: string; name: string; phone: string };
  private seq = 0;

  constructor(private readonly o: LoadOptions) {}

  /** Start sending; `t0` is the drill's start (request times are relative to it). */
  start(t0: number): void {
    this.started = t0;
    const rate = this.o.rate ?? 20;
    const every = this.o.writeEvery ?? 4;
    const max = this.o.maxRequests ?? rate * this.o.maxSeconds;
    const deadline = Date.now() + this.o.maxSeconds * 1000;
    const inflight = new Set<Promise<void>>();
    this.loop = (async () => {
      for (let i = 0; i < max && !this.stopped && Date.now() < deadline; i++) {
        const p = this.one(i % every === every - 1 ? 'write' : 'read').finally(() => inflight.delete(p));
        inflight.add(p);
        await new Promise((ok) => setTimeout(ok, 1000 / rate));
      }
      await Promise.all(inflight);
    })();
  }

  private async one(kind: 'read' | 'write'): Promise<void> {
    const t = Date.now() - this.started;
    const base = new URL(this.o.baseUrl);
    const t0 = performance.now();
    let r: HttpResult;
    let no: string | undefined;
    if (kind === 'write') {
      const n = ++this.seq;
      const name = `drill-${this.o.runId}-${n}`;
      r = await call(new URL('/api/reservations', base), 'POST', JSON.stringify({ name, phone: '010-0000-0000', issue: `drill write ${n}` }), this.o.timeoutMs ?? 2000);
      if (r.status === 201) {
        try {
          no = (JSON.parse(r.body) as { reservationNo?: string }).reservationNo;
        } catch {
          no = undefined;
        }
        if (no && !this.lookup) this.lookup = { no, name, phone: '010-0000-0000' };
      }
    } else {
      const l = this.lookup;
      const url = l ? new URL(`/api/reservations/${encodeURIComponent(l.no)}?name=${encodeURIComponent(l.name)}&phone=${encodeURIComponent(l.phone)}`, base) : new URL('/', base);
      r = await call(url, 'GET', undefined, this.o.timeoutMs ?? 2000);
    }
    const ms = Math.round(performance.now() - t0);
    const expected = this.o.expect ?? ((k, s) => (k === 'write' ? s === 201 : s === 200));
    this.requests.push({ t, kind, status: r.status, ms, servedBy: r.servedBy, no, ok: expected(kind, r.status, t) });
  }

  /** Stop sending and wait for requests in flight. */
  async stop(): Promise<DrillRequest[]> {
    this.stopped = true;
    await this.loop;
    return this.requests.sort((a, b) => a.t - b.t);
  }

  /** Reservation numbers the service acknowledged. */
  acknowledged(): string[] {
    return this.requests.filter((r) => r.kind === 'write' && r.status === 201 && r.no).map((r) => r.no as string);
  }
}
