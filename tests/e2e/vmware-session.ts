/**
 * A web-mode session for the VMware UI test, sealed off the network: a real
 * `halab serve` and a headless Chromium, both inside a fresh network
 * namespace that has nothing but loopback.
 *
 * Why: provisioning on VMware tries SSH to each VM's static address (e.g.
 * 192.168.20.11) before the DHCP one. With the fake vmrun there is no VM
 * behind that address, and on this machine the address would be routed off
 * the host. In the namespace every such connect fails at once with "network
 * unreachable", and no packet leaves the machine. Needs root (unshare and
 * nsenter), like the other lab e2e test.
 */
import { readlinkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { spawnBackground, type BackgroundProcess } from '../../src-main/exec/runner';
import { CHROMIUM, ROOT } from './support/harness';

export interface VmwareSession {
  /** The `halab serve` process (its pid is also the namespace's holder). */
  serve: BackgroundProcess;
  context: BrowserContext;
  page: Page;
  /** The address `halab serve` printed, with this run's token. */
  url: string;
  close(): Promise<void>;
}

const netnsOf = (pid: number | 'self'): string => readlinkSync(`/proc/${pid}/ns/net`);

async function until<T>(what: string, timeoutMs: number, fn: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** Start `halab serve` (with `env` added to this process' environment) and Chromium in one loopback-only network namespace. */
export async function openVmwareSession(env: Record<string, string>): Promise<VmwareSession> {
  if (process.getuid?.() !== 0) throw new Error('This test seals the app off the network with unshare/nsenter and must run as root (CI does).');
  // `unshare --net` (no fork) turns into sh and then node with the same pid, so /proc/<pid>/ns/net is the namespace.
  const serve = spawnBackground(['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, join(ROOT, 'bin/halab.mjs'), 'serve', '--port', '0'], { env: { ...env, NO_COLOR: '1' }, cwd: ROOT });
  let url: string;
  try {
    url = await until('"halab serve" to print its address', 90_000, () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(serve.output());
      return m?.[0];
    });
  } catch (e) {
    serve.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nIts output:\n${serve.output()}`);
  }
  if (netnsOf(serve.pid) === netnsOf('self')) {
    serve.kill('SIGKILL');
    throw new Error('halab serve is not in its own network namespace; refusing to provision anything.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'halab-e2e-chromium-'));
  const profile = join(dir, 'profile');
  const wrapper = join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=/proc/${serve.pid}/ns/net -- ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1480, height: 980 },
    locale: 'en-US',
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    serve,
    context,
    page,
    url,
    async close() {
      await context.close().catch(() => undefined);
      // Ctrl-C: halab serve cancels running tasks and stops.
      serve.kill('SIGINT');
      const stopped = await Promise.race([serve.exited, new Promise((ok) => setTimeout(() => ok('timeout'), 20_000))]);
      if (stopped === 'timeout') serve.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
