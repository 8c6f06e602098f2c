/**
 * The template maker (`halab template create`, Settings' template button)
 * speaks through the message catalog: its failures, fixes and progress lines
 * carry messages that read in Korean, with the English kept for `--json`.
 */
import { describe, expect, it } from 'vitest';
import { createTemplate, TemplateError } from '../../src-main/hypervisor/vmware/template-create';
import { CATALOG_KO } from '../../src-main/shared/i18n/catalog';
import { render } from '../../src-main/shared/i18n';

const hangul = /[\uac00-\ud7a3]/;

describe('template maker in Korean', () => {
  it('a refused OS name is a catalog message with its fix, English kept beside it', async () => {
    const e = await createTemplate({ os: 'Bad OS!', labsDir: '/nonexistent/labs' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TemplateError);
    const te = e as TemplateError;
    expect(te.code).toBe('usage');
    expect(te.message).toBe('"Bad OS!" is not an OS name.');
    expect(te.msg?.code).toBe('tpl.badOs');
    expect(render('ko', te.msg!)).toMatch(hangul);
    expect(render('ko', te.fixMsg!)).toBe('ubuntu-22.04 같은 이름을 쓰세요.');
  });

  it('every failure, fix and progress line of the template maker has Korean text', () => {
    const codes = Object.keys(CATALOG_KO).filter((c) => c.startsWith('tpl.') && c !== 'tpl.failedFix');
    expect(codes.length).toBeGreaterThan(40);
    for (const c of codes) expect(CATALOG_KO[c as keyof typeof CATALOG_KO], c).toMatch(hangul);
  });
});
