/**
 * redis_exporter (issue 14 item 8 with the cache): rendered for every Redis
 * node with the lab's password, run by the services step, scraped by
 * Prometheus (job `redis`, alert RedisDown), reachable only from the
 * Prometheus VM (UFW) and, in the zoned seed lab, a flow the zone policy
 * must allow (management → data 9121). The exporter itself runs in the
 * Linux lab (tests/integration/cache-lb-lab.test.ts); the package would
 * start a listener on this host, so it is not installed here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderPrometheusConfig, renderPrometheusRules } from '../../src-main/configs/prometheus';
import { REDIS_EXPORTER_ENV_PATH, REDIS_EXPORTER_UNIT } from '../../src-main/configs/redis';
import { renderNodeFiles, unitsFor, unwantedUnits } from '../../src-main/configs/node-files';
import { renderUfw } from '../../src-main/configs/ufw';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { serviceFlows } from '../../src-main/shared/blueprint/zones';
import { makeCtx, REPO } from '../golden/configs/support/render';

const text = readFileSync(join(REPO, 'lab-blueprints/onprem-zones.yaml'), 'utf8');
const v = validateBlueprintText(text);
const ctx = makeCtx(v.resolved!, 'mariadb');
const lbCtx = makeCtx(validateBlueprintText(readFileSync(join(REPO, 'tests/fixtures/blueprints/cache-lb-haproxy.yaml'), 'utf8')).resolved!, 'mariadb');

describe('redis_exporter', () => {
  it('runs on every Redis node with the local Redis and the password, and nowhere else', () => {
    for (const vm of ['redis1', 'redis2']) {
      const f = renderNodeFiles(ctx, vm).find((x) => x.path === REDIS_EXPORTER_ENV_PATH)!;
      expect(f.mode).toBe('0600');
      expect(f.content).toMatch(/^REDIS_ADDR='?redis:\/\/127\.0\.0\.1:6379'?$/m);
      expect(f.content).toMatch(new RegExp(`^REDIS_PASSWORD='?${ctx.secrets.cache!.password}'?$`, 'm'));
      expect(f.content).toMatch(/^ARGS='?-web\.listen-address=:9121'?$/m);
      expect(unitsFor(ctx, vm)).toContain(REDIS_EXPORTER_UNIT);
    }
    expect(renderNodeFiles(ctx, 'db1').some((x) => x.path === REDIS_EXPORTER_ENV_PATH)).toBe(false);
    expect(unwantedUnits(ctx, 'db1')).toContain(REDIS_EXPORTER_UNIT);
    // A lab without monitoring runs it too (like node_exporter), closed to everyone.
    expect(unitsFor(lbCtx, 'cache1')).toContain(REDIS_EXPORTER_UNIT);
    expect(renderUfw(lbCtx, 'cache1').commands.some((c) => c.includes('9121'))).toBe(false);
  });

  it('Prometheus scrapes it (job redis, through the zone router) and alerts when Redis is down', () => {
    const prom = parse(renderPrometheusConfig(ctx)) as { scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: { node: string } }[] }[] };
    const job = prom.scrape_configs.find((j) => j.job_name === 'redis')!;
    expect(job.static_configs.map((s) => `${s.labels.node}=${s.targets[0]}`)).toEqual(['redis1=192.168.20.20:9121', 'redis2=192.168.20.21:9121']);
    // postgres_exporter was there before; still is.
    expect(prom.scrape_configs.map((j) => j.job_name)).toContain('postgres');
    expect(renderPrometheusRules(ctx)).toMatch(/alert: RedisDown\n\s+expr: redis_up == 0/);
  });

  it('UFW on the Redis nodes opens 9121 to the Prometheus VM (and, in zones, to the zone rule the policy makes: management)', () => {
    const ufw = renderUfw(ctx, 'redis1').commands.map((c) => c.join(' ')).filter((c) => c.includes('port 9121'));
    expect(ufw).toEqual(['ufw allow from 192.168.100.10 to any port 9121 proto tcp comment halab redis_exporter from mon', 'ufw allow from 192.168.100.0/24 to any port 9121 proto tcp comment halab zone management to data']);
  });

  it('is a service flow the zone policy must allow: the seed lab does, and without the rule validation names it', () => {
    expect(serviceFlows(ctx.lab.lab).filter((f) => f.port === 9121).map((f) => `${f.from}->${f.to}`)).toEqual(['mon->redis1', 'mon->redis2']);
    expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const without = validateBlueprintText(text.replace('ports: [9187, 9121]', 'ports: [9187]'));
    const errs = without.issues.filter((i) => i.severity === 'error');
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.map((i) => i.message).join('\n')).toMatch(/9121/);
  });
});
