/**
 * The start page, in English and in Korean: shown while no blueprint is
 * open; the seed lab one click away; the other shipped labs; open a file;
 * a new empty lab; the last files. From the opened seed lab, the topology
 * is exported as SVG and PNG from the Design toolbar and checked.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, ROOT, screenshot, type Session } from './support/harness';
import { AppPage } from './support/pages';

const TEXT = {
  en: { title: 'Start a lab', seed: 'Start with the 3-tier HA lab', recentEmpty: 'No recent files yet.', pair: 'Load balancer pair (minimal)', role: 'load balancer', empty: 'New empty lab' },
  ko: { title: '실습 시작하기', seed: '3계층 HA 실습으로 시작', recentEmpty: '아직 최근 파일이 없습니다.', pair: '로드밸런서 쌍 (최소 구성)', role: '로드밸런서', empty: '빈 실습 새로 만들기' },
} as const;

describe.each(['en', 'ko'] as const)('start page (%s)', (lang) => {
  let s: Session;
  let app: AppPage;
  const T = TEXT[lang];

  beforeAll(async () => {
    s = await openSession();
    app = new AppPage(s.page);
    await app.open(s.url);
    await app.language(lang);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('is shown when no blueprint is open, in the chosen language, with the shipped labs and no recent files yet', async () => {
    const page = s.page;
    const start = page.getByTestId('start-page');
    await start.waitFor();
    await start.getByRole('heading', { name: T.title }).waitFor();
    await page.getByTestId('start-seed').filter({ hasText: T.seed }).waitFor();
    await page.getByTestId('start-shipped-lb-pair-minimal').filter({ hasText: T.pair }).waitFor();
    await page.getByTestId('start-shipped-k8s-ha-platform').waitFor();
    await expect(page.getByTestId('start-shipped-vmware-3tier-ha').count()).resolves.toBe(0);
    await page.getByTestId('start-recent-empty').filter({ hasText: T.recentEmpty }).waitFor();
    await page.getByTestId('start-empty').filter({ hasText: T.empty }).waitFor();
    // The Design screen is not there yet.
    await expect(page.getByTestId('canvas').count()).resolves.toBe(0);
    await screenshot(page, `70-start-page-${lang}`);
  });

  it('opens the seed lab with one click, and exports its topology as SVG and PNG', async () => {
    const page = s.page;
    let actions = 0;
    await page.getByTestId('start-seed').click();
    actions++;
    await page.getByTestId('file-name').filter({ hasText: 'vmware-3tier-ha.yaml' }).waitFor();
    for (const h of ['lb-master', 'lb-slave', 'app-server-01', 'app-server-02', 'db-master', 'db-slave']) await page.getByTestId(`vm-${h}`).waitFor();
    await expect(page.getByTestId('start-page').count()).resolves.toBe(0);
    console.log(`[start page ${lang}] actions to open the seed lab from the start page: ${actions}`);
    expect(actions).toBe(1);

    const [svgDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-export-picture').click().then(() => page.getByTestId('file-export-svg').click())]);
    expect(svgDl.suggestedFilename()).toBe('vmware-3tier-ha-topology.svg');
    const svg = readFileSync((await svgDl.path())!, 'utf8');
    const golden = readFileSync(join(ROOT, 'tests/golden/topology', `vmware-3tier-ha.${lang}.svg`), 'utf8');
    expect(svg).toBe(golden);
    expect(svg).toContain(T.role);
    const [w, h] = [Number(/width="(\d+)"/.exec(svg)![1]), Number(/height="(\d+)"/.exec(svg)![1])];

    const [pngDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-export-picture').click().then(() => page.getByTestId('file-export-png').click())]);
    expect(pngDl.suggestedFilename()).toBe('vmware-3tier-ha-topology.png');
    const png = readFileSync((await pngDl.path())!);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([w * 2, h * 2]);
    // A drawn picture, not an empty canvas (a blank 2948×884 PNG compresses to a few KB).
    expect(png.length).toBeGreaterThan(40_000);
    expect(png.length).toBeLessThan(3_000_000);
    await expect(page.getByTestId('picture-menu').count()).resolves.toBe(0);
    // The menu closes on Escape and on a click outside.
    await page.getByTestId('file-export-picture').click();
    await page.getByTestId('picture-menu').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('picture-menu').waitFor({ state: 'detached' });
    await page.getByTestId('file-export-picture').click();
    await page.getByTestId('picture-menu').waitFor();
    await page.getByTestId('file-name').click();
    await page.getByTestId('picture-menu').waitFor({ state: 'detached' });
    await screenshot(page, `71-start-seed-opened-${lang}`);
  });

  it('opens a file, which then is one of the last files on the start page of the next window', async () => {
    const page = s.page;
    await page.reload();
    await page.getByTestId('start-page').waitFor();
    const dir = mkdtempSync(join(tmpdir(), 'halab-start-'));
    const file = join(dir, 'my-lab.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8').replace('name: lb-pair-minimal', 'name: my-lab'));
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('start-open').click()]);
    await chooser.setFiles(file);
    await page.getByTestId('file-name').filter({ hasText: 'my-lab.yaml' }).waitFor();
    await page.getByTestId('vm-lb1').waitFor();

    await page.reload();
    await page.getByTestId('start-page').waitFor();
    await page.getByTestId('start-recent-0').filter({ hasText: 'my-lab.yaml' }).click();
    await page.getByTestId('file-name').filter({ hasText: 'my-lab.yaml' }).waitFor();
    await page.getByTestId('vm-app1').waitFor();
  });

  it('starts a new empty lab, and offers every new-lab choice', async () => {
    const page = s.page;
    await page.reload();
    await page.getByTestId('start-page').waitFor();
    await page.getByTestId('file-new').click();
    await page.getByTestId('dialog-new').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('dialog-new').waitFor({ state: 'detached' });
    await page.getByTestId('start-empty').click();
    await page.getByTestId('canvas-empty').waitFor();
    await page.getByTestId('palette-vip').waitFor();
    await expect(page.getByTestId('start-page').count()).resolves.toBe(0);
  });
});
