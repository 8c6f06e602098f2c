/**
 * A web-mode session for the VMware UI test: the REAL backend and web
 * server in-process, reading and writing the settings file in the data
 * folder the test gives (the same one `HALAB_DATA_DIR` names, so the lab
 * runtime and the Settings screen share it), and a fresh headless Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createBackend } from '../../src-main/backend/backend';
import { startWebServer, type WebServer } from '../../src-main/server/web-server';
import { CHROMIUM, STATIC_DIR } from './support/harness';

export interface VmwareSession {
  server: WebServer;
  context: BrowserContext;
  page: Page;
  url: string;
  close(): Promise<void>;
}

export async function openVmwareSession(dataDir: string): Promise<VmwareSession> {
  const profile = mkdtempSync(join(tmpdir(), 'halab-e2e-chromium-'));
  const backend = createBackend({ mode: 'web', version: 'e2e', dataDir });
  const server = await startWebServer({ backend, staticDir: STATIC_DIR, port: 0 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1480, height: 980 },
    locale: 'en-US',
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    server,
    context,
    page,
    url: server.url,
    async close() {
      await context.close();
      await server.close();
      await backend.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
