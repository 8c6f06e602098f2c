/**
 * `halab template create` against the fake vmrun and the fake ovftool, with
 * OVAs built by the test. Downloads come from a server on 127.0.0.1 (or a
 * fetch that fails like a computer without internet): nothing leaves this
 * machine.
 */
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import { SettingsStore } from '../../src-main/backend/settings-store';
import { run } from '../../src-main/exec/runner';
import type { DoctorReport, TaskInfo } from '../../src-main/shared/ipc/contract';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver';
import { VmxFile } from '../../src-main/hypervisor/vmware/vmx-file';
import { CLOUD_IMAGES, createTemplate, findOvftool, TemplateError, type CreateTemplateOptions, type TemplateProgress } from '../../src-main/hypervisor/vmware/template-create';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { buildOva } from '../fake-vmrun/ova';
import { ROOT } from '../helpers/paths';

let host: FakeVmwareHost;
let labsDir: string;
let dataDir: string;
let templatesDir: string;
let lines: TemplateProgress[];

beforeEach(async () => {
  host = await createFakeVmwareHost();
  labsDir = join(host.root, 'data', 'labs');
  dataDir = join(host.root, 'config');
  templatesDir = join(host.root, 'data', 'templates');
  lines = [];
});
afterEach(async () => {
  await host.cleanup();
});

const store = () => new SettingsStore(dataDir);
const options = (o: Partial<CreateTemplateOptions> = {}): CreateTemplateOptions => ({
  os: 'ubuntu-22.04',
  labsDir,
  platform: 'linux',
  onProgress: (p) => lines.push(p),
  record: async (os, vmx) => {
    const s = await store().get();
    await store().set({ templates: { ...s.templates, [os]: vmx } });
  },
  ...o,
});
const ovftoolCalls = async () => (await host.calls()).filter((c) => c.tool === 'ovftool');
const vmrunCalls = async (cmd: string) => (await host.calls()).filter((c) => c.tool === 'vmrun' && c.argv.some((a) => a.toLowerCase() === cmd.toLowerCase()));
const errorOf = async (p: Promise<unknown>): Promise<TemplateError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
};

/** A loopback HTTP server for `path` → body; `slowMs` stretches the body over time. */
async function serve(routes: Record<string, Buffer | string>, slowMs = 0): Promise<{ url: (p: string) => string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404, 'Not Found').end('no such file');
      return;
    }
    const buf = Buffer.from(body);
    res.writeHead(200, { 'content-length': String(buf.length), 'content-type': 'application/octet-stream' });
    if (!slowMs) {
      res.end(buf);
      return;
    }
    let off = 0;
    const tick = setInterval(() => {
      if (res.destroyed) return clearInterval(tick);
      res.write(buf.subarray(off, off + 512));
      off += 512;
      if (off >= buf.length) {
        clearInterval(tick);
        res.end();
      }
    }, slowMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: (p) => `http://127.0.0.1:${port}${p}`, server, hits };
}

