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
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, dirname, join, win32 } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandError, run } from '../../exec/runner.js';
import { findVmrun, type VmrunLocation } from './find-vmrun.js';
import { VmrunClient } from './vmrun-client.js';
import { errorText } from './vmrun-errors.js';
import { VmxFile } from './vmx-file.js';
import { msg, render, type Message } from '../../shared/i18n';

/** A cloud image the command knows how to fetch. */
export interface CloudImage {
  url: string;
  /** File name of the download. */
  file: string;
  /** SHA256SUMS file published beside it (checked when reachable). */
  sumsUrl?: string;
}

/** Ubuntu's official cloud image OVAs (cloud-images.ubuntu.com, "release" = the latest point release). */
export const CLOUD_IMAGES: Record<string, CloudImage> = {
  'ubuntu-22.04': {
    url: 'https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.ova',
    file: 'ubuntu-22.04-server-cloudimg-amd64.ova',
    sumsUrl: 'https://cloud-images.ubuntu.com/releases/22.04/release/SHA256SUMS',
  },
};

/** The snapshot the VMware driver clones from. */
export const BASE_SNAPSHOT = 'halab-base';
const MARKER = 'halab-template.json';

/** A failure a user can act on: what went wrong, and what to do. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  /** The same failure and fix from the message catalog (rendered in the reader's language). */
  msg?: Message;
  fixMsg?: Message;
  constructor(
    message: string,
    readonly fix?: string,
    readonly code: TemplateErrorCode = 'convert',
  ) {
    super(message);
  }
}
export type TemplateErrorCode = 'offline' | 'download' | 'checksum' | 'ovftool-missing' | 'convert' | 'vmrun' | 'exists' | 'usage' | 'canceled' | 'disk-space';

/** A TemplateError from catalog messages (English kept in `message`/`fix`). */
function tplError(code: TemplateErrorCode, m: Message, fixM?: Message): TemplateError {
  const e = new TemplateError(render('en', m), fixM ? render('en', fixM) : undefined, code);
  e.msg = m;
  if (fixM) e.fixMsg = fixM;
  return e;
}

export interface TemplateProgress {
  /** `download`, `convert`, `prepare`, `snapshot`, `record`. */
  step: string;
  line: string;
  /** `line` from the message catalog. */
  lineMsg?: Message;
  /** Overall progress 0…1 when known. */
  fraction?: number;
}

export interface CreateTemplateOptions {
  /** OS name, e.g. `ubuntu-22.04`. */
  os: string;
  /** A local .ova (or .ovf) file, or an http(s) URL; default: the OS's cloud image. */
  from?: string;
  /** Labs folder from the host settings; templates go beside it (`../templates`). */
  labsDir: string;
  /** Where templates go (default HALAB_TEMPLATES_DIR, else `<labsDir>/../templates`). */
  templatesDir?: string;
  /** vmrun path from the settings (else discovery). */
  vmrunPath?: string;
  /** ovftool path (else HALAB_OVFTOOL, else discovery beside Workstation). */
  ovftoolPath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  signal?: AbortSignal;
  onProgress?: (p: TemplateProgress) => void;
  /** Save the template in Settings (called once it is complete). */
  record?: (os: string, vmx: string) => Promise<void>;
  /** Replaceable for tests (a loopback server); defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  /** Replaces CLOUD_IMAGES[os] (tests serve an image from a loopback server). */
  image?: CloudImage;
  /** Conversion timeout (default 60 min). */
  convertTimeoutMs?: number;
  /** Free space the templates folder needs before starting (default 4 GiB: the OVA plus the converted disk). */
  minFreeBytes?: number;
}

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

const exists = (p: string) => access(p, constants.F_OK).then(() => true, () => false);
const isUrl = (s: string) => /^https?:\/\//i.test(s);

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

function canceled(): TemplateError {
  return tplError('canceled', msg('tpl.canceled'), msg('tpl.canceled.fix'));
}

/** A download progress line from the catalog. */
function note(o: CreateTemplateOptions, m: Message, fraction?: number): void {
  o.onProgress?.({ step: 'download', line: render('en', m), lineMsg: m, ...(fraction !== undefined ? { fraction } : {}) });
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw canceled();
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** The words of a fetch failure (`fetch failed` hides the reason in `cause`). */
function fetchReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message;
}

function offline(url: string, os: string, file: string, reason: string): TemplateError {
  return tplError('offline', msg('tpl.offline', { url, reason }), msg('tpl.offline.fix', { url, file, os }));
}

