import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateLab } from '../../src-main/shared/blueprint/validate';
import { addNetwork, addVip, addVm, deleteElement, roleMismatches, setField } from '../../src-renderer/src/lib/blueprint-edit';
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
