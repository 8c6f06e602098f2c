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
  constructor(
    message: string,
    readonly fix?: string,
    readonly code: 'offline' | 'download' | 'checksum' | 'ovftool-missing' | 'convert' | 'vmrun' | 'exists' | 'usage' | 'canceled' | 'disk-space' = 'convert',
  ) {
    super(message);
  }
}

export interface TemplateProgress {
  /** `download`, `convert`, `prepare`, `snapshot`, `record`. */
  step: string;
  line: string;
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
  return new TemplateError('Template creation was canceled; nothing was recorded.', 'Run the same command again to start over.', 'canceled');
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
  return new TemplateError(
    `Could not download ${url} (${reason}). This computer seems to have no internet connection, or that server cannot be reached from here.`,
    `On a computer with internet, download ${url} (the file ${file}), copy it to this computer, then run: halab template create ${os} --from /path/to/${file}`,
    'offline',
  );
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
    throw new TemplateError(
      `Downloading ${url} failed: the server answered HTTP ${res.status} ${res.statusText}.`,
      `Check the address. You can also download the file yourself and run: halab template create ${o.os} --from /path/to/${file}`,
      'download',
    );
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
    o.onProgress?.({ step: 'download', line: `Downloading ${file}: ${mib(got)}${total ? ` of ${mib(total)} (${pct}%)` : ''}`, ...(fraction !== undefined ? { fraction } : {}) });
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
    throw new TemplateError(`The download of ${url} broke off after ${mib(got)} (${fetchReason(e)}).`, `Run the same command again; or download the file yourself and use --from /path/to/${file}.`, 'download');
  }
  if (total && got !== total) {
    await rm(part, { force: true });
    throw new TemplateError(`The download of ${url} is incomplete (${mib(got)} of ${mib(total)}).`, 'Run the same command again.', 'download');
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
    o.onProgress?.({ step: 'download', line: `Could not fetch ${image.sumsUrl} (${fetchReason(e)}); the download's checksum was not verified.` });
    return;
  }
  const want = sums.split(/\r?\n/).map((l) => /^([0-9a-f]{64})\s+\*?(.+)$/i.exec(l.trim())).find((m) => m?.[2] === image.file)?.[1];
  if (!want) {
    o.onProgress?.({ step: 'download', line: `${image.sumsUrl} does not list ${image.file}; the checksum was not verified.` });
    return;
  }
  const got = await sha256Of(file, o.signal);
  if (got.toLowerCase() !== want.toLowerCase()) {
    await rm(file, { force: true });
    throw new TemplateError(`The downloaded ${image.file} is damaged (SHA256 ${got}, expected ${want}); it was deleted.`, 'Run the same command again to download it afresh.', 'checksum');
  }
  o.onProgress?.({ step: 'download', line: `SHA256 of ${image.file} matches ${image.sumsUrl}.` });
}