/** Download `url` to `dest` (via `dest.part`, renamed when complete), reporting progress. */
async function download(url: string, dest: string, o: CreateTemplateOptions, from: [number, number]): Promise<void> {
  const fetchImpl = o.fetchImpl ?? fetch;
  const file = basename(dest);
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: o.signal, redirect: 'follow' });
  } catch (e) {
    if (o.signal?.aborted) throw canceled();
    throw offline(url, o.os, file, fetchReason(e));
  }
  if (!res.ok || !res.body) {
    throw tplError('download', msg('tpl.http', { url, status: `${res.status} ${res.statusText}`.trim() }), msg('tpl.http.fix', { os: o.os, file }));
  }
  const total = Number(res.headers.get('content-length')) || 0;
  const part = `${dest}.part`;
  let got = 0;
  let shown = -1;
  let shownAt = 0;
  const report = (force = false) => {
    const pct = total ? Math.floor((got / total) * 100) : -1;
    if (!force && (pct === shown || Date.now() - shownAt < 250)) return;
    shown = pct;
    shownAt = Date.now();
    const fraction = total ? from[0] + (from[1] - from[0]) * (got / total) : undefined;
    const m = total ? msg('tpl.p.downloadingOf', { file, got: mib(got), total: mib(total), pct }) : msg('tpl.p.downloading', { file, got: mib(got) });
    o.onProgress?.({ step: 'download', line: render('en', m), lineMsg: m, ...(fraction !== undefined ? { fraction } : {}) });
  };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      got += chunk.length;
      report();
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, createWriteStream(part), { signal: o.signal });
  } catch (e) {
    await rm(part, { force: true });
    if (o.signal?.aborted) throw canceled();
    throw tplError('download', msg('tpl.brokeOff', { url, got: mib(got), reason: fetchReason(e) }), msg('tpl.brokeOff.fix', { file }));
  }
  if (total && got !== total) {
    await rm(part, { force: true });
    throw tplError('download', msg('tpl.incomplete', { url, got: mib(got), total: mib(total) }), msg('tpl.again.fix'));
  }
  report(true);
  await rename(part, dest);
}

async function sha256Of(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h, { signal });
  return h.digest('hex');
}

/** Check `file` against a SHA256SUMS listing; a listing that cannot be fetched is reported, not fatal. */
async function verifyChecksum(file: string, image: CloudImage, o: CreateTemplateOptions): Promise<void> {
  if (!image.sumsUrl) return;
  let sums: string;
  try {
    const res = await (o.fetchImpl ?? fetch)(image.sumsUrl, { signal: o.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    sums = await res.text();
  } catch (e) {
    if (o.signal?.aborted) throw canceled();
    note(o, msg('tpl.p.noSums', { url: image.sumsUrl, reason: fetchReason(e) }));
    return;
  }
  const want = sums.split(/\r?\n/).map((l) => /^([0-9a-f]{64})\s+\*?(.+)$/i.exec(l.trim())).find((m) => m?.[2] === image.file)?.[1];
  if (!want) {
    note(o, msg('tpl.p.notListed', { url: image.sumsUrl, file: image.file }));
    return;
  }
  const got = await sha256Of(file, o.signal);
  if (got.toLowerCase() !== want.toLowerCase()) {
    await rm(file, { force: true });
    throw tplError('checksum', msg('tpl.damaged', { file: image.file, got, want }), msg('tpl.damaged.fix'));
  }
  note(o, msg('tpl.p.sumOk', { file: image.file, url: image.sumsUrl }));
}

/** The local OVA to convert: the given file, or a (cached) download. */
async function sourceFile(o: CreateTemplateOptions, dir: string): Promise<string> {
  const image = o.image ?? CLOUD_IMAGES[o.os];
  const from = o.from;
  if (from && !isUrl(from)) {
    const st = await stat(from).catch(() => undefined);
    if (!st?.isFile()) throw tplError('usage', msg('tpl.noFile', { path: from }), msg('tpl.noFile.fix'));
    if (!/\.(ova|ovf)$/i.test(from)) throw tplError('usage', msg('tpl.notOva', { path: from }), image ? msg('tpl.notOva.fixFile', { file: image.file }) : msg('tpl.notOva.fix'));
    return from;
  }
  if (!from && !image) {
    const known = Object.keys(CLOUD_IMAGES).join(', ');
    throw tplError('usage', msg('tpl.unknownOs', { os: o.os }), msg('tpl.unknownOs.fix', { known }));
  }
  const url = from ?? image!.url;
  const file = from ? decodeURIComponent(basename(new URL(from).pathname)) || `${o.os}.ova` : image!.file;
  const downloads = join(dir, '.downloads');
  await mkdir(downloads, { recursive: true });
  const dest = join(downloads, file);
  if (await exists(dest)) {
    note(o, msg('tpl.p.earlier', { path: dest }), 0.6);
    return dest;
  }
  note(o, msg('tpl.p.download', { url }), 0);
  await download(url, dest, o, [0, 0.6]);
  if (!from && image) await verifyChecksum(dest, image, o);
  return dest;
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
