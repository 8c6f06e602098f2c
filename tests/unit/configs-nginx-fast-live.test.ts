/**
 * The fast lab's load balancer running for real (200 ms connect timeout,
 * next upstream on error/timeout/502/503/504 within 1 s, max_fails=1): nginx
 * with its rendered server block on 127.0.0.1 in front of two sample apps.
 * With one app stopped, a burst of GETs and POSTs all succeed on the other,
 * only the first request pays the retry (max_fails=1 marks it down), and the
 * error log shows the refused connection that was retried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNginxConf } from '../../src-main/configs/index';
import { freePort } from '../golden/configs/support/mariadb';
import { loadLab, makeCtx, REPO, requireTool, run } from '../golden/configs/support/render';

const dir = mkdtempSync(join(tmpdir(), 'halab-nginx-fast-live-'));
const procs: ChildProcess[] = [];
let lbPort = 0;
const apps: { name: string; port: number; proc?: ChildProcess }[] = [{ name: 'app-a', port: 0 }, { name: 'app-b', port: 0 }];

const stop = (p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((resolve) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill(signal);
  });

async function until(fn: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  requireTool('nginx', 'nginx-light');
  requireTool('node', 'nodejs');
  for (const a of apps) {
    a.port = await freePort();
    a.proc = spawn('node', [join(REPO, 'resources', 'guest', 'app', 'server.mjs')], { env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(a.port), APP_HOSTNAME: a.name }, stdio: 'ignore' });
    procs.push(a.proc);
  }
  lbPort = await freePort();
  const ctx = makeCtx(loadLab('vmware-3tier-ha-fast'), 'mysql8');
  mkdirSync(join(dir, 'logs'));
  const conf = renderNginxConf(ctx, 'lb-master')
    .replace('10.0.0.21:3000', `127.0.0.1:${apps[0]!.port}`)
    .replace('10.0.0.22:3000', `127.0.0.1:${apps[1]!.port}`)
    .replace('listen 80 default_server;', `listen 127.0.0.1:${lbPort} default_server;`)
    .replaceAll('/var/log/nginx/', `${dir}/logs/`);
  writeFileSync(join(dir, 'lb.conf'), conf);
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/tmp;\n  proxy_temp_path ${dir}/tmp;\n  include ${dir}/lb.conf;\n}\n`);
  const t = run('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')]);
  if (t.status !== 0) throw new Error(t.stderr);
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
  procs.push(nginx);
  await until(async () => (await fetch(`http://127.0.0.1:${lbPort}/nginx-health`)).ok);
  for (const a of apps) await until(async () => (await fetch(`http://127.0.0.1:${a.port}/`)).ok);
}, 30_000);

afterAll(async () => {
  for (const p of procs.reverse()) await stop(p, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, init?: RequestInit) => {
  const r = await fetch(`http://127.0.0.1:${lbPort}${path}`, init);
  return { status: r.status, servedBy: r.headers.get('x-served-by'), upstream: r.headers.get('x-upstream'), lb: r.headers.get('x-load-balancer'), text: await r.text() };
};

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
