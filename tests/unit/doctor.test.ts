/**
 * `halab doctor`'s checks, one by one: VMware through the fake vmrun (the
 * only fake), everything else on real files and programs. The throwaway
 * clone check has its own file (doctor-probe.test.ts); here `quick` skips it
 * except where the report's wiring of it is tested.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDoctorReport } from '../../src-main/cli/commands/doctor';
import { setCliLang } from '../../src-main/cli/lang';
import { doctorExitCode, runDoctor, type DoctorOptions } from '../../src-main/doctor';
import { run } from '../../src-main/exec/runner';
import { debianArch, loadRecipe, recipeHash } from '../../src-main/hypervisor/linux/recipe';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client';
import type { HostSettings } from '../../src-main/lab/host-settings';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import type { ResolvedLab } from '../../src-main/shared/blueprint/model';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import type { DoctorReport } from '../../src-main/shared/ipc/contract';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { BLUEPRINTS, ROOT } from '../helpers/paths';

let host: FakeVmwareHost;
let settings: HostSettings;

beforeEach(async () => {
  host = await createFakeVmwareHost();
  settings = { vmrunPath: FAKE_VMRUN, templates: { 'ubuntu-22.04': host.template }, sshUser: 'root', labsDir: join(host.root, 'labs'), vmwareEtcDir: host.etcDir, overrides: [] };
});
afterEach(async () => {
  await host.cleanup();
});

const lineOf = (r: DoctorReport, id: string) => {
  const l = r.lines.find((x) => x.id === id);
  if (!l) throw new Error(`no line ${id} in ${r.lines.map((x) => x.id).join(', ')}`);
  return l;
};
/** Every non-ok line says what to do. */
const expectFixes = (r: DoctorReport) => {
  for (const l of r.lines) if (l.level !== 'ok') expect(l.fix, `${l.id} has no fix`).toBeTruthy();
};
const doctor = async (o: Partial<DoctorOptions> = {}) => {
  const r = await runDoctor({ settings, provider: 'vmware', quick: true, platform: 'linux', uid: 0, hostMemoryMiB: 65536, freeMemoryMiB: 60000, ...o });
  expectFixes(r);
  return r;
};
async function lab(file: string, edit: (t: string) => string = (t) => t): Promise<ResolvedLab> {
  const r = validateBlueprintText(edit(await readFile(join(BLUEPRINTS, file), 'utf8')), { hostMemoryMiB: 65536 });
  if (!r.resolved) throw new Error(JSON.stringify(r.issues));
  return r.resolved;
}

describe('doctor: vmrun', () => {
  it('vmrun found, its version, and -T ws list works', async () => {
    const r = await doctor();
    expect(lineOf(r, 'vmrun')).toMatchObject({ level: 'ok', title: 'vmrun 1.17.0' });
    expect(lineOf(r, 'vmrun').detail).toContain(FAKE_VMRUN);
    expect(lineOf(r, 'vmrun-list')).toMatchObject({ level: 'ok', detail: '0 VMs running for this user.' });
    expect(r.ok).toBe(true);
    expect(doctorExitCode(r)).toBe(0);
  });

  it('without --provider: the lab\'s provider, else VMware when vmrun is found, else the Linux lab on Linux', async () => {
    expect((await doctor({ provider: undefined })).provider).toBe('vmware');
    expect((await doctor({ provider: undefined, settings: { ...settings, vmrunPath: undefined }, env: {} })).provider).toBe(existsSync('/usr/bin/vmrun') ? 'vmware' : 'linux');
    const r = await lab('lb-pair-minimal.yaml');
    await mkdir(join(settings.labsDir, r.name), { recursive: true });
    await writeFile(join(settings.labsDir, r.name, 'lab.json'), JSON.stringify({ provider: 'linux', created: new Date().toISOString() }));
    expect((await doctor({ provider: undefined, resolved: r })).provider).toBe('linux');
  });

  it('vmrun missing: an error saying what to install, exit code 1', async () => {
    const r = await doctor({ settings: { ...settings, vmrunPath: undefined }, env: {}, platform: 'darwin' });
    expect(lineOf(r, 'vmrun')).toMatchObject({ level: 'error', title: 'vmrun not found' });
    expect(lineOf(r, 'vmrun').fix).toMatch(/Install VMware Workstation Pro 17/);
    // The same line in Korean, from the catalog codes the line carries (the Settings screen in Korean shows this).
    expect(checkLineText(lineOf(r, 'vmrun'), 'ko')).toEqual({
      title: 'vmrun을 찾지 못했습니다',
      detail: '설치 폴더에서 VMware Workstation을 찾지 못했고, vmrun 경로도 지정되어 있지 않습니다.',
      fix: 'VMware Workstation Pro 17을 설치하세요(모든 용도에 무료). 특이한 위치에 설치했다면 설정에서 vmrun 경로를 지정하세요(또는 HALAB_VMRUN).',
    });
    setCliLang('ko');
    expect(formatDoctorReport(r)).toContain('✗ 오류: vmrun을 찾지 못했습니다\n    설치 폴더에서');
    setCliLang('en');
    expect(formatDoctorReport(r)).toContain('✗ error: vmrun not found\n    VMware Workstation was not found');
    expect(r.ok).toBe(false);
    expect(doctorExitCode(r)).toBe(1);
  });

  it('a program that is not vmrun is named', async () => {
    const r = await doctor({ settings: { ...settings, vmrunPath: '/bin/true' } });
    expect(lineOf(r, 'vmrun')).toMatchObject({ level: 'error', title: 'vmrun does not answer' });
  });

  it('list failing (Workstation busy or unreachable) is an error with what to do', async () => {
    await host.failNext({ list: 3 });
    const r = await doctor();
    expect(lineOf(r, 'vmrun-list')).toMatchObject({ level: 'error', title: 'vmrun -T ws list fails' });
    expect(lineOf(r, 'vmrun-list').fix).toMatch(/Start VMware Workstation once as this user/);
  });
});

