/**
 * The fast lab's load balancer running for real (200 ms connect timeout,
 * next upstream on error/timeout/502/503/504 within 1 s, max_fails=1): nginx
 * with its rendered server block on 127.0.0.1 in front of two sample apps.
 * With one app stopped, a burst of GETs and POSTs all succeed on the other,
 * only the first request pays the retry (max_fails=1 marks it down), and the
 * error log shows the refused connection that was retried.
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
  lb = await startLiveLb('vmware-3tier-ha-fast');
  ({ dir, apps } = lb);
}, 30_000);

afterAll(async () => {
  await lb?.close();
});

describe('the fast lab’s nginx (rendered config, running)', () => {
  it('runs the fast policy', () => {
    const conf = readFileSync(join(dir, 'lb.conf'), 'utf8');
    expect(conf).toContain('proxy_connect_timeout 200ms;');
    expect(conf).toContain('proxy_next_upstream_timeout 1s;');
    expect(conf).toMatch(/max_fails=1 fail_timeout=3s/);
  });

  it('an app server stopped: every GET and POST still succeeds, only the first pays a retry', async () => {
    for (let i = 0; i < 4; i++) expect((await get('/')).status).toBe(200);
    await stop(apps[0]!.proc, 'SIGTERM');
    const results: { status: number; upstream: string | null; servedBy: string | null }[] = [];
    for (let i = 0; i < 30; i++) {
      const r = i % 3 === 0 ? await get('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Kim', phone: '01012345678', issue: `leak ${i}` }) }) : await get('/');
      results.push(r);
      expect(r.status, `request ${i}`).toBe(i % 3 === 0 ? 201 : 200);
      expect(r.servedBy).toBe('app-b');
    }
    // A retried request lists both servers in X-Upstream; max_fails=1 takes app-a out after its first failure.
    const retried = results.filter((r) => (r.upstream ?? '').includes(','));
    expect(retried.length).toBeLessThanOrEqual(1);
    const log = readFileSync(join(dir, 'logs', 'halab-error.log'), 'utf8');
    expect(log).toMatch(/connect\(\) failed \(111: Connection refused\)/);
  });
});
