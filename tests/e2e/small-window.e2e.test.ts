/**
 * 1024×700 works on every screen, in English and in Korean (issue 12).
 *
 * At 1024×700, with the seed lab open, every screen and dialog is visited:
 * start page, Design (canvas with a VM's Properties, the lab's Properties,
 * Plan, YAML), Provision, Dashboard, Drills, Settings, and the New-lab,
 * Save-as and unsaved-changes dialogs. On each:
 * - the page has no horizontal scrollbar;
 * - every panel is inside the window, and content taller or wider than its
 *   panel scrolls inside it (the Properties panel, the Plan's tables);
 * - no table header and no button breaks inside a word (Korean
 *   `word-break: keep-all`): a header never has more lines than words;
 * - a dialog fits in the window;
 * - and, in either language, no jargon (nodes[2].nics[0], "networks ()", "(s)").
 * One server and one browser for the whole file.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jargon, visibleTexts } from './support/english';
import { screenshot, type Session } from './support/harness';
import { openAppSession, type AppPage, type DesignPage } from './support/pages';

const W = 1024;
const H = 700;

let s: Session;
let app: AppPage;
let design: DesignPage;

beforeAll(async () => {
  ({ s, app, design } = await openAppSession({ width: W, height: H }));
});
afterAll(async () => {
  await s?.close();
});

/** What does not fit, as readable lines (empty when everything fits). */
async function misfits(page: Page, panels: readonly string[]): Promise<string[]> {
  return page.evaluate(
    ({ W, H, panels }) => {
      const out: string[] = [];
      const name = (el: Element) => (el as HTMLElement).dataset.testid ?? `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
      const doc = document.documentElement;
      if (doc.scrollWidth > W) out.push(`the page is ${doc.scrollWidth} px wide (horizontal scrollbar)`);
      if (document.body.scrollWidth > W) out.push(`the body is ${document.body.scrollWidth} px wide`);
      /** Can `el` or one of its ancestors scroll along `axis`? */
      const scrollsInside = (el: Element, axis: 'x' | 'y') => {
        for (let p: Element | null = el; p && p !== document.body; p = p.parentElement) {
          const st = getComputedStyle(p);
          const o = axis === 'x' ? st.overflowX : st.overflowY;
          if (o === 'auto' || o === 'scroll') return p;
        }
        return undefined;
      };
      for (const sel of panels) {
        const el = document.querySelector(`[data-testid="${sel}"]`);
        if (!el) {
          out.push(`${sel}: not on the page`);
          continue;
        }
        const r = el.getBoundingClientRect();
        if (r.right > W + 0.5 || r.left < -0.5) out.push(`${sel}: from x ${Math.round(r.left)} to ${Math.round(r.right)}, outside the window`);
        // Below the window only inside something that scrolls (the screen, the Plan): the user reaches it.
        if (r.bottom > H + 0.5 && !scrollsInside(el.parentElement ?? el, 'y')) out.push(`${sel}: bottom at ${Math.round(r.bottom)}, below the window and nothing scrolls to it`);
        const x = el as HTMLElement;
        if (x.scrollHeight > x.clientHeight + 1 && !scrollsInside(el, 'y')) out.push(`${sel}: content ${x.scrollHeight} px high in ${x.clientHeight} px and no scrolling`);
        if (x.scrollWidth > x.clientWidth + 1 && !scrollsInside(el, 'x')) out.push(`${sel}: content ${x.scrollWidth} px wide in ${x.clientWidth} px and no scrolling`);
      }
      // Anything cut off at the right edge of the window (the canvas' own pan area aside), unless it scrolls inside a panel.
      const cut = new Set<Element>();
      for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.react-flow') || el.closest('[data-testid="yaml-text"]')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= W + 1) continue;
        if (scrollsInside(el.parentElement ?? el, 'x')) continue;
        // Report the outermost one only.
        if ([...cut].some((c) => c.contains(el))) continue;
        cut.add(el);
        out.push(`${name(el)} "${((el as HTMLElement).innerText ?? '').trim().slice(0, 40)}": right edge at ${Math.round(r.right)}, cut off by the window`);
      }
      // Tables: inside the window, or scrolling inside their panel.
      for (const t of document.querySelectorAll('table')) {
        const r = t.getBoundingClientRect();
        if (r.width === 0) continue;
        const box = scrollsInside(t, 'x');
        const limit = box ? box.getBoundingClientRect().right : W;
        if (!box && r.right > Math.min(limit, W) + 0.5) out.push(`table in ${name(t.parentElement!)}: right edge at ${Math.round(r.right)}, cut off`);
      }
      // Headers and buttons: never broken inside a word.
      for (const el of document.querySelectorAll('th, button, .tab, h1, h2, h3, label')) {
        const text = (el as HTMLElement).innerText.trim();
        if (!text || el.getBoundingClientRect().width === 0) continue;
        const words = text.split(/\s+/).length;
        // Lines of text: the text nodes' line boxes, grouped by their top (a few px apart is one line).
        const tops: number[] = [];
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if (!n.textContent?.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(n);
          for (const q of range.getClientRects()) if (q.width > 0) tops.push(q.top);
        }
        tops.sort((a, b) => a - b);
        const lines = tops.filter((y, i) => i === 0 || y - tops[i - 1]! > 6).length;
        if (lines > words) out.push(`"${text}" (${name(el)}): ${lines} lines for ${words} word(s), broken inside a word`);
      }
      // Dialogs fit.
      for (const d of document.querySelectorAll('[role="dialog"]')) {
        const r = d.getBoundingClientRect();
        if (r.left < 0 || r.top < 0 || r.right > W + 0.5 || r.bottom > H + 0.5) out.push(`dialog ${name(d)}: ${Math.round(r.left)},${Math.round(r.top)} to ${Math.round(r.right)},${Math.round(r.bottom)}, outside the window`);
        const x = d as HTMLElement;
        if (x.scrollHeight > x.clientHeight + 1 && !scrollsInside(d, 'y')) out.push(`dialog ${name(d)}: content cut off`);
      }
      return out;
    },
    { W, H, panels },
  );
}

/** Check the current view; print and fail with everything that does not fit. */
async function fits(view: string, panels: readonly string[] = []): Promise<string[]> {
  await s.page.waitForTimeout(100);
  const found = (await misfits(s.page, panels)).map((m) => `[${view}] ${m}`);
  // On the way, in both languages: no jargon a student should not meet (nodes[2], "networks ()", "(s)").
  found.push(...jargon(await visibleTexts(s.page)).map((j) => `[${view}] jargon "${j.sentence}" in: ${j.where.slice(0, 120)}`));
  if (found.length) console.log(`[1024×700] ${found.join('\n[1024×700] ')}`);
  return found;
}

describe.each(['en', 'ko'] as const)('1024×700 (%s)', (lang) => {
  it('start page and the New-lab dialog', async () => {
    const page = s.page;
    await page.reload();
    await page.getByTestId('start-page').waitFor();
    await app.language(lang);
    if (lang === 'ko') expect(await page.evaluate(() => getComputedStyle(document.body).wordBreak)).toBe('keep-all');
    const found = await fits('start page', ['start-page']);
    await page.getByTestId('file-new').click();
    await page.locator('[data-testid^="new-shipped-"]').first().waitFor();
    found.push(...(await fits('dialog: New lab', ['dialog-new'])));
    await screenshot(page, `90-1024-new-dialog-${lang}`);
    await page.getByTestId('new-shipped-vmware-3tier-ha').click();
    await page.getByTestId('file-name').filter({ hasText: 'vmware-3tier-ha.yaml' }).waitFor();
    expect(found).toEqual([]);
  });

  it('Design: canvas with Properties of a VM, a VIP and the lab; Plan; YAML', async () => {
    const page = s.page;
    await design.select(design.vm('lb-master'));
    await design.field('nodes.0.nics.0.address').waitFor();
    const found = await fits('Design: Properties of a VM', ['toolbar', 'palette', 'canvas', 'properties', 'problems']);
    await design.selectLab();
    found.push(...(await fits('Design: Properties of the lab', ['properties'])));
    await screenshot(page, `91-1024-design-lab-${lang}`);
    await design.select(design.vip('web'));
    found.push(...(await fits('Design: Properties of a VIP', ['properties'])));
    // Errors with long messages in the Problems panel and under a field.
    await design.select(design.vm('db-slave'));
    await design.type('nodes.5.nics.0.address', '10.0.0.31');
    await design.fieldError('nodes.5.nics.0.address').waitFor();
    await design.select(design.net('vmnet2'));
    await design.type('networks.1.subnet', '10.0.0.5/24');
    await design.fieldError('networks.1.subnet').waitFor();
    found.push(...(await fits('Design: errors in Problems and Properties', ['problems', 'properties'])));
    await screenshot(page, `91b-1024-design-errors-${lang}`);
    await design.tab('plan');
    found.push(...(await fits('Design: Plan of a lab with errors', ['plan'])));
    await design.tab('canvas');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.getByTestId('problems-none').waitFor();
    await design.tab('plan');
    found.push(...(await fits('Design: Plan', ['plan', 'plan-ip-table'])));
    await screenshot(page, `92-1024-plan-${lang}`);
    await design.tab('yaml');
    found.push(...(await fits('Design: YAML', ['yaml-view'])));
    await design.tab('canvas');
    // Fit view in the small canvas: no card under the minimap (hidden in a short window) or the zoom buttons.
    await page.getByTestId('view-fit').click();
    await page.waitForTimeout(450);
    const covered = await page.evaluate(() => {
      const over = (a: DOMRect, b: DOMRect) => a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom;
      const tools = [...document.querySelectorAll('.react-flow__minimap, .react-flow__controls')].map((e) => ({ n: e.className, r: e.getBoundingClientRect() }));
      const out: string[] = [];
      for (const n of document.querySelectorAll<HTMLElement>('.react-flow__node')) {
        const r = n.getBoundingClientRect();
        for (const x of tools) if (over(r, x.r)) out.push(`${n.dataset.id} under ${x.n.split(' ')[0]}`);
      }
      return out;
    });
    if (covered.length) console.log(`[1024×700] [Design: fit view] ${covered.join(', ')}`);
    found.push(...covered.map((c) => `[Design: fit view] ${c}`));
    await screenshot(page, `90b-1024-fit-${lang}`);
    expect(found).toEqual([]);
  });

  it('dialogs: Save as and the unsaved-changes guard', async () => {
    const page = s.page;
    await page.getByTestId('file-save-as').click();
    await page.getByTestId('dialog-save-as').waitFor();
    await page.getByTestId('save-as-name').fill('a/b');
    await page.getByTestId('save-as-save').click();
    await page.getByTestId('save-as-error').waitFor();
    const found = await fits('dialog: Save as', ['dialog-save-as']);
    await page.keyboard.press('Escape');
    await design.select(design.vm('lb-master'));
    await design.type('nodes.0.vcpus', '2');
    await page.getByTestId('dirty').waitFor();
    await page.getByTestId('file-new').click();
    await page.getByTestId('dialog-guard').waitFor();
    found.push(...(await fits('dialog: unsaved changes', ['dialog-guard'])));
    await page.getByTestId('guard-cancel').click();
    await page.keyboard.press('Control+z');
    expect(found).toEqual([]);
  });

  it('Provision, Dashboard, Drills and Settings', async () => {
    const page = s.page;
    await app.go('provision');
    await page.getByTestId('lab-state').waitFor();
    await page.locator('[data-testid^="provider-"]').first().waitFor();
    const found = await fits('Provision', ['screen-provision']);
    await screenshot(page, `93-1024-provision-${lang}`);
    await app.go('dashboard');
    found.push(...(await fits('Dashboard', ['screen-dashboard'])));
    await app.go('drills');
    await page.locator('[data-testid^="drill-run-"]').first().waitFor();
    found.push(...(await fits('Drills', ['screen-drills'])));
    await screenshot(page, `94-1024-drills-${lang}`);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('screen-settings').waitFor();
    await page.getByTestId('settings-vmrunPath').fill('/nonexistent/path/to/vmware/workstation/bin/vmrun');
    await page.getByTestId('template-add').click();
    await page.getByTestId('template-os').last().fill('ubuntu-22.04');
    await page.getByTestId('template-path').last().fill('/nonexistent/very/long/folder/name/for/templates/ubuntu-22.04/ubuntu.vmx');
    await page.locator('[data-testid="template-row"].field-bad').waitFor();
    found.push(...(await fits('Settings with wrong values', ['screen-settings', 'settings-form'])));
    await page.getByTestId('settings-revert').click();
    await page.getByTestId('doctor-quick').click();
    await page.getByTestId('doctor-report').waitFor({ timeout: 60_000 });
    found.push(...(await fits('Settings with a Doctor report', ['screen-settings', 'settings-form', 'doctor'])));
    await screenshot(page, `95-1024-settings-${lang}`);
    await app.go('design');
    expect(found).toEqual([]);
  });
});