describe('doctor: templates', () => {
  it('a template that is off, with or without the snapshot, is ok (the first up takes it)', async () => {
    let r = await doctor();
    expect(lineOf(r, 'template:ubuntu-22.04').detail).toContain('no "halab-base" snapshot yet');
    await new VmrunClient({ vmrunPath: FAKE_VMRUN }).snapshot(host.template, 'halab-base');
    r = await doctor();
    expect(lineOf(r, 'template:ubuntu-22.04')).toMatchObject({ level: 'ok' });
    expect(lineOf(r, 'template:ubuntu-22.04').detail).toContain('has the "halab-base" snapshot');
    expect(checkLineText(lineOf(r, 'template:ubuntu-22.04'), 'ko')).toMatchObject({ title: 'ubuntu-22.04 템플릿', detail: `${host.template}: 꺼져 있고, "halab-base" 스냅숏이 있습니다.` });
    expect(checkLineText(lineOf(r, 'vmnet-rights'), 'ko').title).toMatch(/^VMnet 변경: /);
  });

  it('a running template, a missing file, an encrypted VM and no template at all are reported', async () => {
    const client = new VmrunClient({ vmrunPath: FAKE_VMRUN });
    await client.start(host.template, 'nogui');
    let r = await doctor();
    expect(lineOf(r, 'template:ubuntu-22.04')).toMatchObject({ level: 'error', title: 'Template ubuntu-22.04 is powered on' });
    await client.stop(host.template, 'hard');

    r = await doctor({ settings: { ...settings, templates: { 'ubuntu-22.04': join(host.root, 'gone.vmx') } } });
    expect(lineOf(r, 'template:ubuntu-22.04')).toMatchObject({ level: 'error', title: 'Template ubuntu-22.04 not found' });

    const enc = join(host.root, 'enc.vmx');
    await writeFile(enc, `${await readFile(host.template, 'utf8')}encryption.keySafe = "vmware:key/list/(pair/(phrase/abc))"\n`);
    r = await doctor({ settings: { ...settings, templates: { 'ubuntu-22.04': enc } } });
    expect(lineOf(r, 'template:ubuntu-22.04')).toMatchObject({ level: 'error', title: 'Template ubuntu-22.04 is encrypted' });

    r = await doctor({ settings: { ...settings, templates: {} } });
    expect(lineOf(r, 'templates')).toMatchObject({ level: 'warning' });
    expect(lineOf(r, 'templates').fix).toContain('halab template create ubuntu-22.04');
  });

  it('with a blueprint, the templates it uses are checked, naming the VMs that need a missing one', async () => {
    const r = await doctor({ settings: { ...settings, templates: {} }, resolved: await lab('lb-pair-minimal.yaml') });
    const l = lineOf(r, 'template:ubuntu-22.04');
    expect(l).toMatchObject({ level: 'error', title: 'No template for ubuntu-22.04' });
    expect(l.detail).toMatch(/used by lb1, lb2/);
    expect(l.fix).toContain('halab template create ubuntu-22.04');
    // ovftool sits beside the (fake) vmrun, so no ovftool note; without it, the fix says so.
    expect(l.fix).not.toContain('ovftool');
    const noOvftool = await doctor({ settings: { ...settings, vmrunPath: undefined, templates: {} }, resolved: await lab('lb-pair-minimal.yaml'), env: {}, platform: 'darwin' });
    expect(lineOf(noOvftool, 'template:ubuntu-22.04').fix).toContain('It needs ovftool, which was not found');
  });

  it('without --quick the boot check runs and its line follows the template line (fake: no SSH → error, clone deleted)', async () => {
    await writeFile(join(host.etcDir, 'networking'), DEFAULT_NETWORKING.replace(/172\.16\.86\./g, '127.0.0.'));
    process.env.FAKE_VMRUN_NO_GUESTINFO = '1';
    try {
      const progress: string[] = [];
      const r = await doctor({ quick: false, probe: { bootTimeoutMs: 2000, pollMs: 150 }, onProgress: (l) => progress.push(l) });
      const ids = r.lines.map((l) => l.id);
      expect(ids.indexOf('template-guest:ubuntu-22.04')).toBe(ids.indexOf('template:ubuntu-22.04') + 1);
      expect(lineOf(r, 'template-guest:ubuntu-22.04').level).toBe('error');
      expect(progress.some((p) => /throwaway clone/.test(p))).toBe(true);
      expect((await host.calls()).some((c) => c.argv.includes('deleteVM'))).toBe(true);
    } finally {
      delete process.env.FAKE_VMRUN_NO_GUESTINFO;
    }
  });
});

