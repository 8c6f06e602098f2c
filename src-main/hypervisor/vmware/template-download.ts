/**
 * The OVA for `halab template create`: a local file, or a download (Node
 * fetch, progress, cancel, `.part` renamed when complete) checked against
 * the SHA256SUMS published beside Ubuntu's image.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { msg, render } from '../../shared/i18n';
import { canceled, CLOUD_IMAGES, exists, isUrl, mib, note, tplError, type CloudImage, type CreateTemplateOptions, type TemplateError } from './template-common.js';

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
export async function sourceFile(o: CreateTemplateOptions, dir: string): Promise<string> {
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