/** The local OVA to convert: the given file, or a (cached) download. */
async function sourceFile(o: CreateTemplateOptions, dir: string): Promise<string> {
  const image = o.image ?? CLOUD_IMAGES[o.os];
  const from = o.from;
  if (from && !isUrl(from)) {
    const st = await stat(from).catch(() => undefined);
    if (!st?.isFile()) throw new TemplateError(`There is no file at ${from}.`, 'Give the path of the downloaded .ova file with --from.', 'usage');
    if (!/\.(ova|ovf)$/i.test(from)) throw new TemplateError(`${from} is not an .ova or .ovf file.`, `Use Ubuntu's cloud image OVA${image ? ` (${image.file})` : ''}.`, 'usage');
    return from;
  }
  if (!from && !image) {
    const known = Object.keys(CLOUD_IMAGES).join(', ');
    throw new TemplateError(`There is no known cloud image for "${o.os}".`, `Use one of: ${known}; or give an OVA with --from FILE.ova|URL.`, 'usage');
  }
  const url = from ?? image!.url;
  const file = from ? decodeURIComponent(basename(new URL(from).pathname)) || `${o.os}.ova` : image!.file;
  const downloads = join(dir, '.downloads');
  await mkdir(downloads, { recursive: true });
  const dest = join(downloads, file);
  if (await exists(dest)) {
    o.onProgress?.({ step: 'download', line: `Using the earlier download ${dest}.`, fraction: 0.6 });
    return dest;
  }
  o.onProgress?.({ step: 'download', line: `Downloading ${url}`, fraction: 0 });
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
    return new TemplateError(`ovftool could not be run (${e.message}).`, 'Repair VMware Workstation (its installer includes the OVF Tool), or set HALAB_OVFTOOL to the path of ovftool.', 'ovftool-missing');
  }
  if (e.reason === 'timeout') return new TemplateError(`ovftool took too long converting ${source}.`, 'Check free disk space and try again.', 'convert');
  let fix = `Check that ${source} is a complete OVA (Ubuntu's cloud image), download it again if unsure, and try again.`;
  if (/ovf file at the beginning|manifest|could not be found|parse/i.test(text)) fix = `${source} is damaged or not an OVA. Download it again (its SHA256 must match the SHA256SUMS file beside it) and try again.`;
  else if (/space|disk full|write/i.test(text)) fix = 'Free some disk space in the templates folder and try again.';
  return new TemplateError(`ovftool could not convert ${source}: ${text}`, fix, 'convert');
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
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(o.os)) throw new TemplateError(`"${o.os}" is not an OS name.`, 'Use a name like ubuntu-22.04.', 'usage');
  const progress = (step: string, line: string, fraction?: number) => o.onProgress?.({ step, line, ...(fraction !== undefined ? { fraction } : {}) });
  const dir = o.templatesDir ?? templatesDirFor(o.labsDir, env);
  const finalDir = join(dir, o.os);
  const vmx = join(finalDir, `${o.os}.vmx`);

  const where = await findVmrun({ setting: o.vmrunPath, env, platform });
  if (!where) {
    throw new TemplateError(
      'VMware Workstation is not installed on this computer (vmrun was not found), so no template can be made.',
      'Install VMware Workstation Pro 17 (free for all use), or set the vmrun path in Settings or HALAB_VMRUN.',
      'vmrun',
    );
  }
  const client = new VmrunClient({ vmrunPath: where.path, hostType: where.hostType, platform });

  let marker = await readMarker(finalDir);
  if (!marker && (await exists(finalDir))) {
    throw new TemplateError(`${finalDir} already exists and was not made by halab, so it is left alone.`, `Move that folder away, or set HALAB_TEMPLATES_DIR to another folder, then try again.`, 'exists');
  }
  let source = marker?.source ?? '';
  const reused = marker?.complete === true;
  if (!marker) {
    const ovftool = o.ovftoolPath ?? (await findOvftool({ env, platform, vmrun: where }));
    if (!ovftool) {
      throw new TemplateError(
        'ovftool (VMware OVF Tool) was not found. It comes with VMware Workstation: <Workstation folder>\\OVFTool\\ovftool.exe on Windows, /usr/bin/ovftool on Linux.',
        'Repair or reinstall VMware Workstation with its OVF Tool, or set HALAB_OVFTOOL to the full path of ovftool.',
        'ovftool-missing',
      );
    }
    await mkdir(dir, { recursive: true });
    const need = o.minFreeBytes ?? 4 * 1024 ** 3;
    const fs = await statfs(dir).catch(() => undefined);
    if (fs && fs.bavail * fs.bsize < need) {
      throw new TemplateError(
        `Only ${mib(fs.bavail * fs.bsize)} are free in ${dir}; making a template needs about ${mib(need)} (the OVA and the converted disk).`,
        'Free some disk space there, or set HALAB_TEMPLATES_DIR to a folder on a disk with more room, then try again.',
        'disk-space',
      );
    }
    source = await sourceFile(o, dir);
    checkAbort(o.signal);
    const tmpDir = join(dir, `.${o.os}.${randomBytes(4).toString('hex')}.partial`);
    const tmpVmx = join(tmpDir, `${o.os}.vmx`);
    try {
      await mkdir(tmpDir, { recursive: true });
      progress('convert', `Converting ${basename(source)} with ovftool (this takes a few minutes)…`, 0.62);
      try {
        await run([ovftool, '--acceptAllEulas', '--lax', source, tmpVmx], { timeoutMs: o.convertTimeoutMs ?? 60 * 60_000, signal: o.signal });
      } catch (e) {
        if (o.signal?.aborted) throw canceled();
        if (e instanceof CommandError) throw convertError(e, source);
        throw e;
      }
      if (!(await exists(tmpVmx))) throw new TemplateError(`ovftool finished but wrote no ${basename(tmpVmx)}.`, 'Run ovftool by hand to see its messages, or report this.', 'convert');
      checkAbort(o.signal);
      progress('prepare', 'Preparing the .vmx for cloud-init\'s VMware datasource (guestinfo)', 0.85);
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
    progress('prepare', `Finishing the template started earlier in ${finalDir}`, 0.85);
  }

  const snaps = await client.listSnapshots(vmx, { signal: o.signal }).catch((e: unknown) => {
    if (o.signal?.aborted) throw canceled();
    throw new TemplateError(`vmrun could not read the snapshots of ${vmx}: ${(e as Error).message}`, 'Start VMware Workstation once as this user, close any dialog it shows, then try again.', 'vmrun');
  });
  if (!snaps.includes(BASE_SNAPSHOT)) {
    progress('snapshot', `Taking the snapshot "${BASE_SNAPSHOT}" that lab VMs are linked clones of`, 0.92);
    await client.snapshot(vmx, BASE_SNAPSHOT, { signal: o.signal }).catch((e: unknown) => {
      if (o.signal?.aborted) throw canceled();
      throw new TemplateError(`vmrun could not take the snapshot of ${vmx}: ${(e as Error).message}`, 'Make sure the template is not open in VMware Workstation, then run the same command again (it carries on from here).', 'vmrun');
    });
  }
  checkAbort(o.signal);
  if (o.record) {
    progress('record', `Recording ${o.os} → ${vmx} in Settings`, 0.98);
    await o.record(o.os, vmx);
  }
  if (!marker!.complete) await writeMarker(finalDir, { ...marker!, complete: true });
  progress('record', reused ? `The template ${o.os} already existed: ${vmx}` : `Template ${o.os} is ready: ${vmx}`, 1);
  return { os: o.os, vmx, snapshot: BASE_SNAPSHOT, source, reused };
}