describe('template create from a local OVA', () => {
  it('converts with ovftool, prepares the .vmx, takes the snapshot, records it, and the driver can clone it', async () => {
    const ova = join(host.root, 'ubuntu-22.04-server-cloudimg-amd64.ova');
    await buildOva(ova);
    const made = await createTemplate(options({ from: ova }));

    const vmx = join(templatesDir, 'ubuntu-22.04', 'ubuntu-22.04.vmx');
    expect(made).toMatchObject({ os: 'ubuntu-22.04', vmx, snapshot: 'halab-base', source: ova, reused: false });
    // ovftool found beside the (fake) vmrun set through HALAB_VMRUN, given the OVA and a .vmx target.
    const calls = await ovftoolCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.argv).toContain('--acceptAllEulas');
    expect(calls[0]!.argv).toContain(ova);
    // The .vmx: disk converted beside it, NIC on NAT, no guestinfo left, headless-safe.
    const file = await VmxFile.read(vmx);
    expect(file.get('scsi0:0.fileName')).toBe('ubuntu-22.04-disk1.vmdk');
    expect((await readFile(join(templatesDir, 'ubuntu-22.04', 'ubuntu-22.04-disk1.vmdk'), 'latin1')).startsWith('KDMV')).toBe(true);
    expect(file.get('ethernet0.connectionType')).toBe('nat');
    expect(file.keys().filter((k) => /^guestinfo\./i.test(k))).toEqual([]);
    expect(file.get('msg.autoAnswer')).toBe('TRUE');
    expect(file.get('displayName')).toBe('halab template ubuntu-22.04');
    // The snapshot, as vmrun reports it.
    const client = new VmrunClient({ vmrunPath: FAKE_VMRUN });
    expect(await client.listSnapshots(vmx)).toEqual(['halab-base']);
    // Recorded in Settings, and the marker says complete.
    expect((await store().get()).templates).toEqual({ 'ubuntu-22.04': vmx });
    expect(JSON.parse(await readFile(join(templatesDir, 'ubuntu-22.04', 'halab-template.json'), 'utf8'))).toMatchObject({ os: 'ubuntu-22.04', complete: true, source: ova });
    // Progress: every step, ending at 1.
    expect(lines.map((l) => l.step)).toEqual(expect.arrayContaining(['convert', 'prepare', 'snapshot', 'record']));
    expect(lines.at(-1)).toMatchObject({ fraction: 1 });
    expect((await readdir(templatesDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);

    // The template is usable: the VMware driver makes a linked clone from its snapshot.
    const hv = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux' });
    const lab = { id: 'tpl', dir: host.labDir };
    await hv.createVm(lab, { name: 'web01', template: vmx, clone: 'linked', vcpus: 1, memoryMiB: 1024, diskGiB: 10, nics: [{ network: 'vmnet8', mac: '00:50:56:01:02:03', address: '172.16.86.10' }], sshPublicKey: 'ssh-ed25519 AAAA test' });
    expect(await hv.state(lab, 'web01')).toBe('off');
    expect((await vmrunCalls('clone'))[0]!.argv).toContain('-snapshot=halab-base');
  });

  it('a second run reuses the finished template without converting again', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    await createTemplate(options({ from: ova }));
    const again = await createTemplate(options({ from: ova }));
    expect(again.reused).toBe(true);
    expect(await ovftoolCalls()).toHaveLength(1);
    expect(await vmrunCalls('snapshot')).toHaveLength(1);
    expect(lines.at(-1)!.line).toMatch(/already existed/);
  });

  it('a damaged OVA fails with ovftool\'s reason and what to do; nothing is left or recorded', async () => {
    const ova = join(host.root, 'bad.ova');
    await buildOva(ova, { diskFirst: true });
    const e = await errorOf(createTemplate(options({ from: ova })));
    expect(e.code).toBe('convert');
    expect(e.message).toContain('Did not find an .ovf file at the beginning of the OVA package');
    expect(e.fix).toMatch(/Download it again/);
    expect((await readdir(templatesDir)).filter((f) => !f.startsWith('.downloads'))).toEqual([]);
    expect((await store().get()).templates).toEqual({});

    await buildOva(ova, { manifest: 'corrupt' });
    const m = await errorOf(createTemplate(options({ from: ova })));
    expect(m.message).toMatch(/manifest does not validate/);
  });

  it('refuses a missing file, a non-OVA, an unknown OS without --from, and a folder halab did not make', async () => {
    expect((await errorOf(createTemplate(options({ from: join(host.root, 'nope.ova') })))).message).toContain('There is no file at');
    const txt = join(host.root, 'notes.txt');
    await writeFile(txt, 'hello');
    expect((await errorOf(createTemplate(options({ from: txt })))).message).toMatch(/not an \.ova/);
    const unknown = await errorOf(createTemplate(options({ os: 'plan9' })));
    expect(unknown.fix).toContain('ubuntu-22.04');
    await mkdir(join(templatesDir, 'ubuntu-22.04'), { recursive: true });
    await writeFile(join(templatesDir, 'ubuntu-22.04', 'mine.vmx'), 'displayName = "mine"\n');
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    const e = await errorOf(createTemplate(options({ from: ova })));
    expect(e.code).toBe('exists');
    expect(await readdir(join(templatesDir, 'ubuntu-22.04'))).toEqual(['mine.vmx']);
    expect(await ovftoolCalls()).toHaveLength(0);
  });

  it('carries on after a failed snapshot: the next run only takes the snapshot', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    await host.failNext({ snapshot: 1 });
    const e = await errorOf(createTemplate(options({ from: ova })));
    expect(e.code).toBe('vmrun');
    expect(e.fix).toMatch(/carries on/);
    expect((await store().get()).templates).toEqual({});
    const done = await createTemplate(options({ from: ova }));
    expect(done.reused).toBe(false);
    expect(await ovftoolCalls()).toHaveLength(1);
    expect((await store().get()).templates['ubuntu-22.04']).toBe(done.vmx);
  });

  it('cancel during the conversion leaves no half-made template', async () => {
    process.env.FAKE_OVFTOOL_MS = '5000';
    try {
      const ova = join(host.root, 'u.ova');
      await buildOva(ova);
      const ac = new AbortController();
      const p = createTemplate(options({ from: ova, signal: ac.signal }));
      setTimeout(() => ac.abort(), 700);
      const e = await errorOf(p);
      expect(e.code).toBe('canceled');
      expect(await readdir(templatesDir)).toEqual([]);
      expect((await store().get()).templates).toEqual({});
    } finally {
      delete process.env.FAKE_OVFTOOL_MS;
    }
  });

  it('refuses to start without the disk space a template needs', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    const e = await errorOf(createTemplate(options({ from: ova, minFreeBytes: Number.MAX_SAFE_INTEGER })));
    expect(e.code).toBe('disk-space');
    expect(e.message).toContain(`are free in ${templatesDir}`);
    expect(e.fix).toContain('HALAB_TEMPLATES_DIR');
    expect(await ovftoolCalls()).toHaveLength(0);
  });

  it('says where ovftool should be when it is missing', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    const e = await errorOf(createTemplate(options({ from: ova, env: { ...process.env, HALAB_OVFTOOL: join(host.root, 'no-ovftool') } })));
    expect(e.code).toBe('ovftool-missing');
    expect(e.fix).toMatch(/HALAB_OVFTOOL/);
  });
});

