/**
 * The lab runtime: which hypervisor `openLab` picks, what it is built with
 * (vmrun and VMware's config folder from the host settings), the lab folder
 * under the labs-folder setting, the guest user per provider, and the
 * LabService tasks on top (templates, SSH user and the vmnet8 choice passed
 * through; VMware refused as root). VMware is the fake vmrun; no SSH is made.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/backend/events';
import { LabService } from '../../src-main/backend/lab-service';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver';
import type { HostSettings } from '../../src-main/lab/host-settings';
import { labRef, writeLabState, type LabState } from '../../src-main/lab/lab-home';
import { guestUser, openLab, openLabTarget, refuseRootForVmware, RootRefusedError } from '../../src-main/lab/runtime';
import type { ApplyResult } from '../../src-main/provision/engine';
import { otherProvider } from '../../src-main/provision/provisioner';
import type { ResolvedLab } from '../../src-main/shared/blueprint/model';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import type { EventPayloads } from '../../src-main/shared/ipc/contract';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';

/** One VM on one network; `net` picks a new host-only VMnet or a NAT vmnet8 that clashes with the host's. */
function blueprint(name: string, net: 'hostonly' | 'nat'): ResolvedLab {
  const [vmnet, subnet] = net === 'nat' ? ['vmnet8', '192.168.57'] : ['vmnet5', '192.168.58'];
  const text = `apiVersion: halab/v1
kind: Lab
metadata: {name: ${name}, title: Runtime test}
defaults: {template: ubuntu-22.04, vcpus: 1, memoryMiB: 512}
networks:
  - {name: ${vmnet}, type: ${net}, subnet: ${subnet}.0/24}
nodes:
  - {hostname: solo, roles: [app], nics: [{network: ${vmnet}, address: ${subnet}.11}]}
services: {vips: []}
drills: []
`;
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(`test blueprint invalid: ${JSON.stringify(r.issues)}`);
  return r.resolved;
}

let host: FakeVmwareHost;
let labsDir: string;
let settings: HostSettings;

beforeEach(async () => {
  host = await createFakeVmwareHost({ FAKE_VMRUN_IP_DELAY_MS: '60000' });
  labsDir = join(host.root, 'labs');
  settings = { vmrunPath: FAKE_VMRUN, templates: { 'ubuntu-22.04': host.template }, sshUser: 'halab', labsDir, vmwareEtcDir: host.etcDir, overrides: [] };
});
afterEach(async () => {
  await host.cleanup();
});

