/**
 * The failover options of a blueprint: the fast lab validates cleanly, the
 * seed keeps the seed's values, each new rule fires with a fix, and the plan
 * shows the timings (master-down interval, semi-sync timeout).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { lbProxyOf, preemptOf, trackScriptOf, vrrpVersion, dbReplicationOf } from '../../src-main/shared/blueprint/model';
import { BLUEPRINTS, ROOT } from '../helpers/paths';

const HOST = { hostMemoryMiB: 24 * 1024 };
const FAST = readFileSync(join(BLUEPRINTS, 'vmware-3tier-ha-fast.yaml'), 'utf8');
const SEED = readFileSync(join(BLUEPRINTS, 'vmware-3tier-ha.yaml'), 'utf8');

const issues = (text: string) => validateBlueprintText(text, HOST).issues;
const one = (text: string, code: string) => {
  const hit = issues(text).filter((i) => i.code === code);
  expect(hit, `${code} in ${JSON.stringify(issues(text).map((i) => i.code))}`).toHaveLength(1);
  expect(hit[0]!.fix, 'every issue says how to fix it').toBeTruthy();
  expect(hit[0]!.line).toBeGreaterThan(0);
  return hit[0]!;
};

describe('the fast lab', () => {
  it('is valid with no warnings, and has the seed lab’s VMs and addresses', () => {
    const r = validateBlueprintText(FAST, HOST);
    expect(r.issues).toEqual([]);
    const seed = validateBlueprintText(SEED, HOST);
    expect(r.resolved!.nodes.map((n) => [n.hostname, n.nics.map((x) => x.address), n.vcpus, n.memoryMiB])).toEqual(seed.resolved!.nodes.map((n) => [n.hostname, n.nics.map((x) => x.address), n.vcpus, n.memoryMiB]));
  });

  it('sets VRRPv3 with 0.1 s adverts, a preempt delay, a 1 s check with fall/rise and the stop hook, short connect timeouts with retries, semi-sync', () => {
    const lab = validateBlueprintText(FAST, HOST).lab!;
    const v = lab.services.vips[0]!;
    expect([vrrpVersion(v), v.advertInterval, preemptOf(v)]).toEqual([3, 0.1, { preempt: true, delaySeconds: 5 }]);
    expect(trackScriptOf(v)).toMatchObject({ interval: 1, fall: 1, rise: 2, weight: 0, onStop: true });
    expect(lbProxyOf(lab.services.loadBalancer!)).toMatchObject({ connectTimeoutSeconds: 0.2, nextUpstream: ['error', 'timeout', 'http_502', 'http_503', 'http_504'], nonIdempotent: false, tries: 2, nextUpstreamTimeoutSeconds: 1 });
    expect(dbReplicationOf(lab.services.database!)).toEqual({ mode: 'semi-sync', semiSyncTimeoutMs: 1000 });
  });

  it('the seed lab keeps the seed’s values (VRRPv2, 1 s adverts, preempt, default check and retries, async)', () => {
    const lab = validateBlueprintText(SEED, HOST).lab!;
    const v = lab.services.vips[0]!;
    expect([vrrpVersion(v), v.advertInterval, preemptOf(v)]).toEqual([2, 1, { preempt: true, delaySeconds: 0 }]);
    expect(trackScriptOf(v)).toMatchObject({ interval: 2, timeout: 2, fall: 2, rise: 2, weight: 0, onStop: false, custom: false });
    expect(lbProxyOf(lab.services.loadBalancer!)).toEqual({ connectTimeoutSeconds: 1, sendTimeoutSeconds: 10, readTimeoutSeconds: 10, nextUpstream: ['error', 'timeout', 'http_502', 'http_503', 'http_504'], nonIdempotent: false, tries: 2, nextUpstreamTimeoutSeconds: 5 });
    expect(dbReplicationOf(lab.services.database!).mode).toBe('async');
  });

  it('the plan shows the master-down interval, the failback and the semi-sync timeout; the seed’s plan lines are unchanged', () => {
    const fast = computePlan(validateBlueprintText(FAST, HOST).resolved!).services.join('\n');
    expect(fast).toContain('VRRPv3, adverts every 0.1 s, master-down interval 361 ms');
    expect(fast).toContain('takes the VIP back 5 s after recovering');
    expect(fast).toContain('connect timeout 0.2 s, retries on error timeout http_502 http_503 http_504, at most 2 servers within 1 s');
    expect(fast).toContain('after 1000 ms without one the primary falls back to async');
    const seed = computePlan(validateBlueprintText(SEED, HOST).resolved!).services;
    expect(seed[0]).toBe('VIP 192.168.10.100 (web) on vmnet8, VRID 51, multicast, held by lb-master(150) > lb-slave(100)');
    expect(seed.join('\n')).not.toMatch(/semi-sync|VRRPv|connect timeout/);
  });
});

describe('rules', () => {
  const vipLine = '      virtualRouterId: 51';
  it('VRRPv2 takes whole seconds: 0.5 is an error whose fix is version 3 or a whole number', () => {
    const i = one(SEED.replace('      advertInterval: 1', '      advertInterval: 0.5'), 'vrrp-advert-interval');
    expect(i.message).toMatch(/VRRPv2.*whole seconds/);
    expect(i.fix).toMatch(/version: 3/);
  });
  it('VRRPv3: at most 40.95 s, in centiseconds', () => {
    expect(one(SEED.replace(vipLine, `${vipLine}\n      version: 3`).replace('      advertInterval: 1', '      advertInterval: 41'), 'vrrp-advert-interval').message).toMatch(/40\.95/);
    expect(one(SEED.replace(vipLine, `${vipLine}\n      version: 3`).replace('      advertInterval: 1', '      advertInterval: 0.015'), 'vrrp-advert-interval').fix).toBe('Use advertInterval: 0.02.');
    expect(issues(SEED.replace(vipLine, `${vipLine}\n      version: 3`).replace('      advertInterval: 1', '      advertInterval: 0.35'))).toEqual([]);
  });
  it('a track weight must exceed the priority gap, and must be 0 with preempt: false', () => {
    expect(one(FAST.replace('        weight: 0', '        weight: -50'), 'track-weight-gap').fix).toMatch(/weight: -60/);
    expect(issues(FAST.replace('        weight: 0', '        weight: -51'))).toEqual([]);
    expect(one(FAST.replace('      preempt: {delay: 5}', '      preempt: false').replace('        weight: 0', '        weight: -60'), 'track-weight-nopreempt').message).toMatch(/nopreempt/);
    expect(issues(FAST.replace('      preempt: {delay: 5}', '      preempt: false'))).toEqual([]);
  });
  it('keepalived 2.2 takes whole seconds for the check interval and timeout', () => {
    expect(one(FAST.replace('        interval: 1', '        interval: 0.5'), 'track-script-seconds').fix).toMatch(/interval: 1/);
    expect(one(FAST.replace('        timeout: 1', '        timeout: 0.3'), 'track-script-seconds').fix).toMatch(/timeout: 1/);
  });
  it('warns on a check timeout above the interval, settings without tracking, a tiny preempt delay', () => {
    one(FAST.replace('        timeout: 1', '        timeout: 3'), 'track-script-timeout');
    expect(one(FAST.replace('      track: nginx # nginx down', '      track: none # nginx down'), 'track-script-unused').severity).toBe('warning');
    expect(one(FAST.replace('      preempt: {delay: 5}', '      preempt: {delay: 0.2}'), 'preempt-delay-short').severity).toBe('warning');
  });
  it('nginx retries: a replayed POST and a policy without "error" are warnings; a total retry time below one connect timeout an error', () => {
    expect(one(FAST.replace('        nonIdempotent: false', '        nonIdempotent: true'), 'lb-retry-non-idempotent').severity).toBe('warning');
    expect(one(FAST.replace('        on: [error, timeout, http_502, http_503, http_504]', '        on: [timeout]'), 'lb-retry-without-error').severity).toBe('warning');
    expect(issues(FAST.replace('        on: [error, timeout, http_502, http_503, http_504]', '        on: []'))).toEqual([]);
    expect(one(FAST.replace('      connectTimeoutSeconds: 0.2', '      connectTimeoutSeconds: 2'), 'lb-retry-timeout').severity).toBe('error');
    expect(one(FAST.replace('        on: [error, timeout, http_502, http_503, http_504]', '        on: [error, off]'), 'invalid-choice').severity).toBe('error');
  });
  it('semi-sync needs a replica; a timeout without semi-sync is a warning', () => {
    expect(one(FAST.replace('    replicas: [db-slave]\n', ''), 'semi-sync-without-replica').severity).toBe('error');
    expect(one(FAST.replace('    replication: semi-sync', '    replication: async'), 'semi-sync-timeout-unused').severity).toBe('warning');
  });
});

it('the invalid examples of the new rules exist (one per error rule)', () => {
  for (const code of ['vrrp-advert-interval', 'track-script-seconds', 'track-weight-gap', 'track-weight-nopreempt', 'lb-retry-timeout', 'semi-sync-without-replica']) {
    expect(readFileSync(join(ROOT, 'tests/blueprints/invalid', `${code}.yaml`), 'utf8')).toContain(`# expect: ${code}`);
  }
});
