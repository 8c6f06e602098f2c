import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import { SettingsStore } from '../../src-main/backend/settings-store';
import { checkHostSettings, DEFAULT_SSH_USER, defaultLabsDir, normalizeSettings, osFromTemplateVar, readHostSettings, readHostSettingsSync, templateVarFor } from '../../src-main/lab/host-settings';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import { FAKE_VMRUN, TEMPLATE_VMX } from '../fake-vmrun/fake-env';

let dir: string;
let dataDir: string;
/** An environment with none of the HALAB_* overrides, so the tests do not depend on the caller's shell. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: dir, PATH: process.env.PATH, FAKE_VMRUN_STATE: join(dir, 'fake-state'), ...extra });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'halab-settings-'));
  dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  await mkdir(join(dir, 'fake-state'));
  // The fake vmrun is a child process: it reads its state folder from the real environment.
  process.env.FAKE_VMRUN_STATE = join(dir, 'fake-state');
});
afterEach(async () => {
  delete process.env.FAKE_VMRUN_STATE;
  await rm(dir, { recursive: true, force: true });
});

const writeSettings = (v: unknown) => writeFile(join(dataDir, 'settings.json'), JSON.stringify(v));

async function makeTemplate(name = 'ubuntu'): Promise<string> {
  const d = join(dir, 'templates', name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'template.vmx'), TEMPLATE_VMX);
  return join(d, 'template.vmx');
}

describe('readHostSettings', () => {
  it('without a file: defaults (root guest user, labs under the home folder, vmrun discovered)', async () => {
    const s = await readHostSettings({ dataDir, env: cleanEnv(), uid: 1000 });
    expect(s).toEqual({ templates: {}, sshUser: DEFAULT_SSH_USER, labsDir: join(dir, '.local/share/halab/labs'), overrides: [] });
    expect(DEFAULT_SSH_USER).toBe('root');
    expect(defaultLabsDir(cleanEnv(), 0)).toBe('/var/lib/halab/labs');
    expect(defaultLabsDir(cleanEnv({ XDG_DATA_HOME: '/x/data' }), 1000)).toBe('/x/data/halab/labs');
  });

  it('reads the top-level settings of the file', async () => {
    await writeSettings({ theme: 'dark', vmrunPath: '/opt/vmrun', templates: { 'ubuntu-22.04': '/t/u.vmx' }, sshUser: 'halab', labsDir: '/srv/labs', vmwareEtcDir: '/e/vmware' });
    const s = await readHostSettings({ dataDir, env: cleanEnv(), uid: 1000 });
    expect(s).toEqual({ vmrunPath: '/opt/vmrun', templates: { 'ubuntu-22.04': '/t/u.vmx' }, sshUser: 'halab', labsDir: '/srv/labs', vmwareEtcDir: '/e/vmware', overrides: [] });
  });

  it('accepts the legacy `vmware: {…}` object the CLI read before; top-level values win', async () => {
    await writeSettings({ vmware: { vmrunPath: '/legacy/vmrun', templates: { 'ubuntu-22.04': '/legacy/u.vmx', 'debian-12': '/legacy/d.vmx' }, sshUser: 'ubuntu' }, templates: { 'ubuntu-22.04': '/new/u.vmx' } });
    const s = await readHostSettings({ dataDir, env: cleanEnv(), uid: 1000 });
    expect(s.vmrunPath).toBe('/legacy/vmrun');
    expect(s.sshUser).toBe('ubuntu');
    expect(s.templates).toEqual({ 'ubuntu-22.04': '/new/u.vmx', 'debian-12': '/legacy/d.vmx' });
    // The settings store shows (and so saves) the lifted values, not the legacy object.
    const store = await new SettingsStore(dataDir).set({ theme: 'light' });
    expect(store).toEqual({ theme: 'light', language: 'en', vmrunPath: '/legacy/vmrun', sshUser: 'ubuntu', templates: { 'ubuntu-22.04': '/new/u.vmx', 'debian-12': '/legacy/d.vmx' } });
    expect(JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')).vmware).toBeUndefined();
  });

  it('environment variables override the file and are listed', async () => {
    await writeSettings({ vmrunPath: '/opt/vmrun', templates: { 'ubuntu-22.04': '/file/u.vmx' }, sshUser: 'halab', labsDir: '/srv/labs' });
    const env = cleanEnv({ HALAB_VMRUN: '/env/vmrun', HALAB_TEMPLATE_UBUNTU_22_04: '/env/u.vmx', HALAB_TEMPLATE_DEBIAN_12: '/env/d.vmx', HALAB_SSH_USER: 'student', HALAB_LABS_DIR: '/env/labs', HALAB_VMWARE_ETC_DIR: '/env/etc' });
    const s = await readHostSettings({ dataDir, env, uid: 1000 });
    expect(s).toEqual({
      vmrunPath: '/env/vmrun',
      templates: { 'ubuntu-22.04': '/env/u.vmx', 'debian-12': '/env/d.vmx' },
      sshUser: 'student',
      labsDir: '/env/labs',
      vmwareEtcDir: '/env/etc',
      overrides: ['HALAB_LABS_DIR', 'HALAB_SSH_USER', 'HALAB_TEMPLATE_DEBIAN_12', 'HALAB_TEMPLATE_UBUNTU_22_04', 'HALAB_VMRUN', 'HALAB_VMWARE_ETC_DIR'],
    });
    expect(readHostSettingsSync({ dataDir, env, uid: 1000 })).toEqual(s);
    // An empty variable is no override.
    expect((await readHostSettings({ dataDir, env: cleanEnv({ HALAB_SSH_USER: '' }), uid: 1000 })).sshUser).toBe('halab');
  });

  it('HALAB_DATA_DIR picks the file when no folder is given', async () => {
    await writeSettings({ sshUser: 'fromdatadir' });
    expect((await readHostSettings({ env: cleanEnv({ HALAB_DATA_DIR: dataDir }) })).sshUser).toBe('fromdatadir');
  });

  it('template variable names map to OS names both ways', () => {
    expect(osFromTemplateVar('HALAB_TEMPLATE_UBUNTU_22_04')).toBe('ubuntu-22.04');
    expect(osFromTemplateVar('HALAB_TEMPLATE_ROCKY_9')).toBe('rocky-9');
    expect(osFromTemplateVar('HALAB_VMRUN')).toBeUndefined();
    expect(templateVarFor('ubuntu-22.04')).toBe('HALAB_TEMPLATE_UBUNTU_22_04');
  });

  it('a damaged file is reported with its path and what to do; the store falls back to defaults', async () => {
    await writeFile(join(dataDir, 'settings.json'), '{ not json');
    await expect(readHostSettings({ dataDir, env: cleanEnv() })).rejects.toThrow(/settings\.json is damaged.*move it away/);
    expect(await new SettingsStore(dataDir).get()).toEqual({ theme: 'system', language: 'en', templates: {} });
    expect(normalizeSettings({ templates: { a: 3, b: '/b.vmx' }, theme: 'blue' })).toEqual({ theme: 'system', language: 'en', templates: { b: '/b.vmx' } });
  });
});

describe('checkHostSettings', () => {
  const field = (c: Awaited<ReturnType<typeof checkHostSettings>>, f: string) => c.fields.find((l) => l.field === f);

  it('vmrun: a given path is run and its version reported; a missing one is an error', async () => {
    const ok = await checkHostSettings({ vmrunPath: FAKE_VMRUN }, { dataDir, env: cleanEnv(), only: ['vmrunPath'] });
    expect(ok.vmrun).toEqual({ path: FAKE_VMRUN, version: '1.17.0', source: 'setting' });
    expect(field(ok, 'vmrunPath')).toMatchObject({ level: 'ok', title: 'vmrun 1.17.0' });
    const missing = await checkHostSettings({ vmrunPath: join(dir, 'nope', 'vmrun') }, { dataDir, env: cleanEnv(), only: ['vmrunPath'] });
    expect(field(missing, 'vmrunPath')).toMatchObject({ level: 'error', title: 'vmrun not found there' });
    expect(field(missing, 'vmrunPath')!.fix).toMatch(/clear the value/);
    const relative = await checkHostSettings({ vmrunPath: 'vmrun' }, { dataDir, env: cleanEnv(), only: ['vmrunPath'] });
    expect(field(relative, 'vmrunPath')!.level).toBe('error');
  });

  it('vmrun: a program that is not vmrun is an error', async () => {
    const fake = join(dir, 'vmrun');
    await writeFile(fake, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const c = await checkHostSettings({ vmrunPath: fake }, { dataDir, env: cleanEnv(), only: ['vmrunPath'] });
    expect(field(c, 'vmrunPath')).toMatchObject({ level: 'error', title: "not VMware's vmrun" });
  });

  it('vmrun: from HALAB_VMRUN says so and lists the override; nothing found is a warning with a fix', async () => {
    const c = await checkHostSettings({}, { dataDir, env: cleanEnv({ HALAB_VMRUN: FAKE_VMRUN }), only: ['vmrunPath'] });
    expect(c.vmrun).toEqual({ path: FAKE_VMRUN, version: '1.17.0', source: 'env' });
    expect(c.overrides).toEqual(['HALAB_VMRUN']);
    const none = await checkHostSettings({}, { dataDir, env: cleanEnv(), only: ['vmrunPath'], platform: 'darwin' });
    expect(none.vmrun).toEqual({ source: 'none' });
    expect(field(none, 'vmrunPath')).toMatchObject({ level: 'warning', title: 'vmrun not found' });
  });

  it('templates: an existing .vmx is ok; missing, wrong extension, a folder or not a VM are errors', async () => {
    const good = await makeTemplate();
    const notVm = join(dir, 'x.vmx');
    await writeFile(notVm, 'hello\n');
    const c = await checkHostSettings({ templates: { 'ubuntu-22.04': good, 'debian-12': join(dir, 'missing.vmx'), 'rocky-9': join(dir, 'templates', 'ubuntu', 'template.vmdk'), 'alma-9': join(dir, 'templates'), 'suse-15': notVm } }, { dataDir, env: cleanEnv(), only: ['templates'] });
    expect(field(c, 'template:ubuntu-22.04')).toMatchObject({ level: 'ok', detail: good });
    expect(field(c, 'template:debian-12')).toMatchObject({ level: 'error', title: 'Template for debian-12 not found' });
    expect(field(c, 'template:rocky-9')).toMatchObject({ level: 'error', title: 'Template for rocky-9 is not a .vmx file' });
    expect(field(c, 'template:alma-9')!.level).toBe('error');
    expect(field(c, 'template:suse-15')).toMatchObject({ level: 'error', title: 'Template for suse-15 is not a VMware VM' });
    for (const f of c.fields.filter((l) => l.level === 'error')) expect(f.fix, f.field).toBeTruthy();
    // In Korean (the Settings screen in Korean renders these from the catalog codes).
    expect(checkLineText(field(c, 'template:rocky-9')!, 'ko')).toMatchObject({ title: 'rocky-9 템플릿이 .vmx 파일이 아닙니다', fix: '템플릿 VM 폴더 안의 .vmx 파일을 고르세요(.vmdk나 폴더 말고).' });
    for (const f of c.fields.filter((l) => l.level === 'error')) expect(checkLineText(f, 'ko').fix, f.field).toMatch(/[\uac00-\ud7a3]/);
  });

  it('sshUser: Linux user names pass, others fail with the rule', async () => {
    for (const u of ['halab', 'root', 'ubuntu', '_svc', 'a-b_c1']) {
      expect(field(await checkHostSettings({ sshUser: u }, { dataDir, env: cleanEnv(), only: ['sshUser'] }), 'sshUser')!.level, u).toBe('ok');
    }
    for (const u of ['Halab', '1user', 'a b', 'x'.repeat(33), '', 'ünï']) {
      const l = field(await checkHostSettings({ sshUser: u }, { dataDir, env: cleanEnv(), only: ['sshUser'] }), 'sshUser')!;
      expect(l.level, u).toBe('error');
      expect(l.fix).toMatch(/lower-case letters/);
    }
    // Cleared: the default.
    expect(field(await checkHostSettings({ sshUser: null }, { dataDir, env: cleanEnv(), only: ['sshUser'] }), 'sshUser')!.title).toBe('SSH user root');
  });

  it('labsDir: existing writable or creatable is ok; a file, a path under a file or a relative path is an error', async () => {
    const file = join(dir, 'afile');
    await writeFile(file, 'x');
    const only = ['labsDir'] as const;
    expect(field(await checkHostSettings({ labsDir: dir }, { dataDir, env: cleanEnv(), only: [...only] }), 'labsDir')!.level).toBe('ok');
    expect(field(await checkHostSettings({ labsDir: join(dir, 'new', 'labs') }, { dataDir, env: cleanEnv(), only: [...only] }), 'labsDir')).toMatchObject({ level: 'ok', title: 'Labs folder (will be created)' });
    expect(field(await checkHostSettings({ labsDir: file }, { dataDir, env: cleanEnv(), only: [...only] }), 'labsDir')).toMatchObject({ level: 'error', title: 'Labs folder is a file' });
    expect(field(await checkHostSettings({ labsDir: join(file, 'labs') }, { dataDir, env: cleanEnv(), only: [...only] }), 'labsDir')).toMatchObject({ level: 'error', title: 'Labs folder cannot be created' });
    expect(field(await checkHostSettings({ labsDir: 'labs' }, { dataDir, env: cleanEnv(), only: [...only] }), 'labsDir')!.level).toBe('error');
  });

  it('vmwareEtcDir: must hold a networking file when given; not checked when unset', async () => {
    const etc = join(dir, 'etc-vmware');
    await mkdir(etc);
    const only: ['vmwareEtcDir'] = ['vmwareEtcDir'];
    expect(field(await checkHostSettings({ vmwareEtcDir: etc }, { dataDir, env: cleanEnv(), only }), 'vmwareEtcDir')).toMatchObject({ level: 'error', title: 'No "networking" file' });
    await writeFile(join(etc, 'networking'), 'VERSION=1,0\n');
    expect(field(await checkHostSettings({ vmwareEtcDir: etc }, { dataDir, env: cleanEnv(), only }), 'vmwareEtcDir')!.level).toBe('ok');
    expect(field(await checkHostSettings({ vmwareEtcDir: join(dir, 'nope') }, { dataDir, env: cleanEnv(), only }), 'vmwareEtcDir')!.title).toBe('VMware config folder not found');
    expect((await checkHostSettings({}, { dataDir, env: cleanEnv(), only })).fields).toEqual([]);
  });

  it('with no values, checks what is in force (file + environment)', async () => {
    const tpl = await makeTemplate();
    await writeSettings({ templates: { 'ubuntu-22.04': tpl }, sshUser: 'Bad User', labsDir: join(dir, 'labs') });
    const c = await checkHostSettings({}, { dataDir, env: cleanEnv({ HALAB_VMRUN: FAKE_VMRUN }) });
    expect(c.fields.map((f) => `${f.field}=${f.level}`)).toEqual(['vmrunPath=ok', 'template:ubuntu-22.04=ok', 'sshUser=error', 'labsDir=ok']);
  });
});

describe('settings:set and settings:check through the backend', () => {
  it('refuses a host value whose check is an error (invalid-setting, naming the field), saves good ones', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('HALAB_')) delete process.env[k];
    const backend = createBackend({ mode: 'web', version: 't', dataDir });
    try {
      const bad = await backend.invoke('settings:set', { sshUser: 'Bad User' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-setting' } });
      expect(!bad.ok && bad.error.message).toMatch(/^The SSH user was not saved: Not a valid Linux user name\. .*lower-case letters/);
      const badTpl = await backend.invoke('settings:set', { templates: { 'ubuntu-22.04': join(dir, 'missing.vmx') } });
      expect(!badTpl.ok && badTpl.error.message).toMatch(/^The template for ubuntu-22\.04 was not saved: .*not found.*halab template create/);
      await expect(readFile(join(dataDir, 'settings.json'), 'utf8')).rejects.toThrow(/ENOENT/);

      const tpl = await makeTemplate();
      const good = await backend.invoke('settings:set', { sshUser: 'halab', templates: { 'ubuntu-22.04': tpl }, vmrunPath: FAKE_VMRUN, labsDir: join(dir, 'labs') });
      expect(good).toMatchObject({ ok: true, data: { sshUser: 'halab', templates: { 'ubuntu-22.04': tpl }, vmrunPath: FAKE_VMRUN } });
      // null clears without a check.
      const cleared = await backend.invoke('settings:set', { sshUser: null, vmrunPath: null });
      expect(cleared.ok && (cleared.data as { sshUser?: string }).sshUser).toBeUndefined();

      const check = await backend.invoke('settings:check', { vmrunPath: FAKE_VMRUN, sshUser: 'halab' });
      expect(check).toMatchObject({ ok: true, data: { vmrun: { version: '1.17.0', source: 'setting' } } });
    } finally {
      await backend.close();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
