/**
 * The rendered Redis and Sentinel configs running for real on 127.0.0.1
 * (redis-server and redis-sentinel 7 from Debian): the primary and replica
 * configs with only their addresses, ports and folders moved to loopback.
 * A client without the password is refused, the replica links with
 * masterauth, and the Sentinel (with its own password) finds the primary
 * and the replica. No guest: the processes are stopped after the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRedisConf, renderSentinelConf } from '../../src-main/configs/redis';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { makeCtx, REPO, requireTool } from '../golden/configs/support/render';

const ctx = makeCtx(validateBlueprintText(readFileSync(join(REPO, 'tests/fixtures/blueprints/cache-lb-haproxy.yaml'), 'utf8')).resolved!, 'mariadb');
const pw = ctx.secrets.cache!.password;
const spw = ctx.secrets.cache!.sentinelPassword;
const dir = mkdtempSync(join(tmpdir(), 'halab-redis-live-'));
const procs: ChildProcess[] = [];
const ports = { primary: 0, replica: 0, sentinel: 0 };

/** The rendered file with its lab addresses, port and folders moved to loopback and `dir`. */
function local(conf: string, port: number, name: string): string {
  const d = join(dir, name);
  spawnSync('mkdir', ['-p', d]);
  return conf
    .replace(/^bind .*$/m, 'bind 127.0.0.1')
    .replace(/^port \d+$/m, `port ${port}`)
    .replace(/^dir .*$/m, `dir ${d}`)
    .replace(/^pidfile .*$/m, `pidfile ${join(d, 'pid')}`)
    .replace(/192\.168\.77\.31 6379/g, `127.0.0.1 ${ports.primary}`);
}

const cli = (port: number, args: string[], auth?: string) => spawnSync('redis-cli', ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', env: { ...process.env, ...(auth ? { REDISCLI_AUTH: auth } : {}) }, timeout: 5000 });

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

beforeAll(async () => {
  requireTool('redis-server', 'redis-server');
  requireTool('redis-sentinel', 'redis-sentinel');
  requireTool('redis-cli', 'redis-tools');
  ports.primary = await freePort();
  ports.replica = await freePort();
  ports.sentinel = await freePort();
  const files = {
    primary: local(renderRedisConf(ctx, 'cache1'), ports.primary, 'primary'),
    replica: local(renderRedisConf(ctx, 'cache2'), ports.replica, 'replica'),
    sentinel: local(renderSentinelConf(ctx, 'app1'), ports.sentinel, 'sentinel'),
  };
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, `${k}.conf`), v);
  procs.push(spawn('redis-server', [join(dir, 'primary.conf')], { stdio: 'ignore' }));
  await until('the primary', () => cli(ports.primary, ['PING'], pw).stdout.trim() === 'PONG');
  procs.push(spawn('redis-server', [join(dir, 'replica.conf')], { stdio: 'ignore' }));
  procs.push(spawn('redis-sentinel', [join(dir, 'sentinel.conf')], { stdio: 'ignore' }));
}, 60_000);

afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis and Sentinel (rendered configs, running on loopback)', () => {
  it('refuses a client without the password and answers with it', () => {
    expect(`${cli(ports.primary, ['PING']).stdout}`).toMatch(/NOAUTH/);
    expect(cli(ports.primary, ['PING'], 'wrong').stdout + cli(ports.primary, ['PING'], 'wrong').stderr).toMatch(/WRONGPASS|invalid|NOAUTH/i);
    expect(cli(ports.primary, ['CONFIG', 'GET', 'protected-mode'], pw).stdout).toMatch(/protected-mode\nyes/);
  });

  it('the replica links to the primary with masterauth and gets a write', async () => {
    await until('the replica link', () => /master_link_status:up/.test(cli(ports.replica, ['INFO', 'replication'], pw).stdout));
    expect(cli(ports.primary, ['SET', 'halab:live', '1'], pw).stdout.trim()).toBe('OK');
    expect(cli(ports.primary, ['WAIT', '1', '2000'], pw).stdout.trim()).toBe('1');
    expect(cli(ports.replica, ['GET', 'halab:live'], pw).stdout.trim()).toBe('1');
    expect(cli(ports.replica, ['SET', 'x', '1'], pw).stdout).toMatch(/READONLY/);
  }, 30_000);

  it('the Sentinel needs its own password, names the primary and finds the replica', async () => {
    expect(cli(ports.sentinel, ['PING']).stdout).toMatch(/NOAUTH/);
    await until('the Sentinel', () => /^num-slaves\n1$/m.test(cli(ports.sentinel, ['SENTINEL', 'master', 'halab'], spw).stdout));
    expect(cli(ports.sentinel, ['SENTINEL', 'get-master-addr-by-name', 'halab'], spw).stdout.trim().split('\n')).toEqual(['127.0.0.1', String(ports.primary)]);
    const master = cli(ports.sentinel, ['SENTINEL', 'master', 'halab'], spw).stdout;
    expect(master).toMatch(/^down-after-milliseconds\n5000$/m);
    expect(master).toMatch(/^quorum\n2$/m);
    expect(master).toMatch(/^flags\nmaster$/m);
  }, 30_000);
});
