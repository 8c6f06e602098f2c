/**
 * A small typed i18n: `t(lang, key, params)` and the `useT()` hook. Missing
 * parameters stay visible as `{name}` so they are noticed.
 */
import { en, type MessageKey } from './en';
import { ko } from './ko';

export type Language = 'en' | 'ko';
export type { MessageKey };

/** The dictionaries, by language. */
export const dictionaries: Record<Language, Record<MessageKey, string>> = { en, ko };

/** Message parameters. */
export type Params = Record<string, string | number>;

/** Translate `key` into `lang`, filling `{param}` placeholders. */
export function translate(lang: Language, key: MessageKey, params?: Params): string {
  const text = dictionaries[lang][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The `{name}` placeholders a message uses, sorted. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).sort();
}
