/**
 * HAProxy and Redis/Sentinel as rendered (issue 14 items 3 and 4): the
 * HAProxy config checked by the real `haproxy -c`, keepalived tracking the
 * engine, redis.conf and sentinel.conf with passwords and protected mode,
 * the cache firewall, and the validation rules of rules-cache.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHaproxyConf, lbUnit, haproxyMs } from '../../src-main/configs/haproxy';
import { HAPROXY_STOP_HOOK_PATH, NGINX_STOP_HOOK_PATH, renderKeepalivedConf, renderKeepalivedFiles } from '../../src-main/configs/keepalived';
import { obsoletePaths, renderNodeFiles, unitsFor, unwantedUnits } from '../../src-main/configs/node-files';
import { cacheFirewall, parseInfo, parseMasterAddr, renderRedisConf, renderSentinelConf, seeded, SEED_PREFIX } from '../../src-main/configs/redis';
import { renderUfw } from '../../src-main/configs/ufw';
import { resolveLab } from '../../src-main/shared/blueprint/model';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { render } from '../../src-main/shared/i18n';
import type { RenderContext } from '../../src-main/configs/context';
import { makeCtx, REPO, requireTool, run } from '../golden/configs/support/render';

const tmp = mkdtempSync(join(tmpdir(), 'halab-cache-lb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TEXT = readFileSync(join(REPO, 'tests/fixtures/blueprints/cache-lb-haproxy.yaml'), 'utf8');
const ctx = (() => {
  const r = validateBlueprintText(TEXT);
  if (!r.resolved) throw new Error(JSON.stringify(r.issues));
  return makeCtx(r.resolved, 'mariadb', { nicMatch: 'name' });
})();
/** The same lab with a change to the parsed blueprint. */
function variant(change: (lab: RenderContext['lab']['lab']) => void): RenderContext {
  const lab = structuredClone(ctx.lab.lab);
  change(lab);
  return { ...ctx, lab: resolveLab(lab) };
}
const issuesOf = (text: string) => validateBlueprintText(text).issues.map((i) => `${i.severity} ${i.code}`);

