/**
 * Web mode's "Save as…" asks for a file name before the browser downloads:
 * 제목없음.yaml / untitled.yaml for a new lab (the current name otherwise),
 * the name selected without its extension, .yaml added, empty names and
 * folder characters refused in the student's language, Escape cancels.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Session } from './support/harness';
import { openAppSession, type AppPage, type DesignPage } from './support/pages';

let s: Session;
let app: AppPage;
let design: DesignPage;

beforeAll(async () => {
  ({ s, app, design } = await openAppSession());
});
afterAll(async () => {
  await s?.close();
});

const dialog = () => s.page.getByTestId('dialog-save-as');
const nameBox = () => s.page.getByTestId('save-as-name');

/** The YAML tab's text (what a save writes). */
async function yamlText(): Promise<string> {
  await design.tab('yaml');
  const text = (await s.page.getByTestId('yaml-text').textContent()) ?? '';
  await design.tab('canvas');
  return text;
}

/** Submit the dialog (click or Enter) and return the download's name and text. */
async function saveAndDownload(submit: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([s.page.waitForEvent('download'), submit()]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

describe('Save as… in the browser', () => {
  it('Korean: proposes 제목없음.yaml, refuses bad names, Escape cancels, saves under the typed name', async () => {
    const page = s.page;
    await app.language('ko');
    await design.newEmpty();
    await design.drop('vm-loadbalancer', 300, 200);
    await page.getByTestId('file-name').filter({ hasText: '제목없음.yaml' }).waitFor();

    await page.getByTestId('file-save-as').click();
    await dialog().waitFor();
    await dialog().getByText('다른 이름으로 저장').first().waitFor();
    expect(await nameBox().inputValue()).toBe('제목없음.yaml');
    // The stem is selected, so typing replaces it and keeps nothing stray.
    expect(await nameBox().evaluate((el: HTMLInputElement) => el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0))).toBe('제목없음');

    // Escape: no download, the file keeps its name and stays unsaved.
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await page.getByTestId('file-name').filter({ hasText: '제목없음.yaml' }).waitFor();

    await page.getByTestId('file-save-as').click();
    await nameBox().fill('   ');
    await page.getByTestId('save-as-save').click();
    expect(await page.getByTestId('save-as-error').textContent()).toContain('파일 이름을 입력하세요');
    await nameBox().fill('labs/내 실습');
    expect(await page.getByTestId('save-as-error').textContent()).toContain('쓸 수 없습니다');
    expect(await dialog().isVisible()).toBe(true);

    await nameBox().fill('내 실습');
    const expected = await page.evaluate(() => document.querySelector('[data-testid="file-name"]')?.textContent);
    expect(expected).toContain('제목없음.yaml');
    const saved = await saveAndDownload(() => page.getByTestId('save-as-save').click());
    expect(saved.name).toBe('내 실습.yaml');
    await dialog().waitFor({ state: 'detached' });
    await page.getByTestId('file-name').filter({ hasText: '내 실습.yaml' }).waitFor();
    expect(saved.text).toBe(await yamlText());
    expect((parse(saved.text) as { nodes: { roles: string[] }[] }).nodes[0]?.roles).toEqual(['loadbalancer']);

    // Next time the dialog proposes the name it was saved under.
    await page.getByTestId('file-save-as').click();
    expect(await nameBox().inputValue()).toBe('내 실습.yaml');
    await page.getByTestId('save-as-cancel').click();
    await dialog().waitFor({ state: 'detached' });
  });

  it('English: untitled.yaml, Enter saves, .yml kept; a shipped lab proposes its own name', async () => {
    const page = s.page;
    await app.language('en');
    await design.newFromShipped('vmware-3tier-ha');
    await page.getByTestId('file-save-as').click();
    expect(await nameBox().inputValue()).toBe('vmware-3tier-ha.yaml');
    await page.getByTestId('save-as-cancel').click();

    await design.newEmpty();
    await design.drop('vm-app', 300, 200);
    await page.keyboard.press('Control+Shift+S');
    await dialog().getByText('Save as').first().waitFor();
    expect(await nameBox().inputValue()).toBe('untitled.yaml');
    await nameBox().fill('');
    await nameBox().press('Enter');
    expect(await page.getByTestId('save-as-error').textContent()).toContain('Type a file name');
    await nameBox().fill('web-tier.yml');
    const saved = await saveAndDownload(() => nameBox().press('Enter'));
    expect(saved.name).toBe('web-tier.yml');
    await page.getByTestId('file-name').filter({ hasText: 'web-tier.yml' }).waitFor();
    expect(saved.text).toBe(await yamlText());
  });
});
