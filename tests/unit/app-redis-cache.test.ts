/**
 * The sample app's Redis cache (resources/guest/app/redis-cache.mjs) against
 * a real redis-server primary + replica and a redis-sentinel on 127.0.0.1
 * (the lab's rendered configs moved to loopback ports in a temp folder), with
 * Debian's node-redis 4.5 (/usr/share/nodejs/redis, package node-redis) as
 * the guests have it: the primary found through the Sentinels (an
 * unreachable Sentinel first in the list is skipped), the app following a
 * failover after the primary is killed, and the app still answering from its
 * database when Redis and the Sentinel are gone. No guest.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { freePort } from '../helpers/net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRedisConf, renderSentinelConf } from '../../src-main/configs/redis';
import { renderAppEnv } from '../../src-main/configs/app';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { parseHosts, parseMasterReply, SentinelCache } from '../../resources/guest/app/redis-cache.mjs';
import { renderAccountsSql, renderSchemaSql, renderServerCnf } from '../../src-main/configs/index';
import { startMariaDb, type MariaInstance } from '../golden/configs/support/mariadb';
import { loadLab, makeCtx, REPO, requireTool } from '../golden/configs/support/render';

const ctx = makeCtx(validateBlueprintText(readFileSync(join(REPO, 'tests/fixtures/blueprints/cache-lb-haproxy.yaml'), 'utf8')).resolved!, 'mariadb');
const pw = ctx.secrets.cache!.password;
const spw = ctx.secrets.cache!.sentinelPassword;
const dir = mkdtempSync(join(tmpdir(), 'halab-app-cache-'));
const procs = new Map<string, ChildProcess>();
const ports = { primary: 0, replica: 0, sentinel: 0, closed: 0, app: 0 };
let app: ChildProcess | undefined;
const dbApps: ChildProcess[] = [];
let maria: MariaInstance | undefined;

/** A rendered file moved to loopback: its port, folder, the primary's address; one Sentinel decides (quorum 1, down after 1 s). */
function local(conf: string, port: number, name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return conf
    .replace(/^bind .*$/m, 'bind 127.0.0.1')
    .replace(/^port \d+$/m, `port ${port}`)
    .replace(/^dir .*$/m, `dir ${d}`)
    .replace(/^pidfile .*$/m, `pidfile ${join(d, 'pid')}`)
    .replace(/192\.168\.77\.31 6379/g, `127.0.0.1 ${ports.primary}`)
    .replace(/^(sentinel monitor halab \S+ \d+) \d+$/m, '$1 1')
    .replace(/^(sentinel down-after-milliseconds halab) \d+$/m, '$1 1000')
    .replace(/^(sentinel failover-timeout halab) \d+$/m, '$1 5000');
}

const cli = (port: number, args: string[], auth: string) => spawnSync('redis-cli', ['--no-auth-warning', '-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', env: { ...process.env, REDISCLI_AUTH: auth }, timeout: 5000 });

