/**
 * The failover options as rendered, checked by the real tools: keepalived -t
 * on VRRPv3 / nopreempt / preempt_delay / weighted track scripts / the nginx
 * track_file, and what keepalived says about the values validation refuses;
 * nginx -t on the next-upstream policies (off, non_idempotent, ms timeouts).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NGINX_STOP_HOOK_PATH, nginxTime, renderKeepalivedConf, renderKeepalivedFiles, renderNginxConf, type RenderContext } from '../../src-main/configs/index';
import { resolveLab } from '../../src-main/shared/blueprint/model';
import type { Lab } from '../../src-main/shared/blueprint/schema';
import { loadLab, makeCtx, requireTool, run } from '../golden/configs/support/render';

const tmp = mkdtempSync(join(tmpdir(), 'halab-configs-failover-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fast = makeCtx(loadLab('vmware-3tier-ha-fast'), 'mariadb');
const seed = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');

/** The seed lab with the first VIP group / load balancer changed. */
function variant(base: RenderContext, vip: Partial<Lab['services']['vips'][number]>, proxy?: NonNullable<Lab['services']['loadBalancer']>['proxy']): RenderContext {
  const lab = structuredClone(base.lab.lab);
  lab.services.vips[0] = { ...lab.services.vips[0]!, ...vip };
  if (proxy !== undefined) lab.services.loadBalancer = { ...lab.services.loadBalancer!, proxy };
  return { ...base, lab: resolveLab(lab) };
}

function realInterface(): string {
  const out = run('ip', ['-o', 'link', 'show']).stdout;
  const names = [...out.matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1] as string).filter((n) => n !== 'lo');
  const name = names.find((n) => n.startsWith('eth') || n.startsWith('en')) ?? names[0];
  if (!name) throw new Error('No non-loopback interface for keepalived -t.');
  return name;
}

