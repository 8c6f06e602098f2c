/**
 * `halab template create <os> [--from FILE.ova|URL]`: a VMware template in
 * one step, from Ubuntu's cloud image OVA.
 *
 * 1. The OVA: a local file, or downloaded (Node fetch, progress, cancel) into
 *    `<templates>/.downloads/` and, for Ubuntu's own image, checked against
 *    the SHA256SUMS published beside it. Without internet: an error naming
 *    the file to fetch elsewhere and `--from`.
 * 2. `ovftool` (VMware's OVF Tool, shipped with Workstation) converts it into
 *    a temporary folder; a `halab-template.json` marker is written there and
 *    the folder is renamed into place (`<templates>/<os>/<os>.vmx`).
 * 3. The .vmx is prepared for cloud-init's VMware datasource: no `guestinfo.*`
 *    key and no OVF environment is left, so ds-identify finds the VMware
 *    datasource from the `guestinfo.metadata`/`userdata` each clone gets (the
 *    cloud image ships open-vm-tools and a cloud-init with DataSourceVMware);
 *    NICs on NAT (the driver rewires them per VM), `msg.autoAnswer` on.
 * 4. The `halab-base` snapshot linked clones hang off is taken with vmrun
 *    (the template is never booted: nothing in the guest is changed).
 * 5. The template is recorded (the caller saves it in Settings) and the
 *    marker says complete. A re-run resumes an unfinished template or
 *    reuses a finished one; a folder halab did not make is never touched.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { basename, dirname, join, win32 } from 'node:path';
import { CommandError, run } from '../../exec/runner.js';
import { findVmrun, type VmrunLocation } from './find-vmrun.js';
import { VmrunClient } from './vmrun-client.js';
import { errorText } from './vmrun-errors.js';
import { VmxFile } from './vmx-file.js';
import { msg, render, type Message } from '../../shared/i18n';
import { checkAbort, canceled, exists, mib, tplError, TemplateError, type CreateTemplateOptions } from './template-common.js';
import { sourceFile } from './template-download.js';

export { CLOUD_IMAGES, TemplateError, type CloudImage, type CreateTemplateOptions, type TemplateErrorCode, type TemplateProgress } from './template-common.js';

/** The snapshot the VMware driver clones from. */
export const BASE_SNAPSHOT = 'halab-base';
const MARKER = 'halab-template.json';

export interface TemplateCreated {
  os: string;
  vmx: string;
  snapshot: string;
  /** The OVA the template came from. */
  source: string;
  /** True when a finished template was already there. */
  reused: boolean;
}

interface Marker {
  os: string;
  source: string;
  createdAt: string;
  complete: boolean;
}
/** The templates folder for a labs folder. */
export function templatesDirFor(labsDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.HALAB_TEMPLATES_DIR || join(dirname(labsDir), 'templates');
}

export interface FindOvftoolOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Where vmrun was found (ovftool is looked for beside it). */
  vmrun?: VmrunLocation;
  exists?: (path: string) => Promise<boolean>;
}

/**
 * ovftool: HALAB_OVFTOOL, else where Workstation installs it — Windows
 * `<install dir>\OVFTool\ovftool.exe`; Linux `/usr/bin/ovftool` or
 * `/usr/lib/vmware-ovftool/ovftool` — or beside a vmrun that was set by
 * hand (settings / HALAB_VMRUN). Never from PATH, like vmrun.
 */
