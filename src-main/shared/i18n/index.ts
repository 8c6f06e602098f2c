/**
 * The message catalog: everything the backend says, in English and Korean.
 *
 * - Every message has a stable code (`validate.subnetOverlap`, `name.nic`, …).
 *   Codes never change meaning; a new wording keeps the code, a new meaning
 *   gets a new code. Texts live per domain in `messages-<domain>.ts`, the
 *   English and Korean side by side.
 * - `{name}` in a text is a placeholder. The argument object a code takes is
 *   derived from its English text at compile time (`MessageArgs<C>`), so
 *   `msg('validate.subnetOverlap', { subnet })` fails to type-check when an
 *   argument is missing or misspelt. Placeholders of the form `{a b}` or
 *   `{a: 1}` (YAML flow maps in a fix) are literal text, not placeholders.
 *   The Korean text must use the same placeholders (tests/unit/i18n-catalog).
 * - An argument is a string, a number or another `Message` (rendered in the
 *   same language: "lb-master's first NIC" / "lb-master의 첫 번째 NIC").
 * - A `Message = { code, args }` is plain JSON: it crosses IPC and `--json`
 *   unchanged and each front end renders it in its own language with `t()`
 *   (the renderer with its settings language, the CLI with `--lang` or the
 *   locale: `pickLang`). The backend never renders for the UI.
 * - Korean first: texts are written for a Korean university student, with
 *   particles after fixed nouns ("vmnet2 네트워크는") rather than after a
 *   variable, so they read naturally whatever the value is.
 *
 * Browser-safe: no Node APIs (the environment is passed to `pickLang`).
 */
import { CATALOG_EN, CATALOG_KO, type CatalogEn } from './catalog';

export type Lang = 'en' | 'ko';
export const LANGS: readonly Lang[] = ['en', 'ko'];

export type MessageCode = keyof CatalogEn;

/** Placeholder names in a text (literal type): `'a {x} b {y}'` → `'x' | 'y'`. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer R}`
  ? (P extends `${string} ${string}` | `${string}:${string}` | `${string}{${string}` | '' ? never : P) | Placeholders<R>
  : never;

/** A value a placeholder takes. */
export type MessageArg = string | number | Message;

/** The argument object of `code`: exactly its placeholders. */
export type MessageArgs<C extends MessageCode> = { [P in Placeholders<CatalogEn[C]>]: MessageArg };

/** A message to be rendered later, in the reader's language. Plain JSON. */
export interface Message<C extends MessageCode = MessageCode> {
  code: C;
  args?: Record<string, MessageArg>;
}

type ArgsParam<C extends MessageCode> = [Placeholders<CatalogEn[C]>] extends [never] ? [args?: Record<string, never>] : [args: MessageArgs<C>];

/** A `Message` value, its arguments checked against the catalog. */
export function msg<C extends MessageCode>(code: C, ...[args]: ArgsParam<C>): Message<C> {
  return args && Object.keys(args).length > 0 ? { code, args: args as Record<string, MessageArg> } : { code };
}

const CATALOGS: Record<Lang, Record<MessageCode, string>> = { en: CATALOG_EN, ko: CATALOG_KO };

const PLACEHOLDER = /\{(\w+)\}/g;

/** The `{name}` placeholders of a catalog text, sorted (what the unit test compares). */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].sort();
}

/** Is this a catalog code (for messages that came over JSON)? */
export function isMessageCode(code: unknown): code is MessageCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CATALOG_EN, code);
}

/** Render an argument: a nested message in the same language, anything else as text. */
function arg(lang: Lang, v: MessageArg | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'object') return render(lang, v);
  return String(v);
}

/** A `Message` in `lang`. An unknown code (from a newer backend) shows its code; a missing argument stays `{name}`. */
export function render(lang: Lang, m: Message): string {
  const text = (CATALOGS[lang] as Record<string, string | undefined>)[m.code] ?? (CATALOG_EN as Record<string, string | undefined>)[m.code] ?? m.code;
  const args = m.args ?? {};
  return text.replace(PLACEHOLDER, (whole, name: string) => arg(lang, args[name]) ?? whole);
}

/** `t(lang, code, args)`: render a catalog message straight away. */
export function t<C extends MessageCode>(lang: Lang, code: C, ...[args]: ArgsParam<C>): string {
  return render(lang, { code, args: args as Record<string, MessageArg> | undefined });
}

/** Both languages' texts of a catalog (for the unit test and tooling). */
export function catalogs(): Record<Lang, Record<string, string>> {
  return CATALOGS;
}

/** Thrown for a `--lang` that is neither en nor ko. */
export class LanguageError extends Error {
  override readonly name = 'LanguageError';
}

/**
 * The language asked for with `--lang`, else the one of `LC_ALL`, `LC_MESSAGES`
 * or `LANG` (the first one set; `ko_KR.UTF-8` → ko), else English. An unknown
 * `--lang` is refused. `env` is passed in so this stays browser-safe.
 */
export function pickLang(flag: string | undefined, env: Record<string, string | undefined> = {}): Lang {
  if (flag !== undefined) {
    if (flag === 'en' || flag === 'ko') return flag;
    throw new LanguageError(render('en', msg('lang.invalid', { value: JSON.stringify(flag) })));
  }
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^ko(\b|_|$)/i.test(locale) ? 'ko' : 'en';
}

/** Join names for a message: "a, b, c" in both languages. */
export function list(items: readonly (string | number)[]): string {
  return items.join(', ');
}