describe('openLabTarget / openLab', () => {
  it('--provider vmware: the VMware driver, the lab folder under the labs-folder setting, the SSH user from the settings', async () => {
    const t = await openLabTarget(blueprint('rt-one', 'hostonly'), { provider: 'vmware', settings });
    expect(t.hv).toBeInstanceOf(VmwareDriver);
    expect(t.hv.kind).toBe('vmware');
    expect(t.lab).toEqual({ id: 'rt-one', dir: join(labsDir, 'rt-one') });
    expect(t.state).toBeUndefined();
    expect(t.sshUser).toBe('halab');
    // Nothing is created by opening the target.
    await expect(stat(t.lab.dir)).rejects.toThrow(/ENOENT/);
  });

  it('no flag, no lab state: the first usable provider (VMware, found through the vmrun setting)', async () => {
    const t = await openLabTarget(blueprint('rt-first', 'hostonly'), { settings });
    expect(t.hv.kind).toBe('vmware');
  });

  it('no flag: the provider the lab was created with; a flag wins over it', async () => {
    const r = blueprint('rt-state', 'hostonly');
    await writeLabState(labRef(r.name, labsDir), { provider: 'linux', created: new Date().toISOString() });
    const linuxUsable = (await new LinuxLabProvider().checkUsable()).usable;
    const fromState = openLabTarget(r, { settings });
    if (linuxUsable) {
      expect((await fromState).hv.kind).toBe('linux');
      expect((await fromState).sshUser).toBe('root');
    } else {
      // Only the Linux lab was tried (VMware, usable here, was not a fallback).
      await expect(fromState).rejects.toThrow(/^No hypervisor can run this lab here\.\n {2}linux: [^\n]*$/);
    }
    const flagged = await openLabTarget(r, { provider: 'vmware', settings });
    expect(flagged.hv.kind).toBe('vmware');
    expect(flagged.state?.provider).toBe('linux');
  });

  it('the VMware driver gets VMware\'s config folder from the settings (a new VMnet lands in that networking file)', async () => {
    const before = await readFile(join(host.etcDir, 'networking'), 'utf8');
    const t = await openLabTarget(blueprint('rt-etc', 'hostonly'), { provider: 'vmware', settings });
    await t.hv.ensureNetwork(t.lab, { name: 'vmnet5', type: 'hostonly', subnet: '192.168.58.0/24', hostAddress: '192.168.58.1' });
    const after = await readFile(join(host.etcDir, 'networking'), 'utf8');
    expect(before).not.toContain('VNET_5_');
    expect(after).toContain('answer VNET_5_HOSTONLY_SUBNET 192.168.58.0');
    await t.hv.removeNetwork(t.lab, 'vmnet5');
    expect(await readFile(join(host.etcDir, 'networking'), 'utf8')).not.toContain('VNET_5_');
  });

  it('a missing vmrun setting path makes VMware unusable, and the reason names it', async () => {
    await expect(openLabTarget(blueprint('rt-bad', 'hostonly'), { provider: 'vmware', settings: { ...settings, vmrunPath: join(host.root, 'nope', 'vmrun') } })).rejects.toThrow(/^No hypervisor can run this lab here\.\n {2}vmware: /);
  });

  it('openLab adds the render context and an SSH pool that logs in as the provider\'s guest user (without connecting)', async () => {
    const r = blueprint('rt-open', 'hostonly');
    const o = await openLab(r, { provider: 'vmware', settings });
    expect(o.ctx.nicMatch).toBe('mac');
    expect(o.ctx.lab).toBe(r);
    expect(o.pool.user).toBe('halab');
    expect(o.pool.staticAddress('solo')).toBe('192.168.58.11');
    expect((await stat(join(o.lab.dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    await o.pool.closeAll();
    expect(guestUser('linux', settings)).toBe('root');
    expect(guestUser('vmware', settings)).toBe('halab');
  });

  it('reads the settings file of the given data folder when no settings are passed', async () => {
    const dataDir = join(host.root, 'data');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify({ labsDir: join(host.root, 'other-labs'), sshUser: 'student', vmrunPath: FAKE_VMRUN }));
    const saved = process.env.HALAB_LABS_DIR;
    delete process.env.HALAB_LABS_DIR;
    try {
      const t = await openLabTarget(blueprint('rt-file', 'hostonly'), { provider: 'vmware', dataDir });
      expect(t.lab.dir).toBe(join(host.root, 'other-labs', 'rt-file'));
      expect(t.sshUser).toBe('student');
    } finally {
      if (saved !== undefined) process.env.HALAB_LABS_DIR = saved;
    }
  });
});

describe('the root rule', () => {
  it('refuses VMware as root (naming the sudo user and the way out), unless HALAB_ALLOW_ROOT=1; the Linux lab and other users pass', () => {
    expect(() => refuseRootForVmware('vmware', { uid: 0, env: { SUDO_USER: 'student' } })).toThrow(RootRefusedError);
    expect(() => refuseRootForVmware('vmware', { uid: 0, env: { SUDO_USER: 'student' } })).toThrow(/as root \(started with sudo by student\).*Run halab as your own user; only the VMnet step asks for elevation\..*HALAB_ALLOW_ROOT=1/);
    expect(() => refuseRootForVmware('vmware', { uid: 0, env: { HALAB_ALLOW_ROOT: '1' } })).not.toThrow();
    expect(() => refuseRootForVmware('vmware', { uid: 1000, env: {} })).not.toThrow();
    expect(() => refuseRootForVmware('linux', { uid: 0, env: {} })).not.toThrow();
  });
});

describe('LabService on the runtime (fake vmrun)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'halab-rt-data-'));
    // The legacy file format: the service must still find the template.
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify({ vmware: { templates: { 'ubuntu-22.04': host.template }, sshUser: 'halab' }, labsDir, vmwareEtcDir: host.etcDir }));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Start `up` and cancel it as soon as the VM has started, before any SSH. */
  async function upUntilStarted(labs: LabService, events: EventBus, r: ResolvedLab, reconfigureVmnet8?: boolean) {
    const steps: EventPayloads['lab:step'][] = [];
    const tasks: EventPayloads['task:update'][] = [];
    let id = '';
    const off = events.subscribe((channel, payload) => {
      if (channel === 'task:update') tasks.push(payload as EventPayloads['task:update']);
      if (channel !== 'lab:step') return;
      const s = payload as EventPayloads['lab:step'];
      steps.push(s);
      if (s.step === 'vm:solo:start' && s.type === 'done') labs.cancel(id);
    });
    id = labs.up(r, { provider: 'vmware', stage: 'vms', reconfigureVmnet8 });
    const outcome = await labs.wait<ApplyResult>(id);
    off();
    return { outcome, steps, tasks: tasks.filter((t) => t.id === id) };
  }

  it('VMware up as root is refused before anything is created', async () => {
    const events = new EventBus();
    const labs = new LabService(events, { dataDir, uid: 0 });
    const saved = process.env.HALAB_ALLOW_ROOT;
    delete process.env.HALAB_ALLOW_ROOT;
    try {
      const id = labs.up(blueprint('rt-root', 'hostonly'), { provider: 'vmware' });
      const { info, result } = await labs.wait(id);
      expect(info.state).toBe('failed');
      expect(info.error).toMatch(/^Refusing to bring up a VMware lab as root/);
      expect(result).toBeUndefined();
      await expect(stat(join(labsDir, 'rt-root'))).rejects.toThrow(/ENOENT/);
    } finally {
      if (saved !== undefined) process.env.HALAB_ALLOW_ROOT = saved;
      await labs.close();
    }
  });

  it('up clones from the template in the settings into the labs folder, reports the provider and the step timings; cancel is a task cancel', async () => {
    const events = new EventBus();
    const labs = new LabService(events, { dataDir, uid: 1000 });
    try {
      const r = blueprint('rt-up', 'hostonly');
      const { outcome, steps, tasks } = await upUntilStarted(labs, events, r);
      expect(outcome.info.state).toBe('canceled');
      expect(outcome.result).toMatchObject({ ok: false, canceled: true, changed: ['net:vmnet5', 'vm:solo:create', 'vm:solo:start'], skipped: ['vm:solo:ssh'] });
      expect(tasks.some((t) => t.provider === 'vmware')).toBe(true);
      const done = steps.filter((s) => s.type === 'done');
      expect(done.map((s) => s.step)).toEqual(['net:vmnet5', 'vm:solo:create', 'vm:solo:start']);
      for (const s of done) expect(s).toMatchObject({ changed: true, text: 'changed', ms: expect.any(Number) });
      // The clone lives under the labs folder setting and came from the settings' template.
      const vmx = await readFile(join(labsDir, 'rt-up', 'vms', 'solo', 'solo.vmx'), 'utf8');
      expect(vmx).toContain('# template built by hand; keep this comment');
      expect(vmx).toContain('displayName = "rt-up-solo"');
      expect(JSON.parse(await readFile(join(labsDir, 'rt-up', 'lab.json'), 'utf8')).provider).toBe('vmware');
      const status = await labs.labStatus(r);
      expect(status?.vms).toEqual([{ name: 'solo', state: 'running', addresses: [], expected: true }]);
      const downId = labs.down(r);
      expect((await labs.wait(downId)).info.state).toBe('done');
      expect((await labs.labStatus(r))?.vms[0]?.state).toBe('absent');
      // down emptied the lab: it may come back on another provider; a lab with VMs may not.
      const after = JSON.parse(await readFile(join(labsDir, 'rt-up', 'lab.json'), 'utf8')) as LabState;
      expect(after).toMatchObject({ provider: 'vmware', downAt: expect.any(String) });
      expect(otherProvider(after, 'linux')).toBeUndefined();
      expect(otherProvider({ ...after, downAt: undefined }, 'linux')).toBe('vmware');
      expect(otherProvider({ ...after, downAt: undefined }, 'vmware')).toBeUndefined();
    } finally {
      await labs.close();
    }
  });

  it('the vmnet8 choice reaches provisioning: refused before anything runs without it, applied with it (and restored by down)', async () => {
    const events = new EventBus();
    const labs = new LabService(events, { dataDir, uid: 1000 });
    const original = await readFile(join(host.etcDir, 'networking'), 'utf8');
    try {
      const r = blueprint('rt-nat', 'nat');
      const refused = await upUntilStarted(labs, events, r);
      // Refused before anything runs, with the choice spelled out.
      expect(refused.outcome.info.state).toBe('failed');
      expect(refused.outcome.result).toBeUndefined();
      expect(refused.outcome.info.error).toMatch(/vmnet8 .* is 172\.16\.86\.0\/24 .* the blueprint wants 192\.168\.57\.0\/24\. Choose one: .*--reconfigure-vmnet8/s);
      expect(refused.steps).toEqual([]);
      expect(await readFile(join(host.etcDir, 'networking'), 'utf8')).toBe(original);
      await expect(stat(join(labsDir, 'rt-nat', 'vms'))).rejects.toThrow(/ENOENT/);

      const applied = await upUntilStarted(labs, events, r, true);
      expect(applied.outcome.result?.changed).toContain('net:vmnet8');
      expect(await readFile(join(host.etcDir, 'networking'), 'utf8')).toContain('answer VNET_8_HOSTONLY_SUBNET 192.168.57.0');
      expect((await labs.wait(labs.down(r))).info.state).toBe('done');
      expect(await readFile(join(host.etcDir, 'networking'), 'utf8')).toBe(original);
    } finally {
      await labs.close();
    }
  });
});
