/**
 * The VMware path of a new user, in a real browser against web mode with the
 * REAL backend; VMware itself is the fake vmrun (tests/fake-vmrun/), with its
 * own networking file (vmnet8 on 172.16.86.0/24, like a stock Workstation)
 * and a template VM in temp folders.
 *
 * - Settings: vmrun found (from HALAB_VMRUN) with its version; a template
 *   typed with a wrong path is flagged as it is typed and refused on Save
 *   with the backend's message; the right path is accepted and saved with
 *   the VMware config folder into the settings file the CLI reads.
 * - Doctor (quick) on the Settings screen; a template in one step from a
 *   small OVA (fake ovftool beside the fake vmrun), which joins the list.
 * - Provision on VMware, VMs only: the blueprint's vmnet8 (192.168.20.0/24)
 *   clashes with the host's; the confirm dialog says other VMs on vmnet8 are
 *   affected; "Reconfigure vmnet8" starts `up`, and the VMs are cloned by the
 *   fake vmrun from the template (fake's state, lab folder, per-VM rows).
 *
 * Network safety: `halab serve` and Chromium run in a network namespace with
 * only loopback (./vmware-session.ts), so the SSH step's attempts on the VMs'
 * static addresses fail on the spot and nothing leaves the machine; the fake
 * gives guest addresses only after an hour, so the step then waits. The test
 * cancels it once every VM is cloned and started, then brings the lab down.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { buildOva } from '../fake-vmrun/ova';
import { screenshot } from './support/harness';
import { DesignPage } from './support/pages';
import { openVmwareSession, type VmwareSession } from './vmware-session';

const LAB = 'lb-pair-minimal';
const VMS = ['lb1', 'lb2', 'app1'];

let host: FakeVmwareHost;
let tmpRoot: string;
let dataDir: string;
let labsDir: string;
let s: VmwareSession;
const savedEnv: Record<string, string | undefined> = {};

function setEnv(k: string, v: string): void {
  if (!(k in savedEnv)) savedEnv[k] = process.env[k];
  process.env[k] = v;
}

const pick = (env: NodeJS.ProcessEnv, re: RegExp): Record<string, string> => Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => re.test(e[0]) && e[1] !== undefined));

interface FakeState {
  vms: Record<string, { vmx: string; power: string; snapshots: { name: string }[] }>;
}
const fakeState = (): FakeState => JSON.parse(readFileSync(join(host.stateDir, 'state.json'), 'utf8')) as FakeState;

beforeAll(async () => {
  // Addresses an hour away: the SSH step waits and never sends a packet.
  host = await createFakeVmwareHost({ FAKE_VMRUN_IP_DELAY_MS: '3600000', FAKE_VMRUN_GUI_HOLD_MS: '300' });
  // One temp folder for the data folder, the labs folder and the one-step templates (made beside the labs folder).
  tmpRoot = mkdtempSync(join(tmpdir(), 'halab-e2e-vmware-'));
  dataDir = join(tmpRoot, 'data');
  labsDir = join(tmpRoot, 'labs');
  mkdirSync(dataDir);
  mkdirSync(labsDir);
  setEnv('HALAB_DATA_DIR', dataDir);
  setEnv('HALAB_LABS_DIR', labsDir);
  // VMware labs are refused as root (they would be root's, invisible to the user's Workstation);
  // this suite runs as root in CI, so it says yes the way a user would have to.
  if (process.getuid?.() === 0) setEnv('HALAB_ALLOW_ROOT', '1');
  // A real `halab serve` (the CLI's web mode), reading the same environment.
  s = await openVmwareSession({ ...pick(process.env, /^(HALAB_|FAKE_)/) });
  await s.page.goto(s.url);
  await s.page.getByTestId('app').waitFor();
  await s.page.locator('.status-mode').filter({ hasText: 'Web mode' }).waitFor();
}, 120_000);

afterAll(async () => {
  await s?.close();
  await host?.cleanup();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
}, 120_000);

// On a failure: a screenshot and the provisioning log, to see what the student would have seen.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !s) return;
  await screenshot(s.page, `failed-${ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  const log = await s.page.getByTestId('provision-log').textContent({ timeout: 1000 }).catch(() => '');
  if (log) console.log(`Provision log at the failure:\n${log}`);
});

describe('VMware from the window: Settings, then Provision', () => {
  it('sets a template on the Settings screen, checking every value as it is typed', async () => {
    const page = s.page;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('screen-settings').waitFor();
    // The same file serves the CLI, and the screen says so.
    await page.getByTestId('settings-cli-hint').filter({ hasText: 'halab command line reads the same file' }).waitFor();

    // vmrun: found through HALAB_VMRUN, with the version its banner prints.
    await page.locator('[data-testid="vmrun-found"][data-source="env"]').filter({ hasText: FAKE_VMRUN }).waitFor({ timeout: 20_000 });
    await page.getByTestId('vmrun-version').filter({ hasText: '1.17.0' }).waitFor();
    await page.getByTestId('override-vmrunPath').filter({ hasText: 'HALAB_VMRUN is set: it wins over this field.' }).waitFor();
    await page.getByTestId('override-labsDir').filter({ hasText: 'HALAB_LABS_DIR is set' }).waitFor();

    // A template row with a path that does not exist: flagged as typed, refused on Save.
    await page.getByTestId('templates-empty').waitFor();
    await page.getByTestId('template-add').click();
    const row = page.getByTestId('template-row').first();
    await row.getByTestId('template-os').fill('ubuntu-22.04');
    const missing = join(host.root, 'nowhere', 'template.vmx');
    await row.getByTestId('template-path').fill(missing);
    const line = page.getByTestId('check-template:ubuntu-22.04');
    await page.locator('[data-testid="check-template:ubuntu-22.04"][data-level="error"]').waitFor({ timeout: 15_000 });
    await expect(line.textContent()).resolves.toContain(missing);
    await page.getByTestId('settings-save').click();
    const refused = page.getByTestId('settings-save-error');
    await refused.waitFor();
    await expect(refused.getAttribute('data-code')).resolves.toBe('invalid-setting');
    await expect(refused.textContent()).resolves.toContain(`The template for ubuntu-22.04 was not saved`);
    await expect(refused.textContent()).resolves.toContain(missing);
    expect(existsSync(join(dataDir, 'settings.json')) ? JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).templates?.['ubuntu-22.04'] : undefined).toBeUndefined();

    // The real template, and VMware's config folder of this (fake) host.
    await row.getByTestId('template-path').fill(host.template);
    await page.locator('[data-testid="check-template:ubuntu-22.04"][data-level="ok"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('settings-vmwareEtcDir').fill(join(host.root, 'no-such-dir'));
    await page.locator('[data-testid="check-vmwareEtcDir"][data-level="error"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('settings-vmwareEtcDir').fill(host.etcDir);
    await page.locator('[data-testid="check-vmwareEtcDir"][data-level="ok"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="settings-dirty"][data-dirty="no"]').filter({ hasText: 'Saved' }).waitFor();
    await expect(page.getByTestId('settings-save-error').count()).resolves.toBe(0);
    const file = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { templates: Record<string, string>; vmwareEtcDir?: string };
    expect(file.templates['ubuntu-22.04']).toBe(host.template);
    expect(file.vmwareEtcDir).toBe(host.etcDir);
    await dismissToasts();
    await screenshot(page, '60-settings-vmware');

    // Korean: the same screen, words kept whole.
    await page.getByTestId('language-select').selectOption('ko');
    await page.getByTestId('nav-settings').filter({ hasText: '설정' }).waitFor();
    await page.getByTestId('template-add').filter({ hasText: '템플릿 추가' }).waitFor();
    await expect(page.getByTestId('screen-settings').evaluate((el) => getComputedStyle(el).wordBreak)).resolves.toBe('keep-all');
    await screenshot(page, '61-settings-vmware-korean');
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('nav-settings').filter({ hasText: 'Settings' }).waitFor();
  });

  it('starts Provision on VMware (VMs only): the vmnet8 clash needs a yes, then the fake vmrun clones every VM', async () => {
    const page = s.page;
    await page.getByTestId('nav-design').click();
    await new DesignPage(page).newFromShipped(LAB);
    await page.getByTestId('nav-provision').click();
    await page.getByTestId('screen-provision').waitFor();
    const vmware = page.getByTestId('provider-vmware');
    await page.locator('[data-testid="provider-vmware"]:not([disabled])').waitFor({ timeout: 30_000 });
    await vmware.click();
    await expect(vmware.getAttribute('aria-checked')).resolves.toBe('true');
    await page.getByTestId('stage-vms').click();

    // Before anything runs, the screen shows the clash with this PC's vmnet8.
    const clashText = "The blueprint wants vmnet8 = 192.168.20.0/24; this PC's vmnet8 is 172.16.86.0/24.";
    await page.getByTestId('clash-vmnet8').filter({ hasText: clashText }).waitFor({ timeout: 20_000 });

    // Up: the confirm dialog says what a reconfigure affects, and offers the way out.
    await page.getByTestId('lab-up').click();
    const dialog = page.getByTestId('dialog-clash');
    await dialog.waitFor();
    await dialog.getByTestId('clash-line').filter({ hasText: clashText }).waitFor();
    await dialog.getByTestId('clash-affects').filter({ hasText: 'Other VMs on vmnet8 are affected' }).waitFor();
    await dialog.getByTestId('clash-edit').filter({ hasText: 'Edit the blueprint' }).waitFor();
    await screenshot(page, '62-provision-vmnet8-clash');
    // Nothing was started or changed while the question is open.
    expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toBe(DEFAULT_NETWORKING);
    expect(Object.keys(existsSync(join(host.stateDir, 'state.json')) ? fakeState().vms : {}).filter((k) => k.startsWith(labsDir))).toEqual([]);
    // "Edit the blueprint" starts nothing and opens Design.
    await dialog.getByTestId('clash-edit').click();
    await page.getByTestId('screen-design').waitFor();
    await expect(page.getByTestId('provision-result').count()).resolves.toBe(0);
    expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toBe(DEFAULT_NETWORKING);
    // Back on Provision, the same question; this time the user says yes.
    await page.getByTestId('nav-provision').click();
    // The choices made before are kept.
    await page.locator('[data-testid="provider-vmware"][aria-checked="true"]').waitFor();
    await page.locator('[data-testid="stage-vms"][aria-checked="true"]').waitFor();
    await page.getByTestId('lab-up').click();
    await dialog.waitFor();
    await dialog.getByTestId('clash-reconfigure').filter({ hasText: 'Reconfigure vmnet8' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Per-VM progress: created and started (2 steps), now waiting for SSH.
    await page.locator('[data-testid="provision-result"][data-state="running"]').waitFor({ timeout: 30_000 });
    for (const vm of VMS) {
      await page.locator(`[data-testid="vm-row-${vm}"][data-done="2"]`).filter({ hasText: `wait for SSH on ${vm}` }).waitFor({ timeout: 120_000 });
    }
    // The Power column follows while provisioning runs.
    for (const vm of VMS) await page.getByTestId(`vm-row-${vm}`).locator('.power-running').waitFor({ timeout: 20_000 });
    // Sealed off the network: every SSH attempt on a static address failed on the spot.
    const log = (await page.getByTestId('provision-log').locator('.log-line').allTextContents()).filter((l) => /SSH to \d/.test(l));
    for (const l of log) expect(l).toMatch(/ENETUNREACH|not connecting to \d/);
    await dismissToasts();
    await screenshot(page, '63-provision-vmware-cloned');

    // The fake vmrun made linked clones of the template, in the lab folder, and they run.
    const calls = await host.calls();
    const clones = calls.filter((c) => c.tool === 'vmrun' && c.argv.some((a) => a.toLowerCase() === 'clone'));
    expect(clones).toHaveLength(VMS.length);
    for (const c of clones) {
      expect(c.argv).toContain(host.template);
      expect(c.argv).toContain('linked');
    }
    const state = fakeState();
    for (const vm of VMS) {
      const entry = Object.values(state.vms).find((v) => v.vmx.startsWith(join(labsDir, LAB)) && v.vmx.endsWith(`${vm}.vmx`));
      expect(entry, `${vm} in the fake's state`).toBeDefined();
      expect(entry!.power).toBe('running');
      expect(existsSync(entry!.vmx), `${entry!.vmx} on disk`).toBe(true);
    }
    // The template got its base snapshot for the linked clones.
    expect(state.vms[host.template]?.snapshots.length ?? 0).toBeGreaterThan(0);
    // The host's vmnet8 now has the blueprint's subnet (the user said yes).
    expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toMatch(/^answer VNET_8_HOSTONLY_SUBNET 192\.168\.20\.0$/m);

    // Cancel the wait for SSH (no guest will ever answer here).
    await page.getByTestId('lab-cancel').click();
    await page.locator('[data-testid="provision-result"]:not([data-state="running"])').waitFor({ timeout: 60_000 });
  });

  it('brings the lab down from Provision: the clones are deleted and vmnet8 is restored byte for byte', async () => {
    const page = s.page;
    await page.getByTestId('status-refresh').click();
    await page.locator('[data-testid="lab-down"]:not([disabled])').waitFor({ timeout: 30_000 });
    await page.getByTestId('lab-down').click();
    await page.getByTestId('lab-down-confirm').click();
    await page.locator('[data-testid="provision-result"][data-state="done"]').filter({ hasText: 'The lab was destroyed.' }).waitFor({ timeout: 120_000 });
    const left = Object.values(fakeState().vms).filter((v) => v.vmx.startsWith(labsDir) && existsSync(v.vmx));
    expect(left.map((v) => v.vmx)).toEqual([]);
    expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toBe(DEFAULT_NETWORKING);
  });

  it('runs the Doctor (quick) on the Settings screen: one line per check, with what to do', async () => {
    const page = s.page;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('doctor-provider-vmware').click();
    await expect(page.getByTestId('doctor-with-lab').isChecked()).resolves.toBe(true);
    await page.getByTestId('doctor-quick').click();
    const report = page.getByTestId('doctor-report');
    await report.waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="doctor-line-vmrun"][data-level="ok"]').filter({ hasText: '1.17.0' }).waitFor();
    await page.locator('[data-testid="doctor-line-vmrun-list"][data-level="ok"]').waitFor();
    await page.locator('[data-testid="doctor-line-template:ubuntu-22.04"]').waitFor();
    // vmnet8 is back on 172.16.86.0/24 after Down: the blueprint's 192.168.20.0/24 clashes again, and the line says what to do.
    const vmnet8 = page.locator('[data-testid="doctor-line-vmnet8-subnet"]:not([data-level="ok"])');
    await vmnet8.waitFor();
    await expect(vmnet8.textContent()).resolves.toMatch(/172\.16\.86\.0.*Fix: /s);
    await expect(report.getAttribute('data-ok')).resolves.toBe('no');
    await page.getByTestId('doctor').scrollIntoViewIfNeeded();
    await dismissToasts();
    await screenshot(page, '64-doctor-quick');
  });

  it('creates the Ubuntu 22.04 template in one step from an OVA; the new template shows in the list', async () => {
    const page = s.page;
    const ova = join(host.root, 'ubuntu-22.04-server-cloudimg-amd64.ova');
    await buildOva(ova);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('template-from').fill(ova);
    await page.getByTestId('template-create').click();
    const task = page.getByTestId('template-task');
    await task.waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="template-task"]:not([data-state="running"])').waitFor({ timeout: 120_000 });
    await expect(task.getAttribute('data-state'), (await task.textContent()) ?? '').resolves.toBe('done');
    await task.filter({ hasText: 'Template ubuntu-22.04 is ready' }).waitFor();
    const file = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { templates: Record<string, string> };
    const made = file.templates['ubuntu-22.04']!;
    expect(made).not.toBe(host.template);
    expect(made.startsWith(join(tmpRoot, 'templates'))).toBe(true);
    expect(made).toMatch(/\.vmx$/);
    expect(existsSync(made)).toBe(true);
    // The row follows the saved list, and its check is ok.
    await expect(page.locator('[data-testid="template-row"][data-os="ubuntu-22.04"] [data-testid="template-path"]').inputValue()).resolves.toBe(made);
    await page.locator('[data-testid="check-template:ubuntu-22.04"][data-level="ok"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="settings-dirty"][data-dirty="no"]').waitFor();
    // The fake vmrun holds the template's snapshot for linked clones.
    expect(fakeState().vms[made]?.snapshots.map((x) => x.name)).toContain('halab-base');
    await dismissToasts();
    await screenshot(page, '65-template-created');
  });
});

async function dismissToasts(): Promise<void> {
  const close = s.page.locator('.toast button');
  while ((await close.count()) > 0) await close.first().click();
}
