/**
 * The whole watch-and-drill flow in a real browser against a REAL running
 * lab on the Linux provider (root): lb-pair-minimal (lb1 and lb2 sharing
 * 192.168.20.100, app1) is brought up with the CLI, opened from the shipped
 * labs, seen on Provision and on the live Dashboard; `lb-master-down` is
 * started from the Drills screen and the Dashboard's VIP card must name the
 * backup within a couple of seconds of the real move (keepalived's own
 * timestamp on lb2, or the drill monitor's first observation, from the
 * report); then the report is opened and exported. Screenshots are saved
 * as artifacts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { openSession, ROOT, screenshot, type Session } from './support/harness';
import { AppPage, DashboardPage, DesignPage, DrillsPage, ProvisionPage } from './support/pages';

const BLUEPRINT = 'lab-blueprints/lb-pair-minimal.yaml';
const LAB = 'lb-pair-minimal';
/** "Within a couple of seconds" of the real move. */
const CARD_LAG_LIMIT_MS = 2000;

let labsDir: string;
let s: Session;
let app: AppPage;
let labUp = false;

const halab = (args: string[], timeoutMs: number) => run([process.execPath, join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, env: { ...process.env, HALAB_LABS_DIR: labsDir }, timeoutMs });

/** Another run of this lab (same name, so the same namespaces and addresses) must end first; bounded. */
async function waitUntilLabNameFree(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run(['ip', 'netns', 'list'], { quiet: true });
    const taken = stdout.split('\n').filter((l) => l.startsWith(`halab-${LAB}-`));
    if (!taken.length) return;
    if (Date.now() > deadline) throw new Error(`Another "${LAB}" lab is running on this machine (${taken.map((l) => l.split(' ')[0]).join(', ')}); bring it down ("halab down ${BLUEPRINT}" with its HALAB_LABS_DIR) and run the test again.`);
    await new Promise((ok) => setTimeout(ok, 3000));
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This test brings up a real Linux-provider lab (network namespaces, systemd-nspawn) and must run as root. Run the e2e suite as root (CI does).');
  labsDir = mkdtempSync(join(tmpdir(), 'halab-e2e-labs-'));
  // Both the CLI and the in-process web server must see the same labs folder.
  process.env.HALAB_LABS_DIR = labsDir;
  await waitUntilLabNameFree(300_000);
  labUp = true;
  await halab(['up', BLUEPRINT, '--provider', 'linux'], 540_000);
  s = await openSession();
  app = new AppPage(s.page);
  await app.open(s.url);
  await new DesignPage(s.page).newFromShipped(LAB);
}, 900_000);

afterAll(async () => {
  await s?.close();
  if (labUp) await halab(['down', BLUEPRINT], 180_000);
  const { stdout } = await run(['ip', 'netns', 'list'], { quiet: true });
  delete process.env.HALAB_LABS_DIR;
  if (labsDir) rmSync(labsDir, { recursive: true, force: true });
  expect(stdout.split('\n').filter((l) => l.startsWith(`halab-${LAB}-`)), 'namespaces left behind by halab down').toEqual([]);
}, 240_000);