export async function findOvftool(o: FindOvftoolOptions = {}): Promise<string | undefined> {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const has = o.exists ?? exists;
  if (env.HALAB_OVFTOOL) return env.HALAB_OVFTOOL;
  const candidates: string[] = [];
  if (o.vmrun && o.vmrun.source !== 'default' && o.vmrun.source !== 'registry') {
    candidates.push(platform === 'win32' ? win32.join(win32.dirname(o.vmrun.path), 'ovftool.exe') : join(dirname(o.vmrun.path), 'ovftool'));
  }
  if (platform === 'win32') {
    const dir = o.vmrun?.installDir ?? (o.vmrun ? win32.dirname(o.vmrun.path) : 'C:\\Program Files (x86)\\VMware\\VMware Workstation');
    candidates.push(win32.join(dir, 'OVFTool', 'ovftool.exe'), win32.join(dir, 'ovftool.exe'));
  } else if (platform === 'darwin') {
    candidates.push('/Applications/VMware Fusion.app/Contents/Library/VMware OVF Tool/ovftool');
  } else {
    candidates.push('/usr/bin/ovftool', '/usr/lib/vmware-ovftool/ovftool', '/usr/lib/vmware/ovftool/ovftool');
  }
  for (const c of candidates) if (await has(c)) return c;
  return undefined;
}
async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

async function writeMarker(dir: string, m: Marker): Promise<void> {
  await writeFile(join(dir, MARKER), `${JSON.stringify(m, null, 2)}\n`);
}

/** What ovftool's failure means for the user. */
function convertError(e: CommandError, source: string): TemplateError {
  const text = errorText(`${e.stdout}\n${e.stderr}`) || e.message;
  if (e.reason === 'not-found' || e.reason === 'spawn') {
    return tplError('ovftool-missing', msg('tpl.ovftoolRun', { error: e.message }), msg('tpl.ovftoolRun.fix'));
  }
  if (e.reason === 'timeout') return tplError('convert', msg('tpl.ovftoolSlow', { source }), msg('tpl.ovftoolSlow.fix'));
  let fix: Message = msg('tpl.convert.fix', { source });
  if (/ovf file at the beginning|manifest|could not be found|parse/i.test(text)) fix = msg('tpl.convert.fixDamaged', { source });
  else if (/space|disk full|write/i.test(text)) fix = msg('tpl.convert.fixSpace');
  return tplError('convert', msg('tpl.convert', { source, error: text }), fix);
}

/** Make the converted .vmx a template for cloud-init's VMware datasource (see module doc). */
async function prepareVmx(vmxPath: string, os: string): Promise<void> {
  const vmx = await VmxFile.read(vmxPath);
  vmx.deleteMatching(/^guestinfo\./);
  vmx.deleteMatching(/^vmx\.ovfenv|^ovfenv\./);
  for (let i = 0; i < 10; i++) {
    if ((vmx.get(`ethernet${i}.present`) ?? '').toUpperCase() !== 'TRUE') continue;
    vmx.set(`ethernet${i}.connectionType`, 'nat');
    vmx.delete(`ethernet${i}.vnet`);
  }
  if (!vmx.get('guestOS')) vmx.set('guestOS', 'ubuntu-64');
  vmx.set('displayName', `halab template ${os}`);
  vmx.set('msg.autoAnswer', 'TRUE');
  vmx.set('tools.syncTime', 'TRUE');
  await vmx.write(vmxPath, { state: 'off' });
}

