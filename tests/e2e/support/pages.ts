/**
 * Page objects for the UI tests: every selector is a data-testid, every wait
 * is on a condition.
 */
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { openSession, type Session } from './harness';

/** The shell: navigation, theme and language. */
export class AppPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('app').waitFor();
    // app:info answered: the status bar names the mode.
    await this.page.locator('.status-mode').filter({ hasText: /e2e/ }).waitFor();
  }

  async go(screen: 'design' | 'provision' | 'dashboard' | 'drills'): Promise<void> {
    await this.page.getByTestId(`nav-${screen}`).click();
    await this.page.getByTestId(`screen-${screen}`).waitFor();
  }

  async language(lang: 'en' | 'ko'): Promise<void> {
    await this.page.getByTestId('language-select').selectOption(lang);
    await this.page.waitForFunction((l) => document.documentElement.lang === l, lang);
  }

  /** Close every toast (they would cover screenshots). */
  async dismissToasts(): Promise<void> {
    const close = this.page.locator('.toast button');
    while ((await close.count()) > 0) await close.first().click();
  }

  async theme(theme: 'light' | 'dark'): Promise<void> {
    await this.page.getByTestId('theme-select').selectOption(theme);
    await this.page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    // Colours fade; let the transitions finish so screenshots show the theme.
    // Only transitions: spinners and the dashboard's live dot pulse forever.
    await this.page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== 'running'));
  }
}

type Side = 't' | 'b' | 'l' | 'r';

/** The Design screen: palette, canvas, properties, problems, files. */
export class DesignPage {
  readonly canvas: Locator;
  constructor(readonly page: Page) {
    this.canvas = page.getByTestId('canvas');
  }

  /** File → New → empty canvas (discarding changes if asked). */
  async newEmpty(): Promise<void> {
    await this.page.getByTestId('file-new').click();
    if (await this.page.getByTestId('dialog-guard').isVisible()) await this.page.getByTestId('guard-discard').click();
    await this.page.getByTestId('new-empty').click();
    await this.page.getByTestId('canvas-empty').waitFor();
  }

  /** File → New → a shipped lab. */
  async newFromShipped(id: string): Promise<void> {
    await this.page.getByTestId('file-new').click();
    if (await this.page.getByTestId('dialog-guard').isVisible()) await this.page.getByTestId('guard-discard').click();
    await this.page.getByTestId(`new-shipped-${id}`).click();
    await this.page.getByTestId('file-name').filter({ hasText: `${id}.yaml` }).waitFor();
  }

  /** Drag a palette item onto the canvas at (x, y) relative to the canvas' top-left corner. */
  async drop(item: string, x: number, y: number): Promise<void> {
    await this.page.getByTestId(`palette-${item}`).dragTo(this.canvas, { targetPosition: { x, y } });
  }

  vm(host: string): Locator {
    return this.page.getByTestId(`vm-${host}`);
  }

  net(name: string): Locator {
    return this.page.getByTestId(`net-${name}`);
  }

  vip(name: string): Locator {
    return this.page.getByTestId(`vip-${name}`);
  }

  /** Click an element on the canvas to select it. */
  async select(el: Locator): Promise<void> {
    await el.click({ position: { x: 60, y: 14 } });
  }

  /** Select nothing: the properties panel shows the lab and its services. */
  async selectLab(): Promise<void> {
    const box = await this.canvas.boundingBox();
    if (!box) throw new Error('canvas not visible');
    await this.page.mouse.click(box.x + box.width - 40, box.y + 30);
    await this.page.getByTestId('props-lab').waitFor();
  }

  field(path: string): Locator {
    return this.page.getByTestId(`field-${path}`);
  }

  async type(path: string, value: string): Promise<void> {
    await this.field(path).fill(value);
  }

  fieldError(path: string): Locator {
    return this.page.getByTestId(`error-${path}`);
  }

