/**
 * The rendered load balancer running for real: nginx with the rendered
 * server block on 127.0.0.1, in front of two instances of the sample app
 * (in-memory mode). Checks round-robin, the X-Upstream / X-Served-By headers,
 * the access log fields, and passive failover when an app server dies
 * (including a POST, which is retried only because nothing was sent yet).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNginxConf } from '../../src-main/configs/index';
import { freePort } from '../golden/configs/support/mariadb';
import { loadLab, makeCtx, REPO, requireTool, run } from '../golden/configs/support/render';

const dir = mkdtempSync(join(tmpdir(), 'halab-nginx-live-'));
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
  const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mysql8');
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