async function until<T>(what: string, ok: () => T | false | undefined | Promise<T | false | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await ok();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

function start(name: 'primary' | 'replica' | 'sentinel'): void {
  procs.set(name, spawn(name === 'sentinel' ? 'redis-sentinel' : 'redis-server', [join(dir, `${name}.conf`)], { stdio: 'ignore' }));
}

// Debian's node finds /usr/share/nodejs/redis's own dependencies (@redis/client …) through its global
// paths; a node from elsewhere (this host's may be) needs NODE_PATH for that.
const NODE_PATH = [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':');
process.env.NODE_PATH = NODE_PATH;
(Module as unknown as { _initPaths(): void })._initPaths();

const sentinelList = () => [{ host: '127.0.0.1', port: ports.closed }, { host: '127.0.0.1', port: ports.sentinel }];

beforeAll(async () => {
  requireTool('redis-server', 'redis-server');
  requireTool('redis-sentinel', 'redis-sentinel');
  requireTool('redis-cli', 'redis-tools');
  if (!existsSync('/usr/share/nodejs/redis')) throw new Error('node-redis is missing: install the Debian package "node-redis" (listed in scripts/ci-apt-packages.txt); the guests have it in their base image.');
  for (const k of ['primary', 'replica', 'sentinel', 'closed', 'app'] as const) ports[k] = await freePort();
  writeFileSync(join(dir, 'primary.conf'), local(renderRedisConf(ctx, 'cache1'), ports.primary, 'primary'));
  writeFileSync(join(dir, 'replica.conf'), local(renderRedisConf(ctx, 'cache2'), ports.replica, 'replica'));
  writeFileSync(join(dir, 'sentinel.conf'), local(renderSentinelConf(ctx, 'app1'), ports.sentinel, 'sentinel'));
  start('primary');
  await until('the primary', () => cli(ports.primary, ['PING'], pw).stdout.trim() === 'PONG');
  start('replica');
  start('sentinel');
  await until('the replica link', () => /master_link_status:up/.test(cli(ports.replica, ['INFO', 'replication'], pw).stdout));
  await until('the Sentinel to see the replica', () => /^num-slaves\n1$/m.test(cli(ports.sentinel, ['SENTINEL', 'master', 'halab'], spw).stdout));
}, 60_000);

afterAll(async () => {
  app?.kill('SIGKILL');
  for (const a of dbApps) a.kill('SIGKILL');
  await maria?.stop();
  for (const p of procs.values()) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
});

describe('the cache renderer and parsers', () => {
  it('app.env names every Sentinel as the app server reaches it, the primary name and both passwords', () => {
    const env = renderAppEnv(ctx, 'app1');
    expect(env).toMatch(/^CACHE_SENTINELS='?192\.168\.77\.31:26379,192\.168\.77\.32:26379,192\.168\.77\.21:26379'?$/m);
    expect(env).toMatch(/^CACHE_MASTER_NAME='?halab'?$/m);
    expect(env).toContain(pw);
    expect(env).toContain(spw);
  });

  it('parses host lists and Sentinel answers', () => {
    expect(parseHosts('10.0.0.1:26379, 10.0.0.2', 26379)).toEqual([{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }]);
    expect(parseMasterReply(['10.0.0.1', '6379'])).toEqual({ host: '10.0.0.1', port: 6379 });
    expect(parseMasterReply(null)).toBeUndefined();
    expect(parseMasterReply(['x y', '6379'])).toBeUndefined();
  });
});

describe('SentinelCache and the app against Redis + Sentinel on loopback', () => {
  it('asks each Sentinel in turn (the first is unreachable) and caches on the primary it names', async () => {
    const c = new SentinelCache({ sentinels: sentinelList(), masterName: 'halab', password: pw, sentinelPassword: spw });
    try {
      expect(await c.resolve()).toEqual({ host: '127.0.0.1', port: ports.primary });
      expect(await until('the cache to connect', () => c.set('halab:unit', 'v1'))).toBe(true);
      expect(await c.get('halab:unit')).toBe('v1');
      expect(c.status()).toMatchObject({ enabled: true, inUse: true, master: `127.0.0.1:${ports.primary}` });
      // A wrong Sentinel password: no Sentinel names a primary, the cache is not used, nothing throws.
      const bad = new SentinelCache({ sentinels: sentinelList(), masterName: 'halab', password: pw, sentinelPassword: 'wrong' });
      await expect(bad.resolve()).rejects.toThrow(/no Sentinel named the primary/);
      expect(await bad.get('halab:unit')).toBeUndefined();
      expect(bad.status()).toMatchObject({ inUse: false, master: null });
      bad.end();
    } finally {
      c.end();
    }
  }, 30_000);

  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(`http://127.0.0.1:${ports.app}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: res.status, cache: res.headers.get('x-cache'), json: (await res.json()) as Record<string, unknown> };
  };
  let no = '';
  const lookup = (name = 'Kim', phone = '010-1234-5678') => call(`/api/reservations/${no}?name=${encodeURIComponent(name)}&phone=${encodeURIComponent(phone)}`);

  it('the app caches look-ups: a miss reads the database, the next one is served from Redis', async () => {
    app = spawn('node', [join(REPO, 'resources', 'guest', 'app', 'server.mjs')], {
      env: {
        PATH: process.env.PATH,
        NODE_PATH,
        HOST: '127.0.0.1',
        PORT: String(ports.app),
        APP_HOSTNAME: 'app1',
        CACHE_SENTINELS: sentinelList().map((s) => `${s.host}:${s.port}`).join(','),
        CACHE_MASTER_NAME: 'halab',
        CACHE_PASSWORD: pw,
        CACHE_SENTINEL_PASSWORD: spw,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await until('the app to listen', () => fetch(`http://127.0.0.1:${ports.app}/health`).then((r) => r.ok, () => false));
    const health = await until('the cache in use', async () => ((await call('/health')).json.cache as { inUse: boolean }).inUse && (await call('/health')));
    expect(health.json.cache).toMatchObject({ enabled: true, inUse: true, master: `127.0.0.1:${ports.primary}`, masterName: 'halab' });
    const made = await call('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Kim', phone: '010-1234-5678', issue: 'leaking pipe' }) });
    expect(made.status).toBe(201);
    no = made.json.reservationNo as string;
    const first = await lookup();
    expect(first).toMatchObject({ status: 200, cache: 'miss', json: { source: 'memory', reservationNo: no, issue: 'leaking pipe' } });
    const hit = await until('a cache hit', async () => { const r = await lookup(); return r.cache === 'hit' && r; });
    expect(hit.json).toMatchObject({ source: 'cache', reservationNo: no, name: 'Kim', issue: 'leaking pipe', createdBy: 'app1' });
    // The same answer as the database's, but for where it came from.
    expect({ ...hit.json, source: undefined }).toEqual({ ...first.json, source: undefined });
    // A cached reservation still needs its name and phone.
    expect(await lookup('Lee')).toMatchObject({ status: 404, cache: 'hit', json: { error: 'not-found' } });
    expect(cli(ports.primary, ['TTL', `halab:reservation:${no}`], pw).stdout.trim()).toMatch(/^(29\d|300)$/);
  }, 40_000);

  it('against MariaDB the API answers the same with and without the cache (but for where an answer came from)', async () => {
    const dbCtx = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
    maria = await startMariaDb(renderServerCnf(dbCtx, 'db-master'));
    maria.sql(renderSchemaSql(dbCtx) + renderAccountsSql(dbCtx).replace(/'10\.0\.0\.\d+'/g, "'127.0.0.1'"));
    const start = async (withCache: boolean) => {
      const port = await freePort();
      const a = spawn('node', [join(REPO, 'resources', 'guest', 'app', 'server.mjs')], {
        env: {
          PATH: process.env.PATH,
          NODE_PATH,
          HOST: '127.0.0.1',
          PORT: String(port),
          APP_HOSTNAME: 'app1',
          DB_PRIMARY_HOST: '127.0.0.1',
          DB_PRIMARY_PORT: String(maria!.port),
          DB_USER: 'app',
          DB_PASSWORD: dbCtx.secrets.db.app,
          DB_NAME: 'reservations',
          ...(withCache ? { CACHE_SENTINELS: `127.0.0.1:${ports.sentinel}`, CACHE_MASTER_NAME: 'halab', CACHE_PASSWORD: pw, CACHE_SENTINEL_PASSWORD: spw } : {}),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      dbApps.push(a);
      await until('the app to listen', () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false));
      return async (path: string, init?: RequestInit) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
        return { status: res.status, cache: res.headers.get('x-cache'), json: (await res.json()) as Record<string, unknown> };
      };
    };
    const [plain, cached] = [await start(false), await start(true)];
    const made = await plain('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Choi', phone: '010-5555-6666', address: 'Seoul', issue: 'clogged drain' }) });
    expect(made.status).toBe(201);
    const q = `/api/reservations/${made.json.reservationNo as string}?name=Choi&phone=010-5555-6666`;
    const fromDb = await plain(q);
    expect(fromDb).toMatchObject({ status: 200, cache: null, json: { source: 'primary' } });
    expect(await cached(q)).toMatchObject({ status: 200, cache: 'miss', json: { ...fromDb.json, source: 'primary' } });
    const hit = await until('a cache hit', async () => { const r = await cached(q); return r.cache === 'hit' && r; });
    expect({ ...hit.json, source: 'primary' }).toEqual(fromDb.json);
    // The error answers too: wrong name (404), missing phone (400), unknown number (404), bad body (400).
    for (const path of [q.replace('Choi', 'Kang'), q.replace(/&phone=.*/, ''), '/api/reservations/R000000-ZZZZZZ?name=Choi&phone=010-5555-6666']) {
      const [a, b] = [await plain(path), await cached(path)];
      expect(b.status, path).toBe(a.status);
      expect(b.json, path).toEqual(a.json);
    }
    const bad = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ""}' };
    expect((await cached('/api/reservations', bad)).json).toEqual((await plain('/api/reservations', bad)).json);
    // /health: the same database report, plus the cache.
    const [ha, hb] = [await plain('/health'), await cached('/health')];
    expect(hb.status).toBe(ha.status);
    expect(ha.json.cache).toEqual({ enabled: false, inUse: false });
    expect(hb.json.cache).toMatchObject({ enabled: true, inUse: true });
  }, 90_000);

  it('follows a failover: the primary killed, the Sentinel promotes the replica, the app caches there within seconds', async () => {
    procs.get('primary')!.kill('SIGKILL');
    const killedAt = Date.now();
    await until('the Sentinel to promote the replica', () => cli(ports.sentinel, ['SENTINEL', 'get-master-addr-by-name', 'halab'], spw).stdout.includes(String(ports.replica)), 30_000);
    const promotedAt = Date.now();
    // Look-ups never fail meanwhile; the cached reservation is on the new primary (it was replicated).
    const hit = await until('a hit through the new primary', async () => {
      const r = await lookup();
      expect(r.status).toBe(200);
      const h = (await call('/health')).json.cache as { master: string };
      return r.cache === 'hit' && h.master === `127.0.0.1:${ports.replica}` && r;
    }, 10_000);
    expect(hit.json.source).toBe('cache');
    const followedMs = Date.now() - promotedAt;
    expect(followedMs).toBeLessThan(5000);
    expect(((await call('/health')).json.cache as { switches: number }).switches).toBe(1);
    console.log(`app cache: Sentinel promoted the replica ${promotedAt - killedAt} ms after the kill; the app followed ${followedMs} ms later`);
  }, 60_000);

  it('keeps answering from its database when Redis and the Sentinel are gone, and says the cache is not in use', async () => {
    for (const p of procs.values()) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const r = await lookup();
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ source: 'memory', reservationNo: no });
    expect(Date.now() - t0).toBeLessThan(1500);
    const h = await until('the cache reported unused', async () => { const x = await call('/health'); return (x.json.cache as { inUse: boolean }).inUse === false && x; });
    expect(h.status).toBe(200);
    expect(h.json).toMatchObject({ status: 'ok', cache: { enabled: true, inUse: false, master: null } });
    expect(String((h.json.cache as { lastError?: string }).lastError)).toMatch(/lost the connection|ECONNREFUSED|Sentinel|answer/i);
    const made = await call('/api/reservations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Park', phone: '010-2222-3333', issue: 'no hot water' }) });
    expect(made.status).toBe(201);
  }, 30_000);
});

describe('without node-redis 4', () => {
  it('the cache reports why and is never used (the app keeps working without it)', async () => {
    const c = new SentinelCache({ sentinels: sentinelList(), masterName: 'halab', password: pw, sentinelPassword: spw, redisModule: join(dir, 'no-such-module') });
    expect(await c.get('x')).toBeUndefined();
    expect(await c.set('x', '1')).toBe(false);
    expect(c.status()).toMatchObject({ enabled: true, inUse: false, master: null, lastError: expect.stringMatching(/node-redis not found .*running without the cache/) });
  });
});
