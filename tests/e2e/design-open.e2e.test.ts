/**
 * Open the shipped k8s blueprint (no positions): its eight VMs are laid out
 * without overlap, edits are undoable, comments survive export; the shell
 * switches to Korean and back, and every screen is captured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openSession, screenshot, type Session } from './support/harness';
import { AppPage, DesignPage } from './support/pages';

let s: Session;
let app: AppPage;
let design: DesignPage;

beforeAll(async () => {
  s = await openSession();
  app = new AppPage(s.page);
  design = new DesignPage(s.page);
  await app.open(s.url);
});
afterAll(async () => {
  await s?.close();
});

const overlaps = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('opening the k8s blueprint', () => {
  it('lays out its eight VMs without overlapping nodes', async () => {
    await design.newFromShipped('k8s-ha-platform');
    const hosts = ['bastion-m', 'bastion-s', 'nfs', 'k8s-m', 'k8s-n1', 'k8s-n2', 'mysql-m', 'mysql-s'];
    for (const h of hosts) await design.vm(h).waitFor();
    await design.net('vmnet1').waitFor();
    await design.vip('entry').waitFor();
    const boxes = await design.nodeBoxes();
    expect(boxes.filter((b) => b.id.startsWith('vm:'))).toHaveLength(8);
    for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) expect(overlaps(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
    await s.page.getByTestId('problems-none').waitFor();
    await screenshot(s.page, '10-design-k8s-auto-layout');
  });

  it('copies, pastes, undoes, redoes and deletes with the keyboard', async () => {
    const page = s.page;
    await design.select(design.vm('k8s-n2'));
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await design.vm('k8s-n3').waitFor();
    // The copy got a free address on vmnet1 by its role (workers from .21), not a duplicate.
    await expect(design.field('nodes.8.nics.0.address').inputValue()).resolves.toBe('172.16.0.21');
    await page.keyboard.press('Control+z');
    await design.vm('k8s-n3').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Shift+z');
    await design.vm('k8s-n3').waitFor();
    await design.select(design.vm('k8s-n3'));
    await page.keyboard.press('Delete');
    await design.vm('k8s-n3').waitFor({ state: 'detached' });
    await page.getByTestId('dirty').waitFor();
  });

  it('keeps the comments and saves the positions when exporting', async () => {
    const text = await design.exportYaml();
    expect(text).toContain("# The seed's ingress entry 172.16.0.201 is used as the VIP");
    expect(text).toContain('# - root used for replication, monitoring and backup: one account per purpose.');
    const positions = (parse(text) as { layout: { positions: Record<string, { x: number; y: number }> } }).layout.positions;
    expect(Object.keys(positions)).toHaveLength(10);
  });

  it('asks before discarding unsaved changes', async () => {
    const page = s.page;
    // Fit keeps card text readable (zoom >= 0.75), so the bottom row is reached by dragging the canvas up.
    const c = await design.canvas.boundingBox();
    if (!c) throw new Error('canvas not visible');
    await page.mouse.move(c.x + c.width - 60, c.y + 200);
    await page.mouse.down();
    await page.mouse.move(c.x + c.width - 60, c.y + 200 - 320, { steps: 6 });
    await page.mouse.up();
    await design.select(design.vm('nfs'));
    await design.type('nodes.2.memoryMiB', '2048');
    await page.getByTestId('file-new').click();
    await page.getByTestId('dialog-guard').waitFor();
    await screenshot(page, '11-design-unsaved-guard');
    await page.getByTestId('guard-cancel').click();
    await page.getByTestId('dialog-guard').waitFor({ state: 'detached' });
    await design.vm('nfs').filter({ hasText: '2 GiB' }).waitFor();
  });
});

describe('the shell', () => {
  it('switches to Korean and back', async () => {
    const page = s.page;
    await app.language('ko');
    await page.getByTestId('nav-design').filter({ hasText: '설계' }).waitFor();
    await page.getByTestId('palette').getByText('로드 밸런서').waitFor();
    await page.getByTestId('tab-plan').filter({ hasText: '계획' }).waitFor();
    await screenshot(page, '20-design-korean');
    await app.go('drills');
    await page.getByTestId('screen-drills').getByText('이 랩의 장애 훈련').waitFor();
    await page.getByTestId('drill-db-primary-down').getByText('프라이머리를 멈추고').waitFor();
    await screenshot(page, '21-drills-korean');
    await app.go('design');
    await app.language('en');
    await page.getByTestId('nav-design').filter({ hasText: 'Design' }).waitFor();
    await page.getByTestId('palette').getByText('Load balancer').waitFor();
  });

  it('shows the lab screens for a lab that is not up here, in both themes', async () => {
    const page = s.page;
    await app.go('provision');
    await page.getByTestId('lab-state').filter({ hasText: 'Not up on this computer' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('vm-row-k8s-m').waitFor();
    await screenshot(page, '30-provision');
    await app.go('dashboard');
    await page.getByTestId('dashboard-not-up').getByText('This lab is not running').waitFor({ timeout: 30_000 });
    await screenshot(page, '30-dashboard');
    await app.go('drills');
    await page.getByTestId('drill-db-primary-down').getByText('Fail the DB primary, promote the replica').waitFor();
    await screenshot(page, '30-drills');
    await app.go('design');
    await app.theme('dark');
    await page.getByTestId('view-fit').click();
    await design.vm('k8s-m').waitFor();
    await screenshot(page, '31-design-dark');
    await design.tab('plan');
    await screenshot(page, '32-plan-dark');
    await design.tab('canvas');
    await app.theme('light');
  });
});
