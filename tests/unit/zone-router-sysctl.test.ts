/**
 * The zone router's kernel settings off the Linux lab provider (issue 14):
 * on the Linux lab the provider sets them in the VM's network namespace from
 * the host (a container's /proc/sys is read-only); a VMware VM (here through
 * the fake vmrun, the only fake in the project) or an Incus container has no
 * host-side path, so the rendered /etc/sysctl.d file is applied inside the
 * guest over SSH. Checked on the pure plan and on the step graph `halab up`
 * builds for each provider.
 */
import { mkdtempSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderContext } from '../../src-main/configs/context';
import { renderRouterFiles, routerSysctlPlan, routerSysctls, ROUTER_SYSCTL_PATH } from '../../src-main/configs/nftables';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import type { Hypervisor, LabRef } from '../../src-main/hypervisor/types';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { buildSteps } from '../../src-main/provision/provisioner';
import { FORWARDING_STEP, ROUTER_STEP, zoneStepsCount } from '../../src-main/provision/zone-steps';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { render } from '../../src-main/shared/i18n';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { ROOT } from '../helpers/paths';

const ONPREM = readFileSync(join(ROOT, 'lab-blueprints/onprem-zones.yaml'), 'utf8');
const SMALL = readFileSync(join(ROOT, 'tests/integration/zones-lab.yaml'), 'utf8');

function ctxOf(text: string): RenderContext {
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return { lab: r.resolved, secrets: { vrrpAuthPass: 'abcdefgh', db: { app: 'a', replication: 'b', monitoring: 'c', backup: 'd' } }, engine: 'mariadb', nicMatch: 'name' };
}

describe('the router kernel settings (pure plan)', () => {
  const ctx = ctxOf(ONPREM);

  it('forwarding on, strict reverse path and no redirects on all, default and every zone NIC, in that order', () => {
    expect(routerSysctls(ctx, 'fw').map((s) => `${s.key}=${s.value}`)).toEqual([
      'net.ipv4.ip_forward=1',
      ...['all', 'default', 'ens33', 'ens34', 'ens35', 'ens36'].map((i) => `net.ipv4.conf.${i}.rp_filter=1`),
      ...['all', 'default', 'ens33', 'ens34', 'ens35', 'ens36'].map((i) => `net.ipv4.conf.${i}.send_redirects=0`),
    ]);
    expect(routerSysctls(ctx, 'app1')).toEqual([]);
    // The small lab's router has three zones: three NICs named.
    expect(routerSysctls(ctxOf(SMALL), 'fw').filter((s) => s.key.endsWith('.rp_filter'))).toHaveLength(5);
  });

  it('without a host-side path (VMware, Incus) the file is applied inside the guest with sysctl -p; with one (Linux lab) from the host', () => {
    const guest = routerSysctlPlan(ctx, 'fw', { hostSide: false })!;
    expect(guest.applyFrom).toBe('guest');
    expect(guest.guestApply).toEqual(['sysctl', '-q', '-p', '/etc/sysctl.d/61-halab-router.conf']);
    expect(guest.file.path).toBe(ROUTER_SYSCTL_PATH);
    expect(guest.file.mode).toBe('0644');
    // sysctl.d syntax: comments, then exactly "key = value" per setting, nothing else (systemd-sysctl and sysctl -p read it).
    const values = guest.file.content.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(values).toEqual(guest.settings.map((s) => `${s.key} = ${s.value}`));
    expect(routerSysctlPlan(ctx, 'fw', { hostSide: true })!.applyFrom).toBe('host');
    expect(routerSysctlPlan(ctx, 'db1', { hostSide: false })).toBeUndefined();
    // The router's other files no longer carry the sysctl file (one owner: the forwarding step).
    expect(renderRouterFiles(ctx, 'fw').map((f) => f.path)).not.toContain(ROUTER_SYSCTL_PATH);
  });

  it('refuses an interface name that cannot be part of a sysctl key', () => {
    const bad = ctxOf(ONPREM);
    const fw = bad.lab.nodes.find((n) => n.hostname === 'fw')!;
    fw.nics[0] = { ...fw.nics[0]!, ifname: 'ens33/../x' };
    expect(() => routerSysctls(bad, 'fw')).toThrow(/cannot be used in a sysctl key/);
  });
});

describe('the step graph of halab up per provider', () => {
  let host: FakeVmwareHost;
  let pool: GuestPool;
  let lab: LabRef;
  const ctx = ctxOf(ONPREM);
  let publicKey = '';

  beforeAll(async () => {
    host = await createFakeVmwareHost();
    lab = { id: 'onprem-unit', dir: mkdtempSync(join(tmpdir(), 'halab-router-sysctl-')) };
    const key = await ensureLabKey(lab.dir, lab.id);
    publicKey = key.publicKey;
    pool = new GuestPool({ hv: new LinuxLabProvider(), lab, resolved: ctx.lab, key });
  });
  afterAll(async () => {
    await pool.closeAll();
    await host.cleanup();
  });

  const stepsFor = (hv: Hypervisor) => buildSteps({ hv, lab, resolved: ctx.lab, templates: { 'ubuntu-22.04': host.template } }, ctx, pool, [], publicKey);

  it('VMware (fake vmrun): no host-side path, so the forwarding step applies the sysctl.d file in the guest, before the router and after the hardening', async () => {
    const hv = new VmwareDriver({ vmrunPath: FAKE_VMRUN, vmwareEtcDir: host.etcDir, platform: 'linux' });
    expect((await hv.checkUsable()).usable).toBe(true);
    expect((hv as Hypervisor).setNetSysctls).toBeUndefined();
    const steps = stepsFor(hv);
    const fwd = steps.find((s) => s.id === FORWARDING_STEP)!;
    expect(fwd.titleMsg).toEqual({ code: 'z.step.forwardingGuest', args: { node: 'fw' } });
    expect(render('en', fwd.titleMsg!)).toBe('forwarding on fw (sysctl.d file applied inside the VM)');
    expect(render('ko', fwd.titleMsg!)).toBe('fw 서버의 패킷 전달 (sysctl.d 파일을 VM 안에서 적용)');
    expect(fwd.vm).toBe('fw');
    expect(fwd.deps).toEqual(['vm:fw:firewall', 'vm:fw:hardening']);
    expect(steps.find((s) => s.id === ROUTER_STEP)!.deps).toContain(FORWARDING_STEP);
    // Every step that crosses zones waits for the router, so for forwarding too.
    expect(steps.find((s) => s.id === 'vm:app1:services')!.deps).toContain(ROUTER_STEP);
    expect(steps.filter((s) => s.id.startsWith('zones:')).map((s) => s.id)).toEqual([FORWARDING_STEP, ROUTER_STEP, 'zones:verify']);
    // Progress bars count them: one hardening step per VM, forwarding, router, verify.
    expect(zoneStepsCount(ctx.lab, 'all')).toBe(ctx.lab.nodes.length + 3);
    expect(steps.filter((s) => s.id.startsWith('zones:') || s.id.endsWith(':hardening'))).toHaveLength(zoneStepsCount(ctx.lab, 'all'));
  });

  it('Linux lab: the provider sets them from the host, and the step says so', () => {
    const hv = new LinuxLabProvider();
    expect(typeof hv.setNetSysctls).toBe('function');
    const steps = stepsFor(hv);
    const fwd = steps.find((s) => s.id === FORWARDING_STEP)!;
    expect(fwd.titleMsg).toEqual({ code: 'z.step.forwardingHost', args: { node: 'fw' } });
  });
});