describe('template create from the internet', () => {
  it('downloads with progress, checks SHA256SUMS, converts; the download is reused next time', async () => {
    const ova = join(host.root, 'src.ova');
    await buildOva(ova);
    const bytes = await readFile(ova);
    const sum = createHash('sha256').update(bytes).digest('hex');
    const srv = await serve({ '/img/jammy.ova': bytes, '/img/SHA256SUMS': `${'0'.repeat(64)} *other.img\n${sum} *jammy.ova\n` }, 2);
    try {
      const image = { url: srv.url('/img/jammy.ova'), file: 'jammy.ova', sumsUrl: srv.url('/img/SHA256SUMS') };
      const made = await createTemplate(options({ image }));
      expect(made.source).toBe(join(templatesDir, '.downloads', 'jammy.ova'));
      const dl = lines.filter((l) => l.step === 'download');
      expect(dl.some((l) => /Downloading jammy\.ova: .* of .* \(\d+%\)/.test(l.line))).toBe(true);
      expect(dl.some((l) => /SHA256 of jammy\.ova matches/.test(l.line))).toBe(true);
      const fractions = dl.map((l) => l.fraction).filter((f): f is number => f !== undefined);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      expect(await readdir(join(templatesDir, '.downloads'))).toEqual(['jammy.ova']);
      // Made again (the template folder moved away): the earlier download is used, not fetched again.
      await rm(join(templatesDir, 'ubuntu-22.04'), { recursive: true });
      await createTemplate(options({ image }));
      expect(srv.hits.filter((h) => h === '/img/jammy.ova')).toHaveLength(1);
      expect(lines.some((l) => l.line.startsWith('Using the earlier download'))).toBe(true);
      expect(await ovftoolCalls()).toHaveLength(2);
    } finally {
      srv.server.close();
    }
  });

  it('a download whose checksum does not match is deleted and refused', async () => {
    const srv = await serve({ '/jammy.ova': Buffer.alloc(4096, 1), '/SHA256SUMS': `${'a'.repeat(64)} *jammy.ova\n` });
    try {
      const e = await errorOf(createTemplate(options({ image: { url: srv.url('/jammy.ova'), file: 'jammy.ova', sumsUrl: srv.url('/SHA256SUMS') } })));
      expect(e.code).toBe('checksum');
      expect(await readdir(join(templatesDir, '.downloads'))).toEqual([]);
    } finally {
      srv.server.close();
    }
  });

  it('without internet: a clear error naming the file to fetch and --from', async () => {
    const noNet: typeof fetch = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }));
    const e = await errorOf(createTemplate(options({ fetchImpl: noNet })));
    const image = CLOUD_IMAGES['ubuntu-22.04']!;
    expect(e.code).toBe('offline');
    expect(e.message).toContain(image.url);
    expect(e.message).toContain('ENOTFOUND');
    expect(e.fix).toContain(`halab template create ubuntu-22.04 --from /path/to/${image.file}`);
    expect(await ovftoolCalls()).toHaveLength(0);

    // A --from URL that cannot be reached (a closed port on this machine) says the same.
    const srv = await serve({});
    const url = srv.url('/u.ova');
    await new Promise((r) => srv.server.close(r));
    const e2 = await errorOf(createTemplate(options({ from: url })));
    expect(e2.code).toBe('offline');
    expect(e2.fix).toContain('--from /path/to/u.ova');
  });

  it('an HTTP error names the status; cancel during the download leaves no partial file', async () => {
    const srv = await serve({ '/big.ova': Buffer.alloc(512 * 200, 3) }, 20);
    try {
      const e = await errorOf(createTemplate(options({ from: srv.url('/missing.ova') })));
      expect(e.code).toBe('download');
      expect(e.message).toContain('HTTP 404');
      const ac = new AbortController();
      const p = createTemplate(options({ from: srv.url('/big.ova'), signal: ac.signal }));
      setTimeout(() => ac.abort(), 400);
      expect((await errorOf(p)).code).toBe('canceled');
      expect(await readdir(join(templatesDir, '.downloads'))).toEqual([]);
      expect(lines.some((l) => /Downloading big\.ova: .* \(\d+%\)/.test(l.line))).toBe(true);
    } finally {
      srv.server.close();
    }
  });
});