describe('doctor: the right to change VMnets', () => {
  let bin: string;
  beforeEach(async () => {
    bin = await mkdtemp(join(tmpdir(), 'halab-doctor-bin-'));
  });
  afterEach(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  it('Linux: root or a writable networking file is direct', async () => {
    expect(lineOf(await doctor(), 'vmnet-rights')).toMatchObject({ level: 'ok', title: 'VMnet changes: allowed' });
  });

  it('Linux, not root: sudo -n that works is ok; nothing usable is a warning with what to do', async () => {
    await writeFile(join(bin, 'sudo'), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, 'sudo'), 0o755);
    const ran: string[][] = [];
    const runner = async (argv: string[]) => {
      ran.push(argv);
      return { argv, stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    };
    let r = await doctor({ uid: 1000, elevation: { uid: 1000, env: { PATH: bin }, canWrite: async () => false, runner } });
    expect(lineOf(r, 'vmnet-rights')).toMatchObject({ level: 'ok', title: 'VMnet changes: through sudo' });
    expect(ran[0]).toEqual([join(bin, 'sudo'), '-n', 'true']);

    r = await doctor({ uid: 1000, elevation: { uid: 1000, env: { PATH: join(bin, 'none') }, canWrite: async () => false } });
    const l = lineOf(r, 'vmnet-rights');
    expect(l.level).toBe('warning');
    expect(l.fix).toMatch(/sudo -v/);
    expect(l.fix).toMatch(/Do not run halab itself as root/);
  });

  it('Windows: Administrator is direct, otherwise one UAC prompt; other OSes cannot change VMnets', async () => {
    expect(lineOf(await doctor({ platform: 'win32', isAdmin: async () => true }), 'vmnet-rights').title).toBe('VMnet changes: running as Administrator');
    const uac = lineOf(await doctor({ platform: 'win32', isAdmin: async () => false }), 'vmnet-rights');
    expect(uac).toMatchObject({ level: 'ok', title: 'VMnet changes: one Windows prompt' });
    expect(lineOf(await doctor({ platform: 'darwin' }), 'vmnet-rights').level).toBe('warning');
  });
});

describe('doctor: the lab against this host', () => {
  it('RAM: enough, tight, too little', async () => {
    const r0 = await lab('lb-pair-minimal.yaml');
    const need = r0.nodes.reduce((a, n) => a + n.memoryMiB, 0);
    expect(lineOf(await doctor({ resolved: r0 }), 'host-ram')).toMatchObject({ level: 'ok' });
    expect(lineOf(await doctor({ resolved: r0, hostMemoryMiB: need + 1500, freeMemoryMiB: need + 1000 }), 'host-ram').level).toBe('warning');
    const tooLittle = lineOf(await doctor({ resolved: r0, hostMemoryMiB: need }), 'host-ram');
    expect(tooLittle.level).toBe('error');
    expect(tooLittle.detail).toContain(`need ${need} MiB`);
    const ko = checkLineText(tooLittle, 'ko');
    expect(ko.title).toBe('이 랩을 돌리기에 RAM이 부족합니다');
    expect(ko.detail).toContain(`이 랩의 VM ${r0.nodes.length}대에 ${need} MiB가 필요합니다. 이 컴퓨터의 메모리는 ${need} MiB이고`);
    expect(ko.fix).toContain('블루프린트의 memoryMiB');
  });

  it('vmnet8: the host\'s subnet against the blueprint\'s, with the reconfigure choice; a match is ok', async () => {
    const r = await doctor({ resolved: await lab('lb-pair-minimal.yaml') });
    const l = lineOf(r, 'vmnet8-subnet');
    expect(l.level).toBe('warning');
    expect(l.title).toBe('vmnet8 is 172.16.86.0/24 here, the blueprint wants 192.168.20.0/24');
    expect(l.fix).toContain('--reconfigure-vmnet8');
    expect(l.fix).toContain('change the blueprint\'s vmnet8 subnet to 172.16.86.0/24');
    expect(r.ok).toBe(false);

    await writeFile(join(host.etcDir, 'networking'), DEFAULT_NETWORKING.replace(/172\.16\.86\./g, '192.168.20.'));
    expect(lineOf(await doctor({ resolved: await lab('lb-pair-minimal.yaml') }), 'vmnet8-subnet').level).toBe('ok');
  });

  it('a host-only VMnet with another subnet is an error (no automatic way out)', async () => {
    const r = await doctor({ resolved: await lab('k8s-ha-platform.yaml') });
    const l = lineOf(r, 'vmnet1-subnet');
    expect(l.level).toBe('error');
    expect(l.fix).toMatch(/Pick a VMnet number/);
  });
});

describe('doctor: the Linux lab provider', () => {
  it('not Linux; not root; the programs one line each with the apt package', async () => {
    const mac = await doctor({ provider: 'linux', platform: 'darwin' });
    expect(mac.lines).toHaveLength(1);
    expect(mac.lines[0]!.fix).toContain('--provider vmware');
    const r = await doctor({ provider: 'linux', uid: 1000 });
    expect(r.provider).toBe('linux');
    expect(lineOf(r, 'root')).toMatchObject({ level: 'error' });
    expect(lineOf(r, 'root').fix).toContain('sudo halab doctor --provider linux');
    for (const p of ['systemd-nspawn', 'debootstrap', 'ip', 'dnsmasq']) {
      const l = lineOf(r, `program:${p}`);
      if (l.level !== 'ok') expect(l.fix).toMatch(/^sudo apt-get install /);
    }
    expect(lineOf(r, 'overlayfs')).toBeDefined();
  });

  it('base image: cached is ok; missing is buildable as root with debootstrap, else an error', async () => {
    const cache = join(host.root, 'cache');
    const recipe = await loadRecipe();
    const image = join(cache, `base-${recipeHash(recipe.files, debianArch())}`);
    await mkdir(join(image, 'etc'), { recursive: true });
    await writeFile(join(image, 'etc', 'halab-base.json'), '{}');
    expect(lineOf(await doctor({ provider: 'linux', cacheDir: cache }), 'base-image')).toMatchObject({ level: 'ok', title: 'Base image cached', detail: image });
    await rm(image, { recursive: true });
    const r = await doctor({ provider: 'linux', cacheDir: cache });
    const debootstrap = lineOf(r, 'program:debootstrap').level === 'ok';
    expect(lineOf(r, 'base-image').title).toBe(debootstrap ? 'Base image will be built' : 'Base image missing and cannot be built');
    expect(lineOf(await doctor({ provider: 'linux', cacheDir: cache, uid: 1000 }), 'base-image').level).toBe('error');
  });
});

describe('doctor: the report as text', () => {
  it('one line per check; detail and, when not ok, what to do', async () => {
    const r = await doctor({ resolved: await lab('lb-pair-minimal.yaml') });
    const text = formatDoctorReport(r);
    expect(text).toMatch(/^halab doctor \(vmware\)\n✓ vmrun 1\.17\.0\n {4}/);
    expect(text).toContain('! warning: vmnet8 is 172.16.86.0/24 here');
    expect(text).toContain('    → Either run "halab up FILE --reconfigure-vmnet8"');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/0 errors, 1 warning: do what each → line says/);
  });
});

