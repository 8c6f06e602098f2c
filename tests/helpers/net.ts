import { connect, createServer } from 'node:net';

/** One bounded TCP connect: 'open' or the error code ('timeout' when nothing answers). Never hangs past timeoutMs. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<{ result: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (result: string): void => {
      s.destroy();
      resolve({ result, ms: Date.now() - started });
    };
    s.setTimeout(timeoutMs, () => done('timeout'));
    s.once('connect', () => done('open'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
  });
}

/** A free TCP port on 127.0.0.1 (bound, read, closed). */
export function freePort(): Promise<number> {
  return new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}