describe('a running Linux-provider lab in the UI', () => {
  it('shows the lab up on Provision, with every VM running and its address', async () => {
    const provision = new ProvisionPage(s.page);
    await app.go('provision');
    await provision.state().filter({ hasText: 'Up on Linux lab: 3 of 3 VMs running' }).waitFor({ timeout: 30_000 });
    for (const [vm, ip] of [['lb1', '192.168.20.11'], ['lb2', '192.168.20.12'], ['app1', '192.168.20.21']]) {
      await provision.vmRow(vm).filter({ hasText: 'running' }).filter({ hasText: ip }).waitFor();
    }
    await expect(provision.provider('linux').getAttribute('aria-checked')).resolves.toBe('true');
    // Provision is locked to the lab's provider while it is up.
    await expect(provision.provider('vmware').isDisabled()).resolves.toBe(true);
    await app.dismissToasts();
    await screenshot(s.page, '40-provision-running');
  });

  it('shows the lab live on the Dashboard: VIP on lb1, nodes up, requests answered by app1', async () => {
    const dash = new DashboardPage(s.page);
    await app.go('dashboard');
    await dash.waitForHolder('web', 'lb1', 30_000);
    await s.page.locator('[data-testid="vip-member-lb1"] .chip').filter({ hasText: /MASTER|no report yet/ }).waitFor();
    for (const vm of ['lb1', 'lb2', 'app1']) await s.page.locator(`[data-testid="node-${vm}"][data-up="yes"]`).waitFor({ timeout: 20_000 });
    await s.page.getByTestId('served-by').filter({ hasText: 'app1' }).waitFor({ timeout: 20_000 });
    // A few seconds of probes through the VIP on the chart, every one answered.
    await s.page.waitForFunction(() => document.querySelectorAll('[data-testid="chart-requests"] .recharts-bar-rectangle').length >= 8, undefined, { timeout: 30_000 });
    await expect(s.page.locator('[data-testid="card-web"] .kv b').first().textContent()).resolves.toBe('0%');
    await s.page.locator('[data-testid="card-infra"] .big').filter({ hasText: /^3\s*\/\s*3$/ }).waitFor({ timeout: 20_000 });
    await app.dismissToasts();
    await screenshot(s.page, '41-dashboard-live');
  });

  it('runs lb-master-down from Drills; the Dashboard VIP card follows the real move within a couple of seconds; the report opens and exports', async () => {
    const page = s.page;
    const dash = new DashboardPage(page);
    const drills = new DrillsPage(page);
    await app.go('drills');
    await page.getByTestId('drill-lb-master-down').waitFor();
    await drills.run('lb-master-down');
    // The Run buttons are disabled while the drill runs on this lab.
    await expect(page.getByTestId('drill-run-lb-nginx-stop').isDisabled()).resolves.toBe(true);
    await screenshot(page, '42-drills-running');

    await app.go('dashboard');
    await dash.waitForHolder('web', 'lb1', 15_000);
    const cardAt = await dash.waitForHolder('web', 'lb2', 90_000);
    await page.locator('[data-testid="vip-member-lb2"] .chip').filter({ hasText: 'MASTER' }).waitFor({ timeout: 10_000 });
    await screenshot(page, '43-dashboard-failover');

    await app.go('drills');
    const end = await drills.waitForEnd(240_000);
    expect(end).toBe('done');
    const id = await drills.openCurrentReport(30_000);
    const view = page.getByTestId('report-view');
    await view.getByTestId('verdict').filter({ hasText: 'Passed' }).waitFor();
    await view.getByTestId('m-vip-move').waitFor();
    await view.locator('[data-testid="report-chart"] .recharts-bar-rectangle').first().waitFor();
    await view.getByTestId('report-expectations').getByText('VIP moved to the backup').waitFor();
    await app.dismissToasts();
    await screenshot(page, '44-drill-report');

    // The real move, from the report: keepalived's MASTER notification on lb2 (its own clock, ms
    // precision) or the drill monitor's first sight of the address on lb2, whichever came first.
    const report = JSON.parse(readFileSync(join(labsDir, LAB, 'reports', id, 'report.json'), 'utf8')) as DrillReport;
    expect(report.verdict).toBe('passed');
    const faultAt = Date.parse(report.startedAt) + (report.faultAt ?? 0);
    const moves = report.events
      .filter((e) => e.at >= faultAt)
      .filter((e) => (e.kind === 'keepalived-state' && e.subject === 'lb2' && e.data?.state === 'MASTER') || (e.kind === 'vip-moved' && e.data?.to === 'lb2'))
      .map((e) => e.at);
    expect(moves.length, 'the report records the move to lb2').toBeGreaterThan(0);
    const realMoveAt = Math.min(...moves);
    const lag = cardAt - realMoveAt;
    console.log(`VIP moved to lb2 at +${realMoveAt - faultAt} ms after the fault; the dashboard card showed lb2 ${lag} ms later (limit ${CARD_LAG_LIMIT_MS} ms)`);
    expect(lag).toBeGreaterThanOrEqual(-50);
    expect(lag).toBeLessThanOrEqual(CARD_LAG_LIMIT_MS);

    const md = await drills.export('md');
    expect(md.name).toBe(`${LAB}-${id}.md`);
    expect(md.text).toContain(report.title);
    const html = await drills.export('html');
    expect(html.text).toMatch(/^<!doctype html>/i);
    expect(html.text).toContain(report.title);
  });

  it('keeps the story on the Dashboard timeline and reads in Korean and the dark theme', async () => {
    const page = s.page;
    const dash = new DashboardPage(page);
    await app.go('dashboard');
    await dash.waitForHolder('web', 'lb1', 60_000);
    // lb1 → nobody → lb2 → lb1: at least three owner segments in the lane.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="timeline-owner-web"] .seg:not(.seg-unknown)').length >= 3, undefined, { timeout: 20_000 });
    await page.locator('[data-testid="timeline-owner-web"] .seg-none').first().waitFor();
    await app.dismissToasts();
    await screenshot(page, '45-dashboard-timeline');
    await app.theme('dark');
    await app.language('ko');
    await page.getByTestId('card-vip').getByText('현재 VIP 보유').waitFor();
    await screenshot(page, '46-dashboard-dark-korean');
    await app.go('drills');
    await page.getByTestId('report-view').getByRole('heading', { name: '가설', exact: true }).waitFor();
    await screenshot(page, '47-report-dark-korean');
    await app.language('en');
    await app.theme('light');
  });
});
