/**
 * What the template maker's parts share: the known cloud images, the
 * options and progress of `createTemplate`, and its catalog-backed errors.
 */
import { access, constants } from 'node:fs/promises';
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
export function tplError(code: TemplateErrorCode, m: Message, fixM?: Message): TemplateError {
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

export const exists = (p: string) => access(p, constants.F_OK).then(() => true, () => false);
export const isUrl = (s: string) => /^https?:\/\//i.test(s);

export function canceled(): TemplateError {
  return tplError('canceled', msg('tpl.canceled'), msg('tpl.canceled.fix'));
}

/** A download progress line from the catalog. */
export function note(o: CreateTemplateOptions, m: Message, fraction?: number): void {
  o.onProgress?.({ step: 'download', line: render('en', m), lineMsg: m, ...(fraction !== undefined ? { fraction } : {}) });
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw canceled();
}

export const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
