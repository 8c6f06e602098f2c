/**
 * No English sentence in Korean mode, with a broken lab open (issue 12).
 *
 * The seed lab, its comments dropped and its title in Korean, is broken
 * three ways (a subnet overlapping another, a duplicate address, an upstream
 * naming a VM that does not exist) and opened from the start page. Then, in
 * Korean, every screen and sub-view is visited — start page, New-lab dialog,
 * Design (canvas, Properties of a VM, a network with a malformed subnet, a
 * VIP, a connection, several selected, the lab; Problems; Plan; YAML), the
 * Recent menu, Save as, the unsaved-changes guard, toasts, Provision (each
 * stage), Dashboard and Drills with no lab up, Settings with wrong values
 * and the Doctor's quick run for both providers — and what it shows
 * (`support/english.ts`: innerText, options, titles, aria-labels,
 * placeholders) must hold no run of two or more English words of three or
 * more letters outside the allowlist of product and technical names and the
 * lab's own names, and no jargon (nodes[2].nics[0], "networks ()", "(s)"). Each
 * step prints what it found with the screen's name.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { englishSentences, blueprintWords, jargon, report, scan, type Finding } from './support/english';
import { ROOT, screenshot, type Session } from './support/harness';
import { openAppSession, type AppPage, type DesignPage } from './support/pages';

/** The seed lab without its (English) comments, a Korean title, and three errors. */
function brokenLab(): string {
  const seed = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
  let t = seed
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .map((l) => l.replace(/\s+#.*$/, ''))
    .join('\n');
  t = t.replace(/ {2}title: .*\n/, '  title: 깨진 실습\n').replace(/ {2}description: >-\n( {4}.*\n)+/, '  description: 검사용으로 일부러 망가뜨린 실습\n');
  // 1. a subnet overlapping vmnet2's
  t = t.replace('\nnodes:', '  - name: vmnet3\n    type: custom\n    subnet: 10.0.0.64/26\n\nnodes:');
  // 2. db-slave takes db-master's address
  t = t.replace('{network: vmnet2, address: 10.0.0.32}', '{network: vmnet2, address: 10.0.0.31}');
  // 3. the upstream names a VM that does not exist
  t = t.replace('members: [app-server-01, app-server-02]\n      port: 3000', 'members: [app-server-01, app-server-09]\n      port: 3000');
  return t;
}

const BROKEN = brokenLab();
const FILE_NAME = 'broken-lab.yaml';

/** The student's own names: allowed as words. */
function labNames(text: string): string[] {
  const lab = parse(text) as {
    metadata: { name: string };
    networks: { name: string }[];
    nodes: { hostname: string }[];
    services: { vips: { name: string }[]; database: { schema: string; accounts: Record<string, { user: string }> } };
  };
  return [
    FILE_NAME,
    lab.metadata.name,
    ...lab.networks.map((n) => n.name),
    ...lab.nodes.map((n) => n.hostname),
    ...lab.services.vips.map((v) => v.name),
    lab.services.database.schema,
    ...Object.values(lab.services.database.accounts).map((a) => a.user),
    'app-server-09',
  ];
}
const NAMES = blueprintWords(labNames(BROKEN));

let s: Session;
let app: AppPage;
let design: DesignPage;
const all: Finding[] = [];
const screens: string[] = [];

/** Scan the page as `screen`; remember what was found. */
async function look(screen: string): Promise<Finding[]> {
  // Let pending renders and checks settle (no spinner word is English, but a late toast may be).
  await s.page.waitForTimeout(150);
  const found = await scan(s.page, screen, NAMES);
  screens.push(screen);
  all.push(...found);
  if (found.length) console.log(`[no-english] ${screen}: ${found.length} English sentence(s)\n${report(found)}`);
  return found;
}

/** Scan several views; fail with everything found, by screen. */
async function expectKorean(found: Finding[]): Promise<void> {
  expect(found, `English sentences in Korean mode:\n${report(found)}`).toEqual([]);
}

beforeAll(async () => {
  ({ s, app, design } = await openAppSession());
  await app.language('ko');
});
afterAll(async () => {
  console.log(`[no-english] screens and views scanned in Korean (${screens.length}): ${screens.join(' · ')}`);
  console.log(`[no-english] English sentences found in total: ${all.length}`);
  await s?.close();
});

describe('the scanner', () => {
  it('finds English sentences and jargon, and leaves Korean, names and allowed technical words alone', () => {
    const f = englishSentences(['서브넷 10.0.0.5/24 (10.0.0.5 is not the network address of a /24)', 'nginx와 keepalived VRRP 설정', 'lb-master의 첫 번째 NIC', 'Open lab', 'HA Lab Studio', 'MySQL primary', 'app-server-01 app'], new Set(['app', 'server']));
    expect(f.map((x) => x.sentence)).toEqual(['not the network address', 'Open lab', 'MySQL primary']);
    expect(jargon(['오류 (nodes[2].nics[0])', 'networks ()', '0 member(s)', 'lb-master의 첫 번째 NIC', '멤버 0개']).map((x) => x.sentence)).toEqual(['nodes[2]', '()', 'r(s)']);
  });
});

describe('no English sentence in Korean mode, with a broken lab open', () => {
  it('start page and the New-lab dialog', async () => {
    const page = s.page;
    await page.getByTestId('start-page').waitFor();
    const found = await look('start page');
    await page.getByTestId('file-new').click();
    await page.getByTestId('dialog-new').waitFor();
    await page.locator('[data-testid^="new-shipped-"]').first().waitFor();
    found.push(...(await look('dialog: New lab')));
    await page.keyboard.press('Escape');
    await page.getByTestId('dialog-new').waitFor({ state: 'detached' });
    await expectKorean(found);
  });

  it('Design: canvas, Problems, and Properties of a VM, a network, a VIP, a connection, several, the lab', async () => {
    const page = s.page;
    const dir = mkdtempSync(join(tmpdir(), 'halab-ko-'));
    const file = join(dir, FILE_NAME);
    writeFileSync(file, BROKEN);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('start-open').click()]);
    await chooser.setFiles(file);
    await page.getByTestId('file-name').filter({ hasText: FILE_NAME }).waitFor();
    await design.vm('db-slave').waitFor();
    // The three errors are listed.
    await page.getByTestId('problems-errors').waitFor();
    await expect.poll(() => design.problems().count()).toBeGreaterThanOrEqual(3);
    await app.dismissToasts();
    const found = await look('Design: canvas and Problems');
    await screenshot(page, '80-ko-broken-design');

    await design.select(design.vm('db-slave'));
    await design.field('nodes.5.nics.0.address').waitFor();
    found.push(...(await look('Design: Properties of a VM (db-slave, duplicate address)')));

    // The bar's right end: its left end lies under the canvas controls.
    const bar = await design.net('vmnet2').boundingBox();
    if (!bar) throw new Error('vmnet2 not visible');
    await page.mouse.click(bar.x + bar.width - 40, bar.y + 10);
    await design.field('networks.1.subnet').waitFor();
    found.push(...(await look('Design: Properties of a network')));
    // A malformed subnet: the field's own error, with the address parser's reason.
    await design.type('networks.1.subnet', '10.0.0.5/24');
    await design.fieldError('networks.1.subnet').waitFor();
    found.push(...(await look('Design: Properties of a network with a malformed subnet')));
    await design.type('networks.1.subnet', '10.0.0.0/24');
    await design.fieldError('networks.1.subnet').waitFor({ state: 'detached' });

    await design.select(design.vip('web'));
    await design.field('services.vips.0.mode').waitFor();
    found.push(...(await look('Design: Properties of a VIP')));

    await design.select(design.vm('lb-master'));
    await page.getByTestId('conn-up:lb-master:app-server-01').click();
    await page.getByTestId('edge-ends').waitFor();
    found.push(...(await look('Design: Properties of a connection (load balancing)')));
    await design.select(design.vm('app-server-01'));
    await page.getByTestId('conn-nic:2:0').click();
    await page.getByTestId('edge-ends').waitFor();
    found.push(...(await look('Design: Properties of a connection (NIC)')));

    await design.selectLab();
    await page.keyboard.press('Control+a');
    await page.getByTestId('props-multi').waitFor();
    found.push(...(await look('Design: several selected')));

    await design.selectLab();
    found.push(...(await look('Design: Properties of the lab')));
    await expectKorean(found);
  });

  it('Design: Plan and YAML tabs, the Recent menu, toasts', async () => {
    const page = s.page;
    await design.tab('plan');
    const found = await look('Design: Plan');
    await design.tab('yaml');
    found.push(...(await look('Design: YAML')));
    await design.tab('canvas');

    await page.getByTestId('file-recent').click();
    await page.getByTestId('recent-list').waitFor();
    found.push(...(await look('menu: Recent')));
    await page.keyboard.press('Escape');
    await page.getByTestId('recent-list').waitFor({ state: 'detached' });

    // Export (web mode: a download) and its toast.
    await Promise.all([page.waitForEvent('download'), page.getByTestId('file-export-yaml').click()]);
    await page.locator('.toast').first().waitFor();
    found.push(...(await look('toast: exported')));
    await app.dismissToasts();
    // A line released on empty canvas: the editor says how to connect.
    await page.getByTestId('view-fit').click();
    await page.waitForTimeout(400);
    await design.vm('lb-slave').hover();
    const h = await page.getByTestId('handle-vm-lb-slave-r').boundingBox();
    if (!h) throw new Error('handle not visible');
    // A spot of empty canvas (the pane itself, no card, bar, minimap or legend).
    const spot = await page.evaluate(() => {
      const r = document.querySelector('[data-testid="canvas"]')!.getBoundingClientRect();
      for (let y = r.y + 40; y < r.bottom - 40; y += 30) for (let x = r.x + 40; x < r.right - 40; x += 30) {
        const els = document.elementsFromPoint(x, y);
        if (els[0]?.classList.contains('react-flow__pane')) return { x, y };
      }
      return undefined;
    });
    if (!spot) throw new Error('no empty spot on the canvas');
    await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
    await page.mouse.down();
    await page.mouse.move(spot.x, spot.y, { steps: 6 });
    await page.mouse.up();
    await page.locator('.toast').first().waitFor({ timeout: 3000 }).catch(async (e: Error) => {
      await screenshot(page, 'failed-release-toast');
      console.log('[debug]', h, spot);
      throw e;
    });
    found.push(...(await look('toast: line released on empty canvas')));
    await app.dismissToasts();
    await expectKorean(found);
  });

  it('dialogs: Save as (with a refused name) and the unsaved-changes guard', async () => {
    const page = s.page;
    await page.getByTestId('file-save-as').click();
    const dialog = page.getByTestId('dialog-save-as');
    await dialog.waitFor();
    const found = await look('dialog: Save as');
    await page.getByTestId('save-as-name').fill('a/b.yaml');
    await page.getByTestId('save-as-save').click();
    await page.getByTestId('save-as-error').waitFor();
    found.push(...(await look('dialog: Save as, refused name')));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // An edit, then New: the guard asks.
    await design.select(design.vm('db-slave'));
    await design.type('nodes.5.nics.0.address', '10.0.0.33');
    await page.getByTestId('dirty').waitFor();
    await page.getByTestId('file-new').click();
    await page.getByTestId('dialog-guard').waitFor();
    found.push(...(await look('dialog: unsaved changes')));
    await page.getByTestId('guard-cancel').click();
    await page.getByTestId('dialog-guard').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await expectKorean(found);
  });

  it('Provision, Dashboard and Drills while the lab has errors', async () => {
    const page = s.page;
    const found: Finding[] = [];
    for (const screen of ['provision', 'dashboard', 'drills'] as const) {
      await app.go(screen);
      await page.getByTestId('lab-gate').waitFor();
      found.push(...(await look(`${screen} (the lab has errors)`)));
    }
    await app.go('design');
    await expectKorean(found);
  });

  it('Provision (every stage), Dashboard and Drills with the errors fixed and no lab up', async () => {
    const page = s.page;
    const fixed = join(mkdtempSync(join(tmpdir(), 'halab-ko-')), 'fixed-lab.yaml');
    writeFileSync(fixed, BROKEN.replace(/ {2}- name: vmnet3\n.*\n.*\n/, '').replace('address: 10.0.0.31}\n\nservices', 'address: 10.0.0.32}\n\nservices').replace('app-server-09', 'app-server-02'));
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('file-open').click();
    // Unsaved edits: the guard asks first.
    if (await page.getByTestId('dialog-guard').isVisible()) await page.getByTestId('guard-discard').click();
    await (await chooser).setFiles(fixed);
    await page.getByTestId('file-name').filter({ hasText: 'fixed-lab.yaml' }).waitFor();
    await page.getByTestId('problems-none').waitFor();
    await app.go('provision');
    await page.getByTestId('lab-state').waitFor();
    await page.locator('[data-testid^="provider-"]').first().waitFor();
    const found = await look('Provision');
    for (const stage of await page.locator('[data-testid^="stage-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!))) {
      await page.getByTestId(stage).click();
      found.push(...(await look(`Provision: ${stage}`)));
    }
    // Single words too: the VM rows' state icons are read out in Korean.
    const icons = await page.locator('[data-testid="vm-table"] [role="img"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(icons.length).toBeGreaterThan(0);
    for (const label of icons) expect(label).toMatch(/[가-힣]/);
    await app.go('dashboard');
    await page.getByTestId('dashboard-not-up').waitFor();
    found.push(...(await look('Dashboard (no lab up)')));
    await app.go('drills');
    await page.getByTestId('drills-provision-first').waitFor();
    await page.locator('[data-testid^="drill-run-"]').first().waitFor();
    found.push(...(await look('Drills: every drill, provision first')));
    await screenshot(page, '81-ko-drills-no-lab');
    await expectKorean(found);
  });

  it('Settings: every section, wrong values, and the Doctor (quick) for both providers', async () => {
    const page = s.page;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('screen-settings').waitFor();
    await page.locator('[data-testid="settings-checking"][data-checking="no"]').waitFor({ state: 'attached' });
    const found = await look('Settings');
    // Values that are wrong: each check says so.
    await page.getByTestId('settings-vmrunPath').fill('/nonexistent/vmrun');
    await page.getByTestId('template-add').click();
    await page.getByTestId('template-os').last().fill('ubuntu-22.04');
    await page.getByTestId('template-path').last().fill('/nonexistent/ubuntu.vmx');
    await page.locator('[data-testid="settings-checking"][data-checking="no"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="template-row"].field-bad').waitFor();
    found.push(...(await look('Settings: wrong vmrun and template')));
    await page.getByTestId('settings-revert').click();

    for (const provider of ['vmware', 'linux'] as const) {
      await page.getByTestId(`doctor-provider-${provider}`).click();
      await page.getByTestId('doctor-quick').click();
      await page.getByTestId('doctor-report').waitFor({ timeout: 60_000 });
      await page.getByTestId('doctor-running').waitFor({ state: 'detached', timeout: 60_000 });
      found.push(...(await look(`Settings: Doctor (quick, ${provider})`)));
    }
    await screenshot(page, '82-ko-settings-doctor');
    await expectKorean(found);
  });

  it('the seed lab as shipped: its title in the Plan and the Drills header', async () => {
    const page = s.page;
    await app.go('design');
    await design.newFromShipped('vmware-3tier-ha');
    await design.tab('plan');
    await page.getByTestId('plan-ip-table').waitFor();
    await page.locator('.plan h2').filter({ hasText: 'VMware 3계층 HA 실습' }).waitFor();
    const found = await look('Design: Plan of the seed lab');
    await design.tab('canvas');
    await app.go('drills');
    await page.locator('.lab-head h2').filter({ hasText: 'VMware 3계층 HA 실습' }).waitFor();
    found.push(...(await look('Drills (the seed lab)')));
    await expectKorean(found);
  });

  it('a new empty lab, and the lab screens without a lab', async () => {
    const page = s.page;
    await app.go('design');
    await design.newEmpty();
    const found = await look('Design: new empty lab');
    for (const screen of ['provision', 'dashboard', 'drills'] as const) {
      await app.go(screen);
      await page.getByTestId('lab-gate').waitFor();
      found.push(...(await look(`${screen} (no lab)`)));
    }
    await expectKorean(found);
  });
});