describe('halab doctor (the CLI)', () => {
  const halab = (args: string[], extra: Record<string, string> = {}) =>
    run(['node', join(ROOT, 'bin/halab.mjs'), 'doctor', ...args], {
      cwd: ROOT,
      okExitCodes: [0, 1, 2, 3],
      env: { ...process.env, NO_COLOR: '1', HALAB_DATA_DIR: join(host.root, 'config'), HALAB_LABS_DIR: settings.labsDir, HALAB_VMWARE_ETC_DIR: host.etcDir, HALAB_TEMPLATE_UBUNTU_22_04: host.template, ...extra },
    });

  it('exit 0 when every line is ok, 1 when one is not; --json prints the report', async () => {
    const ok = await halab(['--quick']);
    expect(ok.stdout).toContain('All checks passed.');
    expect(ok.exitCode).toBe(0);
    const warn = await halab([join(BLUEPRINTS, 'lb-pair-minimal.yaml'), '--quick', '--json']);
    expect(warn.exitCode).toBe(1);
    const report = JSON.parse(warn.stdout) as DoctorReport;
    expect(report).toMatchObject({ provider: 'vmware', ok: false });
    expect(report.lines.find((l) => l.id === 'vmnet8-subnet')!.level).toBe('warning');
    const usage = await halab(['--provider', 'kvm']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('--provider must be vmware, linux or incus');
  });
});