describe('HAProxy engine', () => {
  const conf = renderHaproxyConf(ctx, 'lb1');

  it('passes the real haproxy -c', () => {
    requireTool('haproxy', 'haproxy');
    const file = join(tmp, 'haproxy.cfg');
    writeFileSync(file, conf);
    const r = run('haproxy', ['-c', '-f', file]);
    expect(`${r.stdout}${r.stderr}`, conf).toMatch(/Configuration file is valid/);
    expect(r.status).toBe(0);
  });

  it('checks the app servers actively, redispatches with retries, maps the proxy timeouts', () => {
    expect(conf).toMatch(/option httpchk GET \/\n/);
    expect(conf).toMatch(/default-server inter 1000 fall 2 rise 2/);
    expect(conf).toMatch(/server app1 192\.168\.77\.21:3000 check/);
    expect(conf).toMatch(/option redispatch\n {4}retries 2/);
    // loadBalancer.proxy defaults: connect 1 s, read 10 s.
    expect(conf).toMatch(/timeout connect 1000\n/);
    expect(conf).toMatch(/timeout server 10000\n/);
    expect(conf).toMatch(/monitor-uri \/nginx-health/);
    const fast = renderHaproxyConf(variant((l) => (l.services.loadBalancer!.proxy = { connectTimeoutSeconds: 0.25, readTimeoutSeconds: 3 })), 'lb1');
    expect(fast).toMatch(/timeout connect 250\n/);
    expect(fast).toMatch(/timeout server 3000\n/);
    expect(haproxyMs(1.5)).toBe('1500');
  });

  it('limits the stats page to the admin sources (ACL) and opens its port only to them (UFW)', () => {
    expect(conf).toMatch(/listen halab_stats\n {4}bind \*:8404\n {4}acl halab_admin src 192\.168\.77\.1\/32\n {4}http-request deny unless halab_admin/);
    const admins = renderHaproxyConf(variant((l) => (l.services.firewall.adminSources = ['10.9.0.0/24', '10.9.1.5'])), 'lb1');
    expect(admins).toMatch(/acl halab_admin src 10\.9\.0\.0\/24 10\.9\.1\.5\/32/);
    const ufw = renderUfw(ctx, 'lb1').commands.map((c) => c.join(' '));
    expect(ufw).toContain('ufw allow from 192.168.77.1/32 to any port 8404 proto tcp comment halab haproxy stats');
    expect(ufw.filter((c) => c.includes('port 8404'))).toHaveLength(1);
  });

  it('the load balancer runs haproxy, not nginx; other VMs mask haproxy', () => {
    expect(lbUnit(ctx)).toBe('haproxy.service');
    expect(unitsFor(ctx, 'lb1')).toContain('haproxy.service');
    expect(unitsFor(ctx, 'lb1')).not.toContain('nginx.service');
    expect(unwantedUnits(ctx, 'lb1')).toContain('nginx.service');
    expect(unwantedUnits(ctx, 'app1')).toContain('haproxy.service');
    expect(renderNodeFiles(ctx, 'lb1').map((f) => f.path)).toContain('/etc/haproxy/haproxy.cfg');
    expect(renderNodeFiles(ctx, 'lb1').map((f) => f.path)).not.toContain('/etc/nginx/conf.d/halab-lb.conf');
    expect(obsoletePaths(ctx, 'lb1')).not.toContain('/etc/nginx/sites-enabled/default');
  });

  it('keepalived tracks haproxy: its own script name, and the stop hook on haproxy.service', () => {
    const k = renderKeepalivedConf(ctx, 'lb1');
    expect(k).toMatch(/vrrp_script chk_haproxy \{\n {4}script "\/usr\/bin\/curl -fsS -o \/dev\/null --max-time 1 http:\/\/127\.0\.0\.1:80\/nginx-health"/);
    expect(k).toMatch(/track_script \{\n {8}chk_haproxy\n/);
    const onStop = variant((l) => (l.services.vips[0]!.trackScript = { interval: 1, fall: 1, onStop: true }));
    const files = renderKeepalivedFiles(onStop, 'lb1');
    const hook = files.find((f) => f.path === HAPROXY_STOP_HOOK_PATH);
    expect(hook?.content).toMatch(/ExecStopPost=\/bin\/sh -c 'echo 1 > \/etc\/keepalived\/halab-haproxy-down'/);
    expect(files.some((f) => f.path === NGINX_STOP_HOOK_PATH)).toBe(false);
    expect(renderKeepalivedConf(onStop, 'lb1')).toMatch(/vrrp_track_file haproxy_down \{\n {4}file "\/etc\/keepalived\/halab-haproxy-down"/);
    // The nginx engine is unchanged: chk_nginx.
    const nginx = variant((l) => (l.services.loadBalancer!.engine = 'nginx'));
    expect(renderKeepalivedConf(nginx, 'lb1')).toMatch(/vrrp_script chk_nginx \{/);
  });

  it('keepalived -t accepts the haproxy-tracking config', () => {
    requireTool('keepalived', 'keepalived');
    const file = join(tmp, 'keepalived.conf');
    const out = run('ip', ['-o', 'link', 'show']).stdout;
    const iface = [...out.matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1] as string).filter((n) => n !== 'lo').sort((a, b) => Number(!/^(eth|en)/.test(a)) - Number(!/^(eth|en)/.test(b)))[0] ?? 'lo';
    writeFileSync(file, renderKeepalivedConf(variant((l) => (l.services.vips[0]!.trackScript = { interval: 1, fall: 1, onStop: true })), 'lb1').replace(/\bens3[3-9]\b/g, iface));
    const r = run('keepalived', ['-t', '-f', file], { timeoutMs: 20_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});

describe('Redis with Sentinel', () => {
  const pw = ctx.secrets.cache!.password;
  const spw = ctx.secrets.cache!.sentinelPassword;

  it('redis.conf: password, masterauth, protected mode, bound to the lab address; the replica follows the primary', () => {
    const p = renderRedisConf(ctx, 'cache1');
    expect(pw).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(p).toContain(`requirepass "${pw}"`);
    expect(p).toContain(`masterauth "${pw}"`);
    expect(p).toMatch(/^protected-mode yes$/m);
    expect(p).toMatch(/^bind 192\.168\.77\.31 127\.0\.0\.1$/m);
    expect(p).not.toMatch(/^replicaof/m);
    expect(renderRedisConf(ctx, 'cache2')).toMatch(/^replicaof 192\.168\.77\.31 6379$/m);
    expect(() => renderRedisConf(ctx, 'app1')).toThrow(/runs no Redis/);
  });

  it('sentinel.conf: every Sentinel names the primary by one address, with quorum, down-after and auth', () => {
    for (const s of ['cache1', 'cache2', 'app1']) {
      const c = renderSentinelConf(ctx, s);
      expect(c).toMatch(/^sentinel monitor halab 192\.168\.77\.31 6379 2$/m);
      expect(c).toMatch(/^sentinel down-after-milliseconds halab 5000$/m);
      expect(c).toMatch(/^sentinel failover-timeout halab 15000$/m);
      expect(c).toContain(`sentinel auth-pass halab "${pw}"`);
      expect(c).toContain(`requirepass "${spw}"`);
      expect(c).toContain(`sentinel sentinel-pass "${spw}"`);
      expect(c).toMatch(/^protected-mode yes$/m);
    }
  });

  it('after a failover, a re-seeded file follows the primary Sentinel names (cache2), not the blueprint', () => {
    expect(renderRedisConf(ctx, 'cache1', 'cache2')).toMatch(/^replicaof 192\.168\.77\.32 6379$/m);
    expect(renderRedisConf(ctx, 'cache2', 'cache2')).not.toMatch(/^replicaof/m);
    expect(renderSentinelConf(ctx, 'app1', 'cache2')).toMatch(/^sentinel monitor halab 192\.168\.77\.32 6379 2$/m);
  });

  it('seeded files start with the sha256 of their content', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const body = renderRedisConf(ctx, 'cache1');
    expect(seeded(body, sha)).toBe(`${SEED_PREFIX}${sha(body)}\n${body}`);
  });

  it('the firewall opens 6379 to Redis peers, Sentinels and apps, 26379 to Sentinels and apps, nothing to the load balancers', () => {
    const rules = (host: string) => {
      const out: string[] = [];
      cacheFirewall(ctx, host, (src, port) => out.push(`${src}:${port}`));
      return out.sort();
    };
    expect(rules('cache1')).toEqual(['192.168.77.21:26379', '192.168.77.21:6379', '192.168.77.32:26379', '192.168.77.32:6379']);
    expect(rules('app1')).toEqual(['192.168.77.31:26379', '192.168.77.32:26379']);
    expect(rules('lb1')).toEqual([]);
    expect(renderUfw(ctx, 'cache2').commands.map((c) => c.join(' '))).toContain('ufw allow from 192.168.77.31 to any port 6379 proto tcp comment halab redis from cache1');
    expect(unitsFor(ctx, 'cache1')).toEqual(expect.arrayContaining(['redis-server.service', 'redis-sentinel.service']));
    expect(unitsFor(ctx, 'app1')).toContain('redis-sentinel.service');
    expect(unwantedUnits(ctx, 'app1')).toContain('redis-server.service');
    expect(unwantedUnits(ctx, 'lb1')).toEqual(expect.arrayContaining(['redis-server.service', 'redis-sentinel.service']));
  });

  it('parses INFO and SENTINEL get-master-addr-by-name', () => {
    expect(parseInfo('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n')).toMatchObject({ role: 'slave', master_link_status: 'up' });
    expect(parseMasterAddr('192.168.77.32\n6379\n')).toBe('192.168.77.32:6379');
    expect(parseMasterAddr('')).toBeUndefined();
  });
});

describe('cache validation (rules-cache.ts)', () => {
  it('the fixture is clean', () => expect(issuesOf(TEXT)).toEqual([]));
  it('quorum above the Sentinel count is an error; two Sentinels a warning', () => {
    expect(issuesOf(TEXT.replace('quorum: 2', 'quorum: 4'))).toContain('error cache-quorum');
    expect(issuesOf(TEXT.replace('sentinels: [cache1, cache2, app1]', 'sentinels: [cache1, cache2]'))).toContain('warning cache-few-sentinels');
    expect(issuesOf(TEXT.replace('sentinels: [cache1, cache2, app1]', 'sentinels: [cache1, cache2, app1, lb1]'))).toContain('warning cache-even-sentinels');
    expect(issuesOf(TEXT.replace('quorum: 2', 'quorum: 1'))).toContain('warning cache-quorum-low');
  });
  it('unknown nodes, the primary as its own replica, a missing cache role', () => {
    expect(issuesOf(TEXT.replace('replicas: [cache2]', 'replicas: [cache9]'))).toContain('error unknown-node');
    expect(issuesOf(TEXT.replace('replicas: [cache2]', 'replicas: [cache1]'))).toContain('error cache-primary-replica');
    expect(issuesOf(TEXT.replace('roles: [cache]\n    nics: [{network: vmnet8, address: 192.168.77.32}]', 'roles: [generic]\n    nics: [{network: vmnet8, address: 192.168.77.32}]'))).toContain('warning role-mismatch');
    expect(issuesOf(TEXT.replace('failoverTimeoutMs: 15000', 'failoverTimeoutMs: 6000'))).toContain('warning cache-failover-timeout');
  });
  it('redis-master-down needs a replica and Sentinels', () => {
    expect(issuesOf(TEXT.replace('replicas: [cache2]', 'replicas: []'))).toContain('error drill-not-applicable');
  });
  it('a VIP tracking haproxy in front of nginx is a warning', () => {
    const t = TEXT.replace('engine: haproxy', 'engine: nginx').replace('virtualRouterId: 77', 'virtualRouterId: 77\n      track: haproxy');
    expect(issuesOf(t)).toContain('warning vip-track-engine');
  });
});

describe('plan', () => {
  it('says HAProxy instead of nginx, and the Redis and Sentinel settings, in English and Korean', () => {
    const p = computePlan(ctx.lab);
    expect(p.services.join('\n')).toMatch(/HAProxy on lb1, lb2: active checks every 1000 ms \(fall 2, rise 2\) of \/, redispatch with 2 retries, stats page on port 8404/);
    expect(p.services.join('\n')).not.toMatch(/^nginx on/m);
    expect(p.services.join('\n')).toMatch(/Redis 7 primary cache1, replicas cache2/);
    expect(p.services.join('\n')).toMatch(/Sentinel on cache1, cache2, app1: quorum 2, down after 5000 ms, failover timeout 15000 ms/);
    const ko = p.serviceMsgs.map((m) => render('ko', m)).join('\n');
    expect(ko).toMatch(/쿼럼 2/);
    expect(ko).toMatch(/HAProxy 위치: lb1/);
    // No monitoring in this lab: no Grafana line; the seed lab (with Prometheus) says where Grafana and Loki go and that offline guests get neither.
    expect(p.services.join('\n')).not.toMatch(/Grafana/);
    const seedPlan = computePlan(validateBlueprintText(readFileSync(join(REPO, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8')).resolved!);
    expect(seedPlan.services.join('\n')).toMatch(/Grafana \(on lb-slave, port 3000 .*not installed and no port is opened for them/);
  });
});