/** Create (or finish, or reuse) the template of `o.os`. */
export async function createTemplate(o: CreateTemplateOptions): Promise<TemplateCreated> {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(o.os)) throw tplError('usage', msg('tpl.badOs', { os: o.os }), msg('tpl.badOs.fix'));
  const progress = (step: string, m: Message, fraction?: number) => o.onProgress?.({ step, line: render('en', m), lineMsg: m, ...(fraction !== undefined ? { fraction } : {}) });
  const dir = o.templatesDir ?? templatesDirFor(o.labsDir, env);
  const finalDir = join(dir, o.os);
  const vmx = join(finalDir, `${o.os}.vmx`);

  const where = await findVmrun({ setting: o.vmrunPath, env, platform });
  if (!where) {
    throw tplError('vmrun', msg('tpl.noVmrun'), msg('tpl.noVmrun.fix'));
  }
  const client = new VmrunClient({ vmrunPath: where.path, hostType: where.hostType, platform });

  let marker = await readMarker(finalDir);
  if (!marker && (await exists(finalDir))) {
    throw tplError('exists', msg('tpl.exists', { path: finalDir }), msg('tpl.exists.fix'));
  }
  let source = marker?.source ?? '';
  const reused = marker?.complete === true;
  if (!marker) {
    const ovftool = o.ovftoolPath ?? (await findOvftool({ env, platform, vmrun: where }));
    if (!ovftool) {
      throw tplError('ovftool-missing', msg('tpl.noOvftool'), msg('tpl.noOvftool.fix'));
    }
    await mkdir(dir, { recursive: true });
    const need = o.minFreeBytes ?? 4 * 1024 ** 3;
    const fs = await statfs(dir).catch(() => undefined);
    if (fs && fs.bavail * fs.bsize < need) {
      throw tplError('disk-space', msg('tpl.space', { free: mib(fs.bavail * fs.bsize), path: dir, need: mib(need) }), msg('tpl.space.fix'));
    }
    source = await sourceFile(o, dir);
    checkAbort(o.signal);
    const tmpDir = join(dir, `.${o.os}.${randomBytes(4).toString('hex')}.partial`);
    const tmpVmx = join(tmpDir, `${o.os}.vmx`);
    try {
      await mkdir(tmpDir, { recursive: true });
      progress('convert', msg('tpl.p.convert', { file: basename(source) }), 0.62);
      try {
        await run([ovftool, '--acceptAllEulas', '--lax', source, tmpVmx], { timeoutMs: o.convertTimeoutMs ?? 60 * 60_000, signal: o.signal });
      } catch (e) {
        if (o.signal?.aborted) throw canceled();
        if (e instanceof CommandError) throw convertError(e, source);
        throw e;
      }
      if (!(await exists(tmpVmx))) throw tplError('convert', msg('tpl.noVmx', { file: basename(tmpVmx) }), msg('tpl.noVmx.fix'));
      checkAbort(o.signal);
      progress('prepare', msg('tpl.p.prepare'), 0.85);
      await prepareVmx(tmpVmx, o.os);
      marker = { os: o.os, source, createdAt: new Date().toISOString(), complete: false };
      await writeMarker(tmpDir, marker);
      checkAbort(o.signal);
      await rename(tmpDir, finalDir);
    } catch (e) {
      await rm(tmpDir, { recursive: true, force: true });
      throw e;
    }
  } else if (!reused) {
    progress('prepare', msg('tpl.p.finish', { path: finalDir }), 0.85);
  }

  const snaps = await client.listSnapshots(vmx, { signal: o.signal }).catch((e: unknown) => {
    if (o.signal?.aborted) throw canceled();
    throw tplError('vmrun', msg('tpl.listSnaps', { vmx, error: (e as Error).message }), msg('tpl.listSnaps.fix'));
  });
  if (!snaps.includes(BASE_SNAPSHOT)) {
    progress('snapshot', msg('tpl.p.snapshot', { name: BASE_SNAPSHOT }), 0.92);
    await client.snapshot(vmx, BASE_SNAPSHOT, { signal: o.signal }).catch((e: unknown) => {
      if (o.signal?.aborted) throw canceled();
      throw tplError('vmrun', msg('tpl.snap', { vmx, error: (e as Error).message }), msg('tpl.snap.fix'));
    });
  }
  checkAbort(o.signal);
  if (o.record) {
    progress('record', msg('tpl.p.record', { os: o.os, vmx }), 0.98);
    await o.record(o.os, vmx);
  }
  if (!marker!.complete) await writeMarker(finalDir, { ...marker!, complete: true });
  progress('record', msg(reused ? 'tpl.p.existed' : 'tpl.p.ready', { os: o.os, vmx }), 1);
  return { os: o.os, vmx, snapshot: BASE_SNAPSHOT, source, reused };
}