  /** Draw a line from one handle to another with the mouse. */
  async connect(fromOwner: string, fromSide: Side, toOwner: string, toSide: Side): Promise<void> {
    const a = await this.page.getByTestId(`handle-${fromOwner}-${fromSide}`).boundingBox();
    const b = await this.page.getByTestId(`handle-${toOwner}-${toSide}`).boundingBox();
    if (!a || !b) throw new Error(`handle not found: ${fromOwner}-${fromSide} or ${toOwner}-${toSide}`);
    // On a bus bar, aim under the source so the line drops straight.
    const tx = b.width > 40 ? Math.min(Math.max(a.x + a.width / 2, b.x + 12), b.x + b.width - 12) : b.x + b.width / 2;
    const before = await this.page.locator('.react-flow__edge').count();
    await this.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(tx, b.y + b.height / 2, { steps: 8 });
    await this.page.mouse.up();
    // Every accepted line adds at least one derived edge.
    await this.page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length > n, before, { timeout: 5000 }).catch(async () => {
      await this.page.screenshot({ path: `test-results/screenshots/failed-connect-${fromOwner}-${toOwner}.png` });
      throw new Error(`Drawing a line from ${fromOwner} (${fromSide}) to ${toOwner} (${toSide}) added no connection`);
    });
  }

  problems(): Locator {
    return this.page.getByTestId('problem');
  }

  async tab(name: 'canvas' | 'plan' | 'yaml'): Promise<void> {
    await this.page.getByTestId(`tab-${name}`).click();
    await this.page.getByTestId(name === 'canvas' ? 'canvas' : name === 'plan' ? 'plan' : 'yaml-view').waitFor();
  }

  /** Export YAML (web mode: a download) and return its text. */
  async exportYaml(): Promise<string> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('file-export-yaml').click()]);
    const path = await download.path();
    return readFileSync(path, 'utf8');
  }

  /** Bounding boxes of every canvas node. */
  async nodeBoxes(): Promise<{ id: string; x: number; y: number; w: number; h: number }[]> {
    return this.page.locator('.react-flow__node').evaluateAll((els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { id: el.getAttribute('data-id') ?? '', x: r.x, y: r.y, w: r.width, h: r.height };
      }),
    );
  }
}

/** The Provision screen: lab status, providers, up/down, per-VM progress. */
export class ProvisionPage {
  constructor(readonly page: Page) {}

  state(): Locator {
    return this.page.getByTestId('lab-state');
  }

  vmRow(name: string): Locator {
    return this.page.getByTestId(`vm-row-${name}`);
  }

  provider(kind: 'vmware' | 'linux'): Locator {
    return this.page.getByTestId(`provider-${kind}`);
  }
}

/** The Dashboard: overview cards, VIP timeline, charts, nodes, logs. */
export class DashboardPage {
  constructor(readonly page: Page) {}

  /** The element whose `data-holders` names the VIP's current holders. */
  vipHolder(vip: string): Locator {
    return this.page.getByTestId(`vip-holder-${vip}`);
  }

  /** Wait until the VIP card names exactly `holder`; resolves with the page's clock at that moment (epoch ms). */
  async waitForHolder(vip: string, holder: string, timeout: number): Promise<number> {
    const handle = await this.page.waitForFunction(
      ([id, h]) => {
        const el = document.querySelector<HTMLElement>(`[data-testid="vip-holder-${id}"]`);
        return el?.dataset.holders === h ? Date.now() : false;
      },
      [vip, holder] as const,
      { timeout, polling: 20 },
    );
    return (await handle.jsonValue()) as number;
  }

  node(name: string): Locator {
    return this.page.getByTestId(`node-${name}`);
  }
}

/** The Drills screen: drills, progress, reports. */
export class DrillsPage {
  constructor(readonly page: Page) {}

  async run(drill: string): Promise<void> {
    await this.page.getByTestId(`drill-run-${drill}`).click();
    await this.page.locator('[data-testid="drill-progress"][data-state="running"]').waitFor();
  }

  /** Wait for the current drill to end (any end state) and return it. */
  async waitForEnd(timeout: number): Promise<string> {
    const el = this.page.locator('[data-testid="drill-progress"]:not([data-state="running"])');
    await el.waitFor({ timeout });
    return (await el.getAttribute('data-state')) ?? '';
  }

  /** Open the current drill's report; resolves with its id. */
  async openCurrentReport(timeout: number): Promise<string> {
    await this.page.getByTestId('drill-open-report').click({ timeout });
    const view = this.page.getByTestId('report-view');
    await view.getByTestId('report-verdict-text').waitFor();
    return (await view.getAttribute('data-id')) ?? '';
  }

  /** Click an export button (web mode: a download) and return the file's text. */
  async export(format: 'md' | 'html'): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(`report-export-${format}`).click()]);
    return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
  }
}

/**
 * One browser on the app's start page with the page objects the design-side
 * tests use: 10 s locator timeout, page errors printed.
 */
export async function openAppSession(viewport = { width: 1440, height: 900 }): Promise<{ s: Session; app: AppPage; design: DesignPage }> {
  const s = await openSession({ viewport });
  const app = new AppPage(s.page);
  const design = new DesignPage(s.page);
  s.page.setDefaultTimeout(10_000);
  s.page.on('pageerror', (e) => console.log('[page error]', e.message));
  await app.open(s.url);
  return { s, app, design };
}
