/**
 * Headless Chromium for pictures and print: an SVG as a PNG (screenshot)
 * and an HTML document as a PDF (print to PDF). Runs through the one
 * command runner. Where no Chromium is found, the error says so and what
 * to do instead.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../exec/runner';
import { svgSize } from '../shared/blueprint/topology-svg';

export class ChromiumMissingError extends Error {
  constructor(what: string) {
    super(`No headless Chromium was found, so ${what} cannot be made on this computer. Install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or set HALAB_CHROMIUM to a Chrome/Chromium/Edge executable; the SVG and HTML formats need nothing.`);
    this.name = 'ChromiumMissingError';
  }
}

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
];

/** The Chromium executable: `HALAB_CHROMIUM` when set (even if wrong, so the error names it), else the first one found. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HALAB_CHROMIUM !== undefined) return env.HALAB_CHROMIUM && existsSync(env.HALAB_CHROMIUM) ? env.HALAB_CHROMIUM : undefined;
  return CANDIDATES.find((c) => existsSync(c));
}

function baseArgs(profile: string): string[] {
  const args = ['--headless', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--no-default-browser-check', '--disable-extensions', `--user-data-dir=${profile}`];
  // Chromium refuses to run as root with its sandbox.
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--no-sandbox');
  return args;
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'halab-chromium-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Render an SVG picture (from `toTopologySvg`) to PNG bytes at `scale`× its size. */
export async function svgToPng(svg: string, opts: { scale?: number; signal?: AbortSignal; chromium?: string } = {}): Promise<Buffer> {
  const chromium = opts.chromium ?? findChromium();
  if (!chromium) throw new ChromiumMissingError('a PNG');
  const size = svgSize(svg);
  if (!size) throw new Error('The SVG has no width and height; only pictures made by halab can be turned into PNG.');
  const scale = opts.scale ?? 2;
  return withTemp(async (dir) => {
    const page = join(dir, 'picture.html');
    const out = join(dir, 'picture.png');
    await writeFile(page, `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;background:#fff;overflow:hidden}svg{display:block}</style></head><body>${svg}</body></html>`);
    await run([chromium, ...baseArgs(join(dir, 'profile')), `--force-device-scale-factor=${scale}`, `--window-size=${Math.ceil(size.width)},${Math.ceil(size.height)}`, `--screenshot=${out}`, pathToFileURL(page).href], { timeoutMs: 60_000, signal: opts.signal });
    if (!(await stat(out).catch(() => undefined))) throw new Error(`Chromium (${chromium}) ran but wrote no PNG.`);
    return readFile(out);
  });
}

/** Print an HTML document to PDF bytes (A4, the page's print stylesheet). */
export async function htmlToPdf(html: string, opts: { signal?: AbortSignal; chromium?: string } = {}): Promise<Buffer> {
  const chromium = opts.chromium ?? findChromium();
  if (!chromium) throw new ChromiumMissingError('a PDF');
  return withTemp(async (dir) => {
    const page = join(dir, 'report.html');
    const out = join(dir, 'report.pdf');
    await writeFile(page, html);
    await run([chromium, ...baseArgs(join(dir, 'profile')), '--no-pdf-header-footer', '--print-to-pdf-no-header', `--print-to-pdf=${out}`, pathToFileURL(page).href], { timeoutMs: 120_000, signal: opts.signal });
    if (!(await stat(out).catch(() => undefined))) throw new Error(`Chromium (${chromium}) ran but wrote no PDF.`);
    return readFile(out);
  });
}
