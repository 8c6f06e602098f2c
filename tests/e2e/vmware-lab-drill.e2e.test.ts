/**
 * VMware with REAL guests, from the window (issue 10): web mode (the real
 * backend in process, headless Chromium), VMware is the fake vmrun with
 * FAKE_VMRUN_GUESTS=linux-lab, so every VM it powers on is a real Linux-lab
 * guest (systemd-nspawn) on a guarded bridge.
 *
 * Settings: the fake's own template and VMware config folder; Provision the
 * whole lb-pair-minimal lab (3 VMs) on VMware, saying yes to the vmnet8
 * clash (Reconfigure vmnet8); the Dashboard names the VIP holder; Drills
 * runs lb-master-down (a hard power-off through `vmrun stop … hard`) and
 * the report opens with a pass.
 *
 * Network safety: the web server runs in this machine's namespace (it must
 * reach the guests' bridge), and the fake guards the VMnets' subnets (an
 * unreachable route and a no-forward rule), so no lab packet leaves the
 * machine. Root only, like the other real-lab tests; never skipped.
 * Cleanup by hand after a crash: `npx tsx tests/fake-vmrun/guests/cleanup.ts STATE_DIR`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { FAKE_VMRUN } from '../fake-vmrun/fake-env';
import { cleanupGuests, guestLeftovers } from '../fake-vmrun/guests/linux-lab';
import { openSession, ROOT, screenshot, type Session } from './support/harness';
import { AppPage, DashboardPage, DesignPage, DrillsPage } from './support/pages';

const LAB = 'lb-pair-minimal';
const BLUEPRINT = join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml');

let work: string;
let stateDir: string;
let etcDir: string;
let labsDir: string;
let s: Session | undefined;
let app: AppPage;
const saved: Record<string, string | undefined> = {};

function setEnv(k: string, v: string): void {
  if (!(k in saved)) saved[k] = process.env[k];
  process.env[k] = v;
}

const halab = (...args: string[]) => run([process.execPath, join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, env: { ...process.env }, okExitCodes: [0, 1, 2, 3], timeoutMs: 300_000 });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This test runs real guests (namespaces, bridges, systemd-nspawn) behind the fake vmrun and must run as root (CI does).');
  const u = await new LinuxLabProvider().checkUsable();
  if (!u.usable) throw new Error(`Real guests cannot run here: ${u.reason} ${u.fix ?? ''}`);
  work = mkdtempSync(join(tmpdir(), 'halab-e2e-vmware-real-'));
  stateDir = join(work, 'fake-state');
  etcDir = join(work, 'etc-vmware');
  labsDir = join(work, 'labs');
  setEnv('HALAB_LABS_DIR', labsDir);
  setEnv('HALAB_VMRUN', FAKE_VMRUN);
  setEnv('FAKE_VMRUN_GUESTS', 'linux-lab');
  setEnv('FAKE_VMRUN_STATE', stateDir);
  setEnv('FAKE_VMWARE_ETC', etcDir);
  // VMware labs are refused as root; this suite runs as root in CI and says yes as a user would have to.
  setEnv('HALAB_ALLOW_ROOT', '1');
  // The fake makes its own template and host networking file on its first call.
  await run([FAKE_VMRUN, 'list'], { env: { ...process.env }, quiet: true });
  s = await openSession();
  app = new AppPage(s.page);
  await app.open(s.url);
}, 300_000);

afterAll(async () => {
  await s?.close();
  if (stateDir) {
    await halab('down', BLUEPRINT).catch(() => undefined);
    await cleanupGuests(stateDir);
  }
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (work) rmSync(work, { recursive: true, force: true });
}, 300_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !s) return;
  await screenshot(s.page, `failed-vmware-real-${ctx.task.name.slice(0, 30).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  const log = await s.page.getByTestId('provision-log').textContent({ timeout: 1000 }).catch(() => '');
  if (log) console.log(`Provision log at the failure:\n${log.slice(-4000)}`);
});

describe('VMware with real guests from the window: Settings, Provision, Dashboard, Drills', () => {
  it('saves the fake VMware host’s template and config folder on Settings', async () => {
    const page = s!.page;
    const template = join(stateDir, 'templates', 'ubuntu-22.04', 'template.vmx');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('screen-settings').waitFor();
    await page.getByTestId('template-add').click();
    const row = page.getByTestId('template-row').first();
    await row.getByTestId('template-os').fill('ubuntu-22.04');
    await row.getByTestId('template-path').fill(template);
    await page.locator('[data-testid="check-template:ubuntu-22.04"][data-level="ok"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('settings-vmwareEtcDir').fill(etcDir);
    await page.locator('[data-testid="check-vmwareEtcDir"][data-level="ok"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="settings-dirty"][data-dirty="no"]').filter({ hasText: 'Saved' }).waitFor();
    await expect(page.getByTestId('settings-save-error').count()).resolves.toBe(0);
  });

  it('provisions the whole lab on VMware after a yes to the vmnet8 clash; every VM is a real guest', async () => {
    const page = s!.page;
    await page.getByTestId('nav-design').click();
    await new DesignPage(page).newFromShipped(LAB);
    await page.getByTestId('nav-provision').click();
    await page.getByTestId('screen-provision').waitFor();
    await page.locator('[data-testid="provider-vmware"]:not([disabled])').waitFor({ timeout: 30_000 });
    await page.getByTestId('provider-vmware').click();
    await page.getByTestId('stage-all').click();
    await page.getByTestId('clash-vmnet8').waitFor({ timeout: 20_000 });
    await page.getByTestId('lab-up').click();
    const dialog = page.getByTestId('dialog-clash');
    await dialog.getByTestId('clash-reconfigure').filter({ hasText: 'Reconfigure vmnet8' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="provision-result"][data-state="running"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="provision-result"]:not([data-state="running"])').waitFor({ timeout: 600_000 });
    await expect(page.getByTestId('provision-result').getAttribute('data-state')).resolves.toBe('done');
    await app.dismissToasts();
    await screenshot(page, '70-provision-vmware-real');
    // The fake's VMs are real guests: one namespace per VM, every one running.
    const listed = (await run([FAKE_VMRUN, 'list'], { env: { ...process.env }, quiet: true })).stdout;
    expect(listed).toContain('Total running VMs: 3');
    const left = await guestLeftovers(stateDir);
    expect(left.netns.length).toBe(3);
  }, 700_000);

  it('shows the VIP holder on the Dashboard', async () => {
    await app.go('dashboard');
    await new DashboardPage(s!.page).waitForHolder('web', 'lb1', 60_000);
    await app.dismissToasts();
    await screenshot(s!.page, '71-dashboard-vmware-real');
  }, 120_000);

  it('runs lb-master-down from Drills (hard power-off through vmrun) and the report opens with a pass', async () => {
    const page = s!.page;
    const drills = new DrillsPage(page);
    await app.go('drills');
    await page.getByTestId('drill-lb-master-down').waitFor();
    await drills.run('lb-master-down');
    expect(await drills.waitForEnd(300_000)).toBe('done');
    const id = await drills.openCurrentReport(30_000);
    const view = page.getByTestId('report-view');
    await view.getByTestId('verdict').filter({ hasText: 'Passed' }).waitFor();
    await view.getByTestId('m-vip-move').waitFor();
    await app.dismissToasts();
    await screenshot(page, '72-drill-report-vmware-real');
    const report = JSON.parse(readFileSync(join(labsDir, LAB, 'reports', id, 'report.json'), 'utf8')) as DrillReport;
    expect(report.verdict).toBe('passed');
    const calls = readFileSync(join(stateDir, 'calls.log'), 'utf8');
    expect(calls).toMatch(/"stop","[^"]*\/lb1\.vmx","hard"/);
  }, 400_000);
});
