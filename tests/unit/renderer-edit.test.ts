import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateLab } from '../../src-main/shared/blueprint/validate';
import { NEXT_UPSTREAM_CONDITIONS } from '../../src-main/shared/blueprint/schema';
import { DEFAULT_NEXT_UPSTREAM } from '../../src-main/shared/blueprint/model';
import { addNetwork, addVip, addVm, deleteElement, masterDownOf, preemptChoice, preemptValue, roleMismatches, setField, toggleCondition } from '../../src-renderer/src/lib/blueprint-edit';
import { connect, deleteEdge } from '../../src-renderer/src/lib/connect';
import { emptyDraft, type Draft } from '../../src-renderer/src/lib/draft';
import { semantic } from '../e2e/support/semantic';

const at = { x: 0, y: 0 };
const ok = (r: ReturnType<typeof connect>): Draft => {
  if (r.error) throw new Error(r.error.key);
  return r.draft;
};
const vm = (d: Draft, host: string) => ({ kind: 'vm' as const, index: d.nodes.findIndex((n) => n.hostname === host) });

function threeTier(): Draft {
  let d = emptyDraft();
  d = addNetwork(d, 'nat', at).draft;
  d = addNetwork(d, 'custom', at).draft;
  for (const [role, host] of [['loadbalancer', 'lb-master'], ['loadbalancer', 'lb-slave'], ['app', 'app-server-01'], ['app', 'app-server-02'], ['database', 'db-master'], ['database', 'db-slave']] as const) {
    const r = addVm(d, role, at);
    d = setField(r.draft, ['nodes', r.index, 'hostname'], host);
  }
  for (const host of ['lb-master', 'lb-slave']) d = ok(connect(d, vm(d, host), { kind: 'net', index: 0 }));
  for (const host of ['lb-master', 'lb-slave', 'app-server-01', 'app-server-02', 'db-master', 'db-slave']) d = ok(connect(d, vm(d, host), { kind: 'net', index: 1 }));
  // Upstreams and replication follow from the roles: no lines needed.
  d = addVip(d, at).draft;
  d = ok(connect(d, { kind: 'vip', index: 0 }, vm(d, 'lb-master')));
  d = ok(connect(d, vm(d, 'lb-slave'), { kind: 'vip', index: 0 }));
  return d;
}

