/**
 * Issue 12's editor fixes in both languages, where the English-only tests
 * (design-editor, design-open) leave the Korean side unchecked: the start
 * page shows no error count before anything is done; a line released on
 * empty canvas says how to connect (and the toast keeps clear of the
 * Properties fields), a line released on a card's body connects;
 * multi-select counts; deleting one load-balancing line warns that roles
 * and services are out of step and one click sets it right; after
 * auto-layout with Korean labels, labels do not overlap, the legend stays
 * below the canvas, no card sits under the minimap and text stays readable;
 * the keyboard (Tab to a card, focus ring, Enter, arrows, the New-lab
 * dialog keeping focus) works with the UI in either language.
 * One server and browser for the file; the language is switched per block.
 */
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, type Session } from './support/harness';
import { openAppSession, type AppPage, type DesignPage } from './support/pages';

const TEXT = {
  en: {
    dropOnCard: 'Release it on a VM, a network bar or a VIP',
    selected: (n: number) => `${n} elements selected`,
    upstreamMissing: 'app-server-01 has the App role but the load balancers do not send to it.',
    fixIt: 'Set it up',
    removeUpstream: 'Remove app-server-01 from load balancing',
    nicAdded: 'nics.1.address',
  },
  ko: {
    dropOnCard: '연결하려면 VM, 네트워크 막대 또는 VIP 위에 놓으세요',
    selected: (n: number) => `요소 ${n}개 선택됨`,
    upstreamMissing: 'app-server-01: 앱 역할이 있지만 로드 밸런서가 이 서버로 보내지 않습니다.',
    fixIt: '설정하기',
    removeUpstream: 'app-server-01을(를) 부하 분산에서 빼기',
    nicAdded: 'nics.1.address',
  },
} as const;

let s: Session;
let app: AppPage;
let design: DesignPage;

beforeAll(async () => {
  ({ s, app, design } = await openAppSession());
});
afterAll(async () => {
  await s?.close();
});

