/**
 * E2E plumbing: build the renderer when it is stale, start the REAL web
 * server (web mode backend) in-process, and launch Debian's Chromium
 * headless with a fresh profile. Shared by the Playwright tests and the
 * browser benchmark.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createBackend } from '../../../src-main/backend/backend';
import { startWebServer, type WebServer } from '../../../src-main/server/web-server';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const STATIC_DIR = join(ROOT, 'out/renderer');
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');
export const CHROMIUM = '/usr/bin/chromium';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build with the project's electron-vite config unless out/renderer is newer than every source it is built from. */
export function ensureRendererBuilt(): void {
  const index = join(STATIC_DIR, 'index.html');
  const sources = Math.max(newest(join(ROOT, 'src-renderer')), newest(join(ROOT, 'src-main/shared')));
  if (existsSync(index) && statSync(index).mtimeMs > sources && process.env.HALAB_E2E_REBUILD !== '1') return;
  // node + the bin script: the .bin shim is not executable in every checkout.
  execFileSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
}

export interface Session {
  server: WebServer;
  context: BrowserContext;
  page: Page;
  /** The URL with the token, as `halab serve` prints it. */
  url: string;
  close(): Promise<void>;
}

/** Real web server + a fresh Chromium profile; `close()` removes both. */
export async function openSession(opts: { viewport?: { width: number; height: number } } = {}): Promise<Session> {
  const dataDir = mkdtempSync(join(tmpdir(), 'halab-e2e-data-'));
  const profile = mkdtempSync(join(tmpdir(), 'halab-e2e-chromium-'));
  const backend = createBackend({ mode: 'web', version: 'e2e', dataDir });
  const server = await startWebServer({ backend, staticDir: STATIC_DIR, port: 0 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: opts.viewport ?? { width: 1480, height: 920 },
    acceptDownloads: true,
    locale: 'en-US',
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const url = server.url.includes('token=') ? server.url : `${server.url.replace(/\/$/, '')}/?token=${server.token}`;
  return {
    server,
    context,
    page,
    url,
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Save a screenshot artifact (never compared). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