describe('editing operations', () => {
  it('fills in addresses by role (the seed plan) when a NIC is drawn, and refuses a second NIC on the same network', () => {
    const d = threeTier();
    expect(d.nodes.map((n) => n.nics.map((x) => x.address))).toEqual([['192.168.10.11', '10.0.0.11'], ['192.168.10.12', '10.0.0.12'], ['10.0.0.21'], ['10.0.0.22'], ['10.0.0.31'], ['10.0.0.32']]);
    expect(connect(d, vm(d, 'db-master'), { kind: 'net', index: 1 }).error?.key).toBe('connect.alreadyWired');
  });

  it('with the first-free plan, hands out the first free address instead', () => {
    let d = emptyDraft();
    d = { ...d, layout: { positions: {}, addressPlan: 'first-free' } };
    d = addNetwork(d, 'nat', at).draft;
    d = addVm(d, 'database', at).draft;
    d = ok(connect(d, { kind: 'vm', index: 0 }, { kind: 'net', index: 0 }));
    expect(d.nodes[0]?.nics[0]?.address).toBe('192.168.10.3');
  });

  it('turns roles into services, and lines into VIP members', () => {
    const s = threeTier().services!;
    expect(s.loadBalancer?.members).toEqual(['lb-master', 'lb-slave']);
    expect(s.loadBalancer?.upstream.members).toEqual(['app-server-01', 'app-server-02']);
    expect(s.app?.members).toEqual(['app-server-01', 'app-server-02']);
    expect(s.database).toMatchObject({ primary: 'db-master', replicas: ['db-slave'] });
    expect(s.vips?.[0]).toMatchObject({ name: 'web', address: '192.168.10.100', network: 'vmnet8', virtualRouterId: 51, members: [{ node: 'lb-master', priority: 150 }, { node: 'lb-slave', priority: 100 }] });
  });

  it('produces a valid blueprint with the seed addresses without typing any', () => {
    const d = threeTier();
    expect(validateLab(d).issues).toEqual([]);
    const seed = semantic(readFileSync(join(__dirname, '../../lab-blueprints/vmware-3tier-ha.yaml'), 'utf8'));
    const ours = semantic(stringify(d));
    expect(ours.nodes.map((n) => [n.hostname, n.nics.map((x) => x.address)])).toEqual(seed.nodes.map((n) => [n.hostname, n.nics.map((x) => x.address)]));
    expect(ours.networks).toEqual(seed.networks);
    expect(ours.services.vips).toEqual(seed.services.vips);
  });

  it('carries a rename into services and layout', () => {
    let d = threeTier();
    d = setField(d, ['nodes', vm(d, 'db-slave').index, 'hostname'], 'db-replica');
    expect(d.services?.database?.replicas).toEqual(['db-replica']);
    expect(d.layout?.positions?.['db-replica']).toBeDefined();
    expect(d.layout?.positions?.['db-slave']).toBeUndefined();
    d = setField(d, ['networks', 1, 'name'], 'vmnet3');
    expect(d.nodes.every((n) => n.nics.every((x) => x.network !== 'vmnet2'))).toBe(true);
    expect(d.layout?.positions?.['net:vmnet3']).toBeDefined();
  });

  it('cleans up references when a VM or a network is deleted', () => {
    let d = threeTier();
    d = deleteElement(d, vm(d, 'db-master'));
    expect(d.services?.database).toMatchObject({ primary: 'db-slave', replicas: [] });
    d = deleteElement(d, vm(d, 'lb-master'));
    expect(d.services?.vips?.[0]?.members.map((m) => m.node)).toEqual(['lb-slave']);
    expect(d.services?.loadBalancer?.members).toEqual(['lb-slave']);
    d = deleteElement(d, { kind: 'net', index: 0 });
    expect(d.services?.vips).toEqual([]);
    expect(d.nodes.every((n) => n.nics.every((x) => x.network !== 'vmnet8'))).toBe(true);
  });

  it('deletes single relations by edge id', () => {
    let d = threeTier();
    d = deleteEdge(d, 'repl:db-slave');
    expect(d.services?.database?.replicas).toEqual([]);
    d = deleteEdge(d, 'vipm:0:1');
    expect(d.services?.vips?.[0]?.members).toHaveLength(1);
    d = deleteEdge(d, `nic:${vm(d, 'app-server-01').index}:0`);
    expect(d.nodes[vm(d, 'app-server-01').index]?.nics).toEqual([]);
  });

  it('refuses lines that mean nothing, with a reason', () => {
    const d = threeTier();
    expect(connect(d, vm(d, 'app-server-01'), vm(d, 'app-server-02')).error?.key).toBe('connect.needsRole');
    expect(connect(d, { kind: 'net', index: 0 }, { kind: 'net', index: 1 }).error?.key).toBe('connect.unsupported');
    expect(connect(d, vm(d, 'db-slave'), { ...vm(d, 'db-slave') }).error?.key).toBe('connect.same');
  });

  it('a pasted app server joins the app service and the load balancers\' upstream, with its own role address', () => {
    let d = threeTier();
    const src = d.nodes[vm(d, 'app-server-02').index]!;
    const r = addVm(d, 'app', at, src);
    d = r.draft;
    expect(d.nodes[r.index]?.hostname).toBe('app-server-03');
    expect(d.nodes[r.index]?.nics.map((x) => x.address)).toEqual(['10.0.0.23']);
    expect(d.services?.app?.members).toContain('app-server-03');
    expect(d.services?.loadBalancer?.upstream.members).toContain('app-server-03');
    expect(roleMismatches(d, r.index)).toEqual([]);
  });

  it('the Monitoring role sets up monitoring; removing a role takes the VM out of its service', () => {
    let d = threeTier();
    const i = vm(d, 'lb-slave').index;
    d = setField(d, ['nodes', i, 'roles'], ['loadbalancer', 'monitoring']);
    expect(d.services?.monitoring).toEqual({ prometheus: 'lb-slave' });
    const a = vm(d, 'app-server-01').index;
    d = setField(d, ['nodes', a, 'roles'], ['generic']);
    expect(d.services?.app?.members).toEqual(['app-server-02']);
    expect(d.services?.loadBalancer?.upstream.members).toEqual(['app-server-02']);
    d = setField(d, ['nodes', i, 'roles'], ['loadbalancer']);
    expect(d.services?.monitoring).toBeUndefined();
  });

  it('warns where roles and services disagree', () => {
    let d = threeTier();
    const a = vm(d, 'app-server-01').index;
    // Edited by hand in the services, not through the role chips.
    d = setField(d, ['services', 'loadBalancer', 'upstream', 'members'], ['app-server-02']);
    d = setField(d, ['services', 'app', 'members'], ['app-server-02']);
    expect(roleMismatches(d, a)).toEqual([
      { role: 'app', service: 'app', kind: 'missing' },
      { role: 'app', service: 'upstream', kind: 'missing' },
    ]);
    d = { ...d, nodes: d.nodes.map((n, k) => (k === a ? { ...n, roles: ['monitoring'] } : n)) };
    expect(roleMismatches(d, a)).toEqual([{ role: 'monitoring', service: 'monitoring', kind: 'missing' }]);
  });
});