type Box = { x: number; y: number; width: number; height: number };
const box = async (l: Locator): Promise<Box> => {
  const b = await l.boundingBox();
  if (!b) throw new Error('not visible');
  return b;
};
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.each(['en', 'ko'] as const)('editor fixes (%s)', (lang) => {
  const T = TEXT[lang];

  it('the start page shows no error count before anything is done, nor does a new empty lab', async () => {
    const page = s.page;
    await page.reload();
    await page.getByTestId('start-page').waitFor();
    await app.language(lang);
    const status = page.getByTestId('status-validation');
    expect((await status.innerText()).trim()).toBe('');
    expect(await status.getAttribute('class')).not.toMatch(/\bbad\b/);
    await page.getByTestId('start-empty').click();
    await page.getByTestId('canvas-empty').waitFor();
    expect((await status.innerText()).trim()).toBe('');
    await page.reload();
    await page.getByTestId('start-seed').click();
    await page.getByTestId('file-name').filter({ hasText: 'vmware-3tier-ha.yaml' }).waitFor();
    await app.dismissToasts();
  });

  it('a line released on empty canvas says how to connect, clear of the Properties; on a card body it connects', async () => {
    const page = s.page;
    await page.getByTestId('palette-vm-generic').click();
    await design.vm('vm-01').waitFor();
    await page.getByTestId('view-fit').click();
    await page.waitForTimeout(400);
    await design.vm('vm-01').hover();
    const from = await box(page.getByTestId('handle-vm-vm-01-r'));
    const spot = await page.evaluate(() => {
      const r = document.querySelector('[data-testid="canvas"]')!.getBoundingClientRect();
      for (let y = r.y + 40; y < r.bottom - 40; y += 30) for (let x = r.x + 40; x < r.right - 40; x += 30) {
        if (document.elementsFromPoint(x, y)[0]?.classList.contains('react-flow__pane')) return { x, y };
      }
      return undefined;
    });
    if (!spot) throw new Error('no empty spot on the canvas');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(spot.x, spot.y, { steps: 6 });
    await page.mouse.up();
    const toast = page.getByTestId('toast-error').filter({ hasText: T.dropOnCard });
    await toast.waitFor();
    expect(overlap(await box(toast), await box(page.getByTestId('properties')))).toBe(false);
    await app.dismissToasts();

    // Released on vmnet2's bar, anywhere on it: a NIC on vmnet2.
    await design.vm('vm-01').hover();
    const a = await box(page.getByTestId('handle-vm-vm-01-b'));
    const bar = await box(design.net('vmnet2'));
    const before = await page.locator('.react-flow__edge').count();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(bar.x + bar.width - 50, bar.y + bar.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length > n, before);
    await design.select(design.vm('vm-01'));
    await expect(design.field('nodes.6.nics.0.address').inputValue()).resolves.toMatch(/^10\.0\.0\.\d+$/);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await design.vm('vm-01').waitFor({ state: 'detached' });
  });

  it('multi-select counts in the language; one load-balancing line deleted warns and is set right in one click', async () => {
    const page = s.page;
    await design.select(design.vm('app-server-01'));
    await design.vm('app-server-02').click({ position: { x: 60, y: 14 }, modifiers: ['Shift'] });
    await page.getByTestId('props-multi').filter({ hasText: T.selected(2) }).waitFor();
    await design.selectLab();
    await page.keyboard.press('Control+a');
    await page.getByTestId('props-multi').filter({ hasText: T.selected(9) }).waitFor();
    await page.keyboard.press('Escape');

    await design.select(design.vm('lb-master'));
    await page.getByTestId('conn-up:lb-master:app-server-01').click();
    await page.getByTestId('props-delete').filter({ hasText: T.removeUpstream }).click();
    expect(await page.locator('.react-flow__edge-upstream').count()).toBe(2);
    await design.select(design.vm('app-server-01'));
    await page.getByTestId('role-warnings').filter({ hasText: T.upstreamMissing }).waitFor();
    await page.getByTestId('role-fix-upstream').filter({ hasText: T.fixIt }).click();
    expect(await page.locator('.react-flow__edge-upstream').count()).toBe(4);
    expect(await page.getByTestId('role-warnings').count()).toBe(0);
  });

  it('after auto-layout: labels apart, legend below the canvas, no card under the minimap, readable text', async () => {
    const page = s.page;
    await design.selectLab();
    await page.getByTestId('view-layout').click();
    await page.waitForTimeout(400);
    const zoom = await page.evaluate(() => {
      const m = /scale\(([\d.]+)\)/.exec((document.querySelector('.react-flow__viewport') as HTMLElement).style.transform);
      return m ? Number(m[1]) : NaN;
    });
    const labels = await page.locator('.edge-label').evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { t: e.textContent, x: r.x, y: r.y, width: r.width, height: r.height };
    }));
    expect(labels.length).toBeGreaterThan(8);
    for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) expect(overlap(a, b), `label ${a.t} overlaps ${b.t}`).toBe(false);
    const canvas = await box(design.canvas);
    const legend = await box(page.getByTestId('legend'));
    expect(legend.y).toBeGreaterThanOrEqual(canvas.y + canvas.height - 1);
    const minimap = await box(page.locator('.react-flow__minimap'));
    for (const n of await design.nodeBoxes()) expect(overlap({ x: n.x, y: n.y, width: n.w, height: n.h }, minimap), `${n.id} under the minimap`).toBe(false);
    // Korean role chips are wider: the cards still hold them on one line each.
    const chips = await page.locator('.react-flow__node-vm .chip').evaluateAll((els) => els.map((e) => ({ t: e.textContent, h: e.getBoundingClientRect().height })));
    expect(chips.length).toBeGreaterThan(5);
    const px = await page.locator('.vm-name').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(px * zoom).toBeGreaterThanOrEqual(9);
    const oneLine = Math.min(...chips.map((c) => c.h));
    for (const c of chips) expect(c.h, `chip "${c.t}" wraps`).toBeLessThan(oneLine * 1.5);
    await screenshot(page, `96-editor-layout-${lang}`);
    await page.keyboard.press('Control+z');
  });

  it('keyboard: Tab reaches a card with a focus ring, Enter opens Properties, arrows nudge; the New-lab dialog keeps focus', async () => {
    const page = s.page;
    await design.selectLab();
    await page.getByTestId('palette-vip').focus();
    let first = '';
    for (let i = 0; i < 8 && !first; i++) {
      await page.keyboard.press('Tab');
      first = await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        if (!a?.closest('.react-flow')) return '';
        return a.classList.contains('react-flow__node') ? 'node' : a.closest('.react-flow__edge') ? 'edge' : a.className;
      });
    }
    expect(first).toBe('node');
    expect(await page.evaluate(() => getComputedStyle((document.activeElement as HTMLElement).firstElementChild as HTMLElement).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !!document.activeElement?.closest('[data-testid="properties"]'));
    await design.select(design.vm('lb-slave'));
    const before = await box(design.vm('lb-slave'));
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((x) => (document.querySelector('[data-testid="vm-lb-slave"]') as HTMLElement).getBoundingClientRect().x > x + 5, before.x);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');

    await page.getByTestId('file-new').click();
    // The nudges left the lab changed: the guard asks first.
    await page.getByTestId('dialog-guard').waitFor({ timeout: 2000 }).then(() => page.getByTestId('guard-discard').click(), () => undefined);
    const dialog = page.getByTestId('dialog-new');
    await dialog.waitFor();
    await page.locator('[data-testid^="new-shipped-"]').first().waitFor();
    await page.waitForFunction(() => !!document.activeElement?.closest('[data-testid="dialog-new"]'));
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="dialog-new"]'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