describe('findOvftool', () => {
  const has = (paths: string[]) => async (p: string) => paths.includes(p);
  it('HALAB_OVFTOOL wins; then beside a vmrun set by hand; then the install folder', async () => {
    expect(await findOvftool({ env: { HALAB_OVFTOOL: '/x/ovftool' }, platform: 'linux', exists: has([]) })).toBe('/x/ovftool');
    expect(await findOvftool({ env: {}, platform: 'linux', vmrun: { path: '/opt/vmw/vmrun', hostType: 'ws', source: 'setting' }, exists: has(['/opt/vmw/ovftool', '/usr/bin/ovftool']) })).toBe('/opt/vmw/ovftool');
    expect(await findOvftool({ env: {}, platform: 'linux', vmrun: { path: '/usr/bin/vmrun', hostType: 'ws', source: 'default' }, exists: has(['/usr/lib/vmware-ovftool/ovftool']) })).toBe('/usr/lib/vmware-ovftool/ovftool');
    const dir = 'D:\\VMware\\Workstation';
    expect(await findOvftool({ env: {}, platform: 'win32', vmrun: { path: `${dir}\\vmrun.exe`, hostType: 'ws', source: 'registry', installDir: dir }, exists: has([`${dir}\\OVFTool\\ovftool.exe`]) })).toBe(`${dir}\\OVFTool\\ovftool.exe`);
    expect(await findOvftool({ env: {}, platform: 'linux', exists: has([]) })).toBeUndefined();
  });
});

