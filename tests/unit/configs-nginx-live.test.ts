/**
 * The rendered load balancer running for real: nginx with the rendered
 * server block on 127.0.0.1, in front of two instances of the sample app
 * (in-memory mode). Checks round-robin, the X-Upstream / X-Served-By headers,
 * the access log fields, and passive failover when an app server dies
 * (including a POST, which is retried only because nothing was sent yet).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveLb, stopProcess as stop, type LiveLb } from '../golden/configs/support/nginx-live';

let lb: LiveLb;
let dir = '';
let apps: LiveLb['apps'] = [];
const get = (path: string, init?: RequestInit) => lb.get(path, init);

beforeAll(async () => {
  lb = await startLiveLb('vmware-3tier-ha');
  ({ dir, apps } = lb);
}, 30_000);

afterAll(async () => {
  await lb?.close();
});

describe('nginx load balancer (rendered config, running)', () => {
  it('answers /nginx-health locally', async () => {
    const h = await get('/nginx-health');
    expect(h.status).toBe(200);
    expect(h.text).toBe('ok\n');
  });

  it('alternates between the app servers and names the one that answered', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get('/');
      expect(r.status).toBe(200);
      expect(r.lb).toBe('lb-master');
      const app = apps.find((a) => a.name === r.servedBy)!;
      expect(r.upstream).toBe(`127.0.0.1:${app.port}`);
      seen.add(r.servedBy!);
    }
    expect([...seen].sort()).toEqual(['app-a', 'app-b']);
    const log = readFileSync(join(dir, 'logs', 'halab-access.log'), 'utf8');
    expect(log).toMatch(/upstream=127\.0\.0\.1:\d+ upstream_status=200 served_by=app-[ab] request_time=[\d.]+ upstream_connect_time=[\d.]+/);
  });

  it('keeps answering 200 (GET and POST) when one app server dies', async () => {
    await stop(apps[0]!.proc, 'SIGKILL');
    for (let i = 0; i < 6; i++) {
      const r = await get('/');
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('app-b');
    }
    const post = await get('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Kim', phone: '01012345678', issue: 'leak' }) });
    expect(post.status).toBe(201);
    expect(post.servedBy).toBe('app-b');
  });
});