describe('keepalived.conf with the failover options', () => {
  it('the fast lab: version 3, 0.1 s adverts, preempt_delay, every member BACKUP, no authentication, own check and the track_file', () => {
    for (const host of ['lb-master', 'lb-slave']) {
      const c = renderKeepalivedConf(fast, host);
      expect(c).toMatch(/state BACKUP\n/);
      expect(c).not.toMatch(/state MASTER/);
      expect(c).toMatch(/ {4}version 3\n {4}priority \d+\n {4}advert_int 0\.1\n {4}preempt_delay 5\n/);
      expect(c).not.toMatch(/authentication|auth_pass/);
      expect(c).toMatch(/vrrp_script chk_nginx_web \{\n.*--max-time 1 .*\n {4}interval 1\n {4}timeout 1\n {4}fall 1\n {4}rise 2\n\}/);
      expect(c).toMatch(/track_file \{\n {8}nginx_down\n/);
    }
    const hook = renderKeepalivedFiles(fast, 'lb-master').find((f) => f.path === NGINX_STOP_HOOK_PATH)!;
    expect(hook.content).toMatch(/ExecStopPost=\/bin\/sh -c 'echo 1 > \/etc\/keepalived\/halab-nginx-down'/);
    expect(renderKeepalivedFiles(seed, 'lb-master').some((f) => f.path === NGINX_STOP_HOOK_PATH)).toBe(false);
  });

  it('the seed: MASTER on the top priority, VRRPv2 with authentication, the shared chk_nginx, no preempt lines', () => {
    const c = renderKeepalivedConf(seed, 'lb-master');
    expect(c).toMatch(/state MASTER\n/);
    expect(c).toMatch(/auth_type PASS/);
    expect(c).toMatch(/vrrp_script chk_nginx \{/);
    expect(c).not.toMatch(/version 3|nopreempt|preempt_delay|track_file/);
  });

  it('nopreempt: every member starts BACKUP; a weight is rendered in the script', () => {
    const c = renderKeepalivedConf(variant(seed, { preempt: false }), 'lb-master');
    expect(c).toMatch(/state BACKUP\n/);
    expect(c).toMatch(/ {4}nopreempt\n/);
    expect(renderKeepalivedConf(variant(seed, { trackScript: { weight: -60 } }), 'lb-master')).toMatch(/ {4}weight -60\n\}/);
  });

  describe('keepalived -t (keepalived)', () => {
    requireTool('keepalived', 'keepalived');
    const iface = realInterface();
    const check = (conf: string) => {
      const dir = mkdtempSync(join(tmp, 'k-'));
      const p = join(dir, 'keepalived.conf');
      writeFileSync(p, conf.replace(/\bens3[3-9]\b/g, iface));
      return run('keepalived', ['-t', '-f', p], { timeoutMs: 20_000 });
    };
    const cases: [string, RenderContext][] = [
      ['fast lab', fast],
      ['nopreempt', variant(seed, { preempt: false })],
      ['preempt delay 2.5 s, VRRPv3 0.35 s', variant(seed, { preempt: { delay: 2.5 }, version: 3, advertInterval: 0.35 })],
      ['weighted check, fall 3 rise 5', variant(seed, { trackScript: { interval: 1, fall: 3, rise: 5, weight: -60 } })],
      ['VRRPv3 unicast', variant(seed, { version: 3, advertInterval: 0.05, mode: 'unicast' })],
    ];
    for (const [name, ctx] of cases) {
      it.each(['lb-master', 'lb-slave'])(`${name}: %s passes cleanly`, (host) => {
        const r = check(renderKeepalivedConf(ctx, host));
        expect(r.stderr, r.stderr).not.toMatch(/SECURITY VIOLATION|Truncating|Unknown keyword|not valid|invalid|rounding|ignoring|Ignoring/i);
        expect(r.status, r.stderr).toBe(0);
      });
    }
    it('what validation refuses, keepalived would change: VRRPv2 rounds 0.5 s, the script interval takes no fraction', () => {
      const v2 = check(renderKeepalivedConf(seed, 'lb-master').replace('advert_int 1', 'advert_int 0.5'));
      expect(v2.stderr).toMatch(/must be an integer/);
      const frac = check(renderKeepalivedConf(fast, 'lb-master').replace('    interval 1\n', '    interval 0.2\n'));
      expect(frac.stderr).toMatch(/invalid number '0\.2'/);
      expect(frac.status).not.toBe(0);
    });
  });
});

describe('nginx with the next-upstream policy', () => {
  it('renders times in s or ms and the policy, non_idempotent only when asked', () => {
    expect([nginxTime(1), nginxTime(0.2), nginxTime(0.0004), nginxTime(10)]).toEqual(['1s', '200ms', '1ms', '10s']);
    const c = renderNginxConf(fast, 'lb-master');
    expect(c).toMatch(/proxy_connect_timeout 200ms;\n/);
    expect(c).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504;\n {8}proxy_next_upstream_tries 2;\n {8}proxy_next_upstream_timeout 1s;/);
    expect(c).toMatch(/max_fails=1 fail_timeout=3s/);
    expect(renderNginxConf(variant(seed, {}, { nextUpstream: { on: ['error'], nonIdempotent: true } }), 'lb-master')).toMatch(/proxy_next_upstream error non_idempotent;/);
    expect(renderNginxConf(variant(seed, {}, { nextUpstream: { on: [] } }), 'lb-master')).toMatch(/proxy_next_upstream off;/);
  });

  describe('nginx -t (nginx-light)', () => {
    requireTool('nginx', 'nginx-light');
    const check = (serverBlock: string) => {
      const dir = mkdtempSync(join(tmp, 'nginx-'));
      mkdirSync(join(dir, 'logs'));
      writeFileSync(join(dir, 'lb.conf'), serverBlock.replaceAll('/var/log/nginx/', `${dir}/logs/`));
      writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/tmp;\n  include ${dir}/lb.conf;\n}\n`);
      return run('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')]);
    };
    const cases: [string, RenderContext][] = [
      ['fast lab', fast],
      ['retries off', variant(seed, {}, { nextUpstream: { on: [] } })],
      ['every condition, non_idempotent, no limits', variant(seed, {}, { connectTimeoutSeconds: 0.05, readTimeoutSeconds: 2.5, sendTimeoutSeconds: 30, nextUpstream: { on: ['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429'], nonIdempotent: true, tries: 0, timeoutSeconds: 0 } })],
    ];
    it.each(cases)('%s passes', (_name, ctx) => {
      const r = check(renderNginxConf(ctx, 'lb-master'));
      expect(r.stderr).toContain('test is successful');
      expect(r.status).toBe(0);
    });
    it('rejects a condition nginx does not know', () => {
      expect(check(renderNginxConf(fast, 'lb-master').replace('http_504;', 'http_505;')).status).not.toBe(0);
    });
  });
});