describe('template:create and doctor:run through the backend (what the Settings and Doctor screens call)', () => {
  it('template:create is a task: progress on task:update, recorded in Settings; doctor:run then reports the template', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    process.env.HALAB_LABS_DIR = labsDir;
    const backend = createBackend({ mode: 'web', version: 't', dataDir });
    const updates: TaskInfo[] = [];
    const logs: { source: string; line: string }[] = [];
    const off = backend.events.subscribe((channel, payload) => {
      if (channel === 'task:update') updates.push(payload as TaskInfo);
      if (channel === 'log:line') logs.push(payload as { source: string; line: string });
    });
    try {
      const started = await backend.invoke('template:create', { os: 'ubuntu-22.04', from: ova });
      expect(started.ok).toBe(true);
      const taskId = (started as { data: { taskId: string } }).data.taskId;
      for (let i = 0; i < 200 && !updates.some((u) => u.id === taskId && u.state !== 'running'); i++) await new Promise((r) => setTimeout(r, 50));
      const last = updates.filter((u) => u.id === taskId).at(-1)!;
      expect(last).toMatchObject({ kind: 'template', state: 'done', progress: 1 });
      expect(updates.some((u) => u.id === taskId && /Converting/.test(u.step ?? ''))).toBe(true);
      const vmx = join(templatesDir, 'ubuntu-22.04', 'ubuntu-22.04.vmx');
      const s = await backend.invoke('settings:get', {});
      expect((s as { data: { templates: Record<string, string> } }).data.templates).toEqual({ 'ubuntu-22.04': vmx });

      const doc = await backend.invoke('doctor:run', { quick: true });
      expect(doc.ok).toBe(true);
      const report = (doc as { data: DoctorReport }).data;
      expect(report.lines.find((l) => l.id === 'template:ubuntu-22.04')).toMatchObject({ level: 'ok' });
      expect(report.lines.find((l) => l.id === 'template:ubuntu-22.04')!.detail).toContain('has the "halab-base" snapshot');
      // Without quick, the boot check reports what it does on log:line (source doctor); here the clone's start fails, so its line is an error.
      await host.failNext({ start: 1 });
      const deep = (await backend.invoke('doctor:run', {})) as { data: DoctorReport };
      expect(deep.data.lines.find((l) => l.id === 'template-guest:ubuntu-22.04')).toMatchObject({ level: 'error', title: 'Template ubuntu-22.04: the test clone could not be made or started' });
      expect(logs.some((l) => l.source === 'doctor' && /throwaway clone/.test(l.line))).toBe(true);

      // A failure reaches the task with what to do.
      const bad = join(host.root, 'bad.ova');
      await buildOva(bad, { diskFirst: true });
      const t2 = ((await backend.invoke('template:create', { os: 'ubuntu-24.04', from: bad })) as { data: { taskId: string } }).data.taskId;
      for (let i = 0; i < 200 && !updates.some((u) => u.id === t2 && u.state !== 'running'); i++) await new Promise((r) => setTimeout(r, 50));
      const failed = updates.filter((u) => u.id === t2).at(-1)!;
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/Did not find an \.ovf file.*Download it again/);
    } finally {
      off();
      await backend.close();
      delete process.env.HALAB_LABS_DIR;
    }
  });

  it('task:cancel stops a template being made', async () => {
    process.env.FAKE_OVFTOOL_MS = '5000';
    process.env.HALAB_LABS_DIR = labsDir;
    const backend = createBackend({ mode: 'web', version: 't', dataDir });
    try {
      const ova = join(host.root, 'u.ova');
      await buildOva(ova);
      const taskId = ((await backend.invoke('template:create', { os: 'ubuntu-22.04', from: ova })) as { data: { taskId: string } }).data.taskId;
      await new Promise((r) => setTimeout(r, 600));
      expect(await backend.invoke('task:cancel', { id: taskId })).toEqual({ ok: true, data: { canceled: true } });
      let state = 'running';
      for (let i = 0; i < 100 && state === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = ((await backend.invoke('task:list', {})) as { data: TaskInfo[] }).data.find((t) => t.id === taskId)!.state;
      }
      expect(state).toBe('canceled');
      expect(await readdir(templatesDir)).toEqual([]);
    } finally {
      await backend.close();
      delete process.env.FAKE_OVFTOOL_MS;
      delete process.env.HALAB_LABS_DIR;
    }
  });
});

describe('halab template create (the CLI)', () => {
  it('makes the template, prints progress and where it went, exit 0; a damaged OVA exits 3 with what to do', async () => {
    const ova = join(host.root, 'u.ova');
    await buildOva(ova);
    const env = { ...process.env, HALAB_DATA_DIR: dataDir, HALAB_LABS_DIR: labsDir, NO_COLOR: '1' };
    const ok = await run(['node', join(ROOT, 'bin/halab.mjs'), 'template', 'create', 'ubuntu-22.04', '--from', ova], { env, okExitCodes: [0, 1, 2, 3], cwd: ROOT });
    expect(ok.exitCode).toBe(0);
    expect(ok.stderr).toContain('Converting u.ova with ovftool');
    expect(ok.stderr).toContain(`Template ready: ubuntu-22.04 → ${join(templatesDir, 'ubuntu-22.04', 'ubuntu-22.04.vmx')}`);
    expect(JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')).templates['ubuntu-22.04']).toBe(join(templatesDir, 'ubuntu-22.04', 'ubuntu-22.04.vmx'));
    const bad = join(host.root, 'bad.ova');
    await buildOva(bad, { diskFirst: true });
    const no = await run(['node', join(ROOT, 'bin/halab.mjs'), 'template', 'create', 'ubuntu-24.04', '--from', bad], { env, okExitCodes: [0, 1, 2, 3], cwd: ROOT });
    expect(no.exitCode).toBe(3);
    expect(no.stderr).toMatch(/failed: ovftool could not convert .*bad\.ova: Did not find an \.ovf file/);
    expect(no.stderr).toMatch(/→ .*Download it again/);
  });
});
