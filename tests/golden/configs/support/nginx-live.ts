/**
 * Test support: a lab's rendered load balancer running for real — nginx
 * with lb-master's rendered server block on 127.0.0.1, in front of two
 * instances of the sample app (in-memory mode). Used by the live nginx
 * tests of the seed lab and of the fast lab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNginxConf } from '../../../../src-main/configs/index';
import { freePort } from './mariadb';
import { loadLab, makeCtx, REPO, requireTool, run } from './render';

export interface LiveApp {
  name: string;
  port: number;
  proc?: ChildProcess;
}

export interface LiveLb {
  /** Scratch folder: `lb.conf` (the rendered server block), `logs/`. */
  dir: string;
  lbPort: number;
  apps: LiveApp[];
  get(path: string, init?: RequestInit): Promise<{ status: number; servedBy: string | null; upstream: string | null; lb: string | null; text: string }>;
  /** Stop everything and remove the scratch folder. */
  close(): Promise<void>;
}

/** Stop a child process and wait for it. */
export const stopProcess = (p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') =>
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

/** Start two sample apps and nginx with `lab`'s rendered lb-master config. */
export async function startLiveLb(lab: string): Promise<LiveLb> {
  requireTool('nginx', 'nginx-light');
  requireTool('node', 'nodejs');
  const dir = mkdtempSync(join(tmpdir(), `halab-nginx-live-${lab}-`));
  const procs: ChildProcess[] = [];
  const apps: LiveApp[] = [{ name: 'app-a', port: 0 }, { name: 'app-b', port: 0 }];
  for (const a of apps) {
    a.port = await freePort();
    a.proc = spawn('node', [join(REPO, 'resources', 'guest', 'app', 'server.mjs')], { env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(a.port), APP_HOSTNAME: a.name }, stdio: 'ignore' });
    procs.push(a.proc);
  }
  const lbPort = await freePort();
  const ctx = makeCtx(loadLab(lab), 'mysql8');
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
  procs.push(spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' }));
  await until(async () => (await fetch(`http://127.0.0.1:${lbPort}/nginx-health`)).ok);
  for (const a of apps) await until(async () => (await fetch(`http://127.0.0.1:${a.port}/`)).ok);
  return {
    dir,
    lbPort,
    apps,
    async get(path, init) {
      const r = await fetch(`http://127.0.0.1:${lbPort}${path}`, init);
      return { status: r.status, servedBy: r.headers.get('x-served-by'), upstream: r.headers.get('x-upstream'), lb: r.headers.get('x-load-balancer'), text: await r.text() };
    },
    async close() {
      for (const p of procs.reverse()) await stopProcess(p, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
