/**
 * Every shipped lab has a title in the UI's dictionaries (`start.lab.<id>`),
 * so the start page and the New-lab dialog never show a blueprint's English
 * title in Korean mode (issue 12). A new file in lab-blueprints/ needs its
 * two lines in src-renderer/src/i18n/en-report.ts and ko-report.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dictionaries } from '../../src-renderer/src/i18n';

const DIR = join(__dirname, '../../lab-blueprints');

describe('shipped lab titles', () => {
  it('has an English and a Korean title for every lab in lab-blueprints/', () => {
    const ids = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(ids.length).toBeGreaterThan(2);
    for (const id of ids) {
      const key = `start.lab.${id}` as keyof typeof dictionaries.en;
      const title = (parse(readFileSync(join(DIR, `${id}.yaml`), 'utf8')) as { metadata: { title?: string } }).metadata.title;
      expect(dictionaries.en[key], `${key} (en) for lab-blueprints/${id}.yaml`).toBe(title);
      expect(dictionaries.ko[key], `${key} (ko)`).toMatch(/[가-힣]/);
    }
  });
});
