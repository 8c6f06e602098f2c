import { describe, expect, it } from 'vitest';
import { en } from '../../src-renderer/src/i18n/en';
import { dictionaries, placeholders, translate } from '../../src-renderer/src/i18n';

describe('i18n dictionaries', () => {
  it('has every key in both languages, none empty', () => {
    const keys = Object.keys(en).sort();
    for (const [lang, dict] of Object.entries(dictionaries)) {
      expect(Object.keys(dict).sort(), lang).toEqual(keys);
      for (const [k, v] of Object.entries(dict)) expect(v.trim(), `${lang} ${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in every language', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(dictionaries.ko[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('translates Korean for real, not by copying English', () => {
    const same = (Object.keys(en) as (keyof typeof en)[]).filter((k) => dictionaries.ko[k] === en[k]);
    // Only names, units and technical terms may stay as they are.
    expect(same.length).toBeLessThan(Object.keys(en).length * 0.1);
    expect(translate('ko', 'nav.design')).toBe('설계');
  });

  it('fills parameters', () => {
    expect(translate('en', 'connect.alreadyWired', { host: 'lb-master', net: 'vmnet8' })).toBe('lb-master already has a NIC on vmnet8.');
    expect(translate('en', 'file.saved')).toBe('Saved {name}');
  });
});