describe('fast-failover fields (issue 13)', () => {
  const read = (file: string): Draft => parse(readFileSync(join(__dirname, '../../lab-blueprints', file), 'utf8')) as Draft;
  const V = ['services', 'vips', 0];
  const LB = ['services', 'loadBalancer'];
  const P = [...LB, 'proxy'];
  const NU = [...P, 'nextUpstream'];

  it('the Properties edits on the seed lab give the fast lab, which validates without errors', () => {
    let d = read('vmware-3tier-ha.yaml');
    // What the fields write, in the order a student fills them in.
    d = setField(d, [...V, 'version'], 3);
    d = setField(d, [...V, 'advertInterval'], 0.1);
    d = setField(d, [...V, 'preempt'], preemptValue('delay', d.services?.vips?.[0]?.preempt));
    for (const [k, v] of [['interval', 1], ['timeout', 1], ['fall', 1], ['rise', 2], ['weight', 0], ['onStop', true]] as const) d = setField(d, [...V, 'trackScript', k], v);
    d = setField(d, [...LB, 'passiveHealth', 'maxFails'], 1);
    d = setField(d, [...LB, 'passiveHealth', 'failTimeoutSeconds'], 3);
    d = setField(d, [...P, 'connectTimeoutSeconds'], 0.2);
    d = setField(d, [...P, 'readTimeoutSeconds'], 10);
    // Unticking and ticking a default condition writes the default list.
    const cur = () => d.services?.loadBalancer?.proxy?.nextUpstream?.on;
    d = setField(d, [...NU, 'on'], toggleCondition(cur(), DEFAULT_NEXT_UPSTREAM, NEXT_UPSTREAM_CONDITIONS, 'timeout', false));
    expect(cur()).toEqual(['error', 'http_502', 'http_503', 'http_504']);
    d = setField(d, [...NU, 'on'], toggleCondition(cur(), DEFAULT_NEXT_UPSTREAM, NEXT_UPSTREAM_CONDITIONS, 'timeout', true));
    d = setField(d, [...NU, 'nonIdempotent'], false);
    d = setField(d, [...NU, 'tries'], 2);
    d = setField(d, [...NU, 'timeoutSeconds'], 1);
    d = setField(d, ['services', 'database', 'replication'], 'semi-sync');
    d = setField(d, ['services', 'database', 'semiSyncTimeoutMs'], 1000);
    // Seed 002's objectives, in the lab's Objectives fields.
    d = setField(d, ['objectives', 'availability'], 99.9);
    d = setField(d, ['objectives', 'rtoSeconds'], 1800);
    d = setField(d, ['objectives', 'rpoSeconds'], 3600);
    const fast = read('vmware-3tier-ha-fast.yaml');
    d = { ...d, metadata: fast.metadata };
    expect(semantic(stringify(d))).toEqual(semantic(stringify(fast)));
    expect(d.services?.vips?.[0]).toEqual(fast.services?.vips?.[0]);
    expect(d.services?.loadBalancer).toEqual(fast.services?.loadBalancer);
    const r = validateLab(d);
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(masterDownOf(d.services!.vips![0]!)).toMatchObject({ version: 3, advert: 0.1, priority: 100, ms: 361 });
  });

  it('clearing the last field of trackScript, nextUpstream or proxy removes the group; preempt choices', () => {
    let d = read('vmware-3tier-ha.yaml');
    d = setField(d, [...V, 'trackScript', 'fall'], 1);
    expect(d.services?.vips?.[0]?.trackScript).toEqual({ fall: 1 });
    d = setField(d, [...V, 'trackScript', 'fall'], undefined);
    expect(d.services?.vips?.[0]).not.toHaveProperty('trackScript');
    d = setField(d, [...NU, 'tries'], 3);
    d = setField(d, [...NU, 'tries'], undefined);
    expect(d.services?.loadBalancer).not.toHaveProperty('proxy');
    d = setField(d, [...P, 'readTimeoutSeconds'], 5);
    d = setField(d, [...NU, 'tries'], 3);
    d = setField(d, [...NU, 'tries'], undefined);
    expect(d.services?.loadBalancer?.proxy).toEqual({ readTimeoutSeconds: 5 });
    // A field outside those groups leaves its parent alone.
    d = setField(d, [...LB, 'passiveHealth', 'maxFails'], undefined);
    expect(d.services?.loadBalancer?.passiveHealth).toEqual({ failTimeoutSeconds: 5 });

    expect([undefined, true, false, { delay: 2 }].map(preemptChoice)).toEqual(['default', 'true', 'false', 'delay']);
    expect(preemptValue('delay', { delay: 2 })).toEqual({ delay: 2 });
    expect(preemptValue('delay', false)).toEqual({ delay: 5 });
    expect(preemptValue('false', { delay: 2 })).toBe(false);
    expect(preemptValue('default', true)).toBeUndefined();
    // Retries off is an explicit empty list.
    expect(toggleCondition(['error'], DEFAULT_NEXT_UPSTREAM, NEXT_UPSTREAM_CONDITIONS, 'error', false)).toEqual([]);
  });

  it('master-down interval as the student types: VRRPv2 skew in seconds, VRRPv3 scaled by the advert', () => {
    const vip = (x: object) => ({ name: 'web', address: '192.168.10.100', network: 'vmnet8', virtualRouterId: 51, members: [{ node: 'a', priority: 150 }, { node: 'b', priority: 100 }], ...x });
    expect(masterDownOf(vip({}))).toMatchObject({ version: 2, advert: 1, ms: 3609 });
    expect(masterDownOf(vip({ advertInterval: 2 }))).toMatchObject({ ms: 6609 });
    expect(masterDownOf(vip({ version: 3, advertInterval: 1 }))).toMatchObject({ ms: 3609 });
    expect(masterDownOf(vip({ version: 3, advertInterval: 0.05 }))).toMatchObject({ ms: 180 });
  });
});
