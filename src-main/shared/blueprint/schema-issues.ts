/**
 * Turns zod's schema errors into blueprint issues in plain words, with
 * "did you mean" for unknown keys and misspelled choices.
 */
import type { z } from 'zod';
import { list, msg, type Message } from '../i18n';
import { didYouMean, issue, quote, type Issue, type IssuePath } from './issues';
import { zodReason } from './reasons';
import { formatRuleFor } from './schema';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
  in?: AnySchema;
}
const defOf = (s: AnySchema): Def => (s as unknown as { def: Def }).def;

/** The object schemas that may stand at `path` (several for unions). */
function objectsAt(schema: AnySchema, path: IssuePath): Def[] {
  let current: Def[] = [defOf(schema)];
  const unwrap = (defs: Def[]): Def[] =>
    defs.flatMap((d) => {
      if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault') return unwrap([defOf(d.innerType as AnySchema)]);
      if (d.type === 'union') return unwrap((d.options ?? []).map(defOf));
      if (d.type === 'pipe' && d.in) return unwrap([defOf(d.in)]);
      return [d];
    });
  current = unwrap(current);
  for (const seg of path) {
    const next: Def[] = [];
    for (const d of current) {
      if (d.type === 'object' && typeof seg === 'string' && d.shape?.[seg]) next.push(defOf(d.shape[seg]));
      else if (d.type === 'array' && typeof seg === 'number' && d.element) next.push(defOf(d.element));
      else if (d.type === 'record' && d.valueType) next.push(defOf(d.valueType));
    }
    current = unwrap(next);
  }
  return current.filter((d) => d.type === 'object');
}

function describeValue(v: unknown): Message {
  if (v === undefined) return msg('value.nothing');
  if (v === null) return msg('value.null');
  if (Array.isArray(v)) return msg('value.list');
  if (typeof v === 'object') return msg('value.mapping');
  if (typeof v === 'string') return msg('value.text', { text: quote(v) });
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? msg('value.nan') : msg('value.infinity');
  return msg('value.other', { type: typeof v, value: String(v) });
}

function valueAt(data: unknown, path: IssuePath): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const TYPE_WORDS: Record<string, Message> = {
  number: msg('type.number'),
  string: msg('type.string'),
  boolean: msg('type.boolean'),
  array: msg('type.array'),
  object: msg('type.object'),
};
const typeWord = (t: string): Message | string => TYPE_WORDS[t] ?? t;
const choicesOf = (choices: string[]): Message => (choices.length === 1 ? msg('choices.one', { value: choices[0] as string }) : msg('choices.many', { list: list(choices.map((c) => `"${c}"`)) }));
const err = (code: string, path: IssuePath, m: Message, f: Message): Issue => issue('error', code, path, m, f);

/** Translate zod issues to blueprint issues. */
export function schemaIssues(schema: AnySchema, error: z.ZodError, data: unknown): Issue[] {
  const out: Issue[] = [];
  const walk = (issues: z.core.$ZodIssue[], base: IssuePath) => {
    for (const zi of issues) {
      const path = [...base, ...(zi.path as (string | number)[])];
      const field: Message | string = path.length ? String(path[path.length - 1]) : msg('name.blueprint');
      switch (zi.code) {
        case 'unrecognized_keys': {
          const known = [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
          for (const key of zi.keys) {
            const guess = didYouMean(key, known);
            out.push({
              ...(guess
                ? err('unknown-key', path, msg('v.unknownKeyGuess', { key: quote(key), guess }), msg('v.unknownKey.fixGuess', { guess }))
                : err('unknown-key', path, msg('v.unknownKey', { key: quote(key) }), msg('v.unknownKey.fix', { known: list(known) }))),
              key,
            });
          }
          break;
        }
        case 'invalid_type': {
          const got = valueAt(data, path);
          if (got === undefined) {
            out.push(err('missing-key', path, msg('v.missingKey', { field }), msg('v.missingKey.fix', { field, type: typeWord(zi.expected) })));
          } else {
            out.push(
              err(
                'wrong-type',
                path,
                msg('v.wrongType', { field, expected: typeWord(zi.expected), got: describeValue(got) }),
                zi.expected === 'number'
                  ? msg('v.wrongType.fixNumber')
                  : zi.expected === 'string' && (typeof got === 'number' || typeof got === 'boolean' || got === null)
                    ? msg('v.wrongType.fixQuote', { field })
                    : msg('v.wrongType.fix', { expected: typeWord(zi.expected) }),
              ),
            );
          }
          break;
        }
        case 'invalid_value': {
          const got = valueAt(data, path);
          const choices = zi.values.map(String);
          const guess = typeof got === 'string' ? didYouMean(got, choices) : undefined;
          const a = { field, got: describeValue(got), choices: choicesOf(choices) };
          out.push(err('invalid-choice', path, guess ? msg('v.invalidChoiceGuess', { ...a, guess }) : msg('v.invalidChoice', a), guess ? msg('fix.use', { value: guess }) : msg('v.invalidChoice.fix', { choices: choicesOf(choices) })));
          break;
        }
        case 'too_small':
        case 'too_big': {
          const got = valueAt(data, path);
          const big = zi.code === 'too_big';
          const bound = String(big ? zi.maximum : zi.minimum);
          const code = zi.code.replace('_', '-');
          if (Array.isArray(got)) {
            out.push(big ? err(code, path, msg('v.tooManyItems', { field, count: got.length, bound }), msg('v.tooManyItems.fix', { bound })) : err(code, path, msg('v.tooFewItems', { field, count: got.length, bound }), msg('v.tooFewItems.fix')));
          } else if (typeof got === 'string') {
            const a = { field, length: got.length, text: quote(got), bound };
            out.push(big ? err(code, path, msg('v.textTooLong', a), msg('v.textTooLong.fix', { bound })) : err(code, path, msg('v.textTooShort', a), msg('v.textTooShort.fix')));
          } else {
            const a = { field, bound, got: describeValue(got) };
            out.push(big ? err(code, path, msg('v.numberTooBig', a), msg('v.numberTooBig.fix', { bound })) : err(code, path, msg('v.numberTooSmall', a), msg('v.numberTooSmall.fix', { bound })));
          }
          break;
        }
        case 'invalid_union': {
          // Prefer the branch whose errors went deepest (the one the author meant).
          const branches = zi.errors.filter((b) => b.length > 0);
          const best = branches.sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)))[0];
          if (best && Math.max(...best.map((i) => i.path.length)) > 0) walk(best, path);
          else out.push(err('invalid-value', path, msg('v.notAllowedHere', { field, got: describeValue(valueAt(data, path)) }), msg('v.notAllowedHere.fix')));
          break;
        }
        case 'invalid_format': {
          const got = valueAt(data, path);
          const rule = zi.format === 'regex' ? formatRuleFor(zi.pattern) : undefined;
          // The format rules' own words (schema.ts) from the catalog; a format without a rule named by zod's kind (its words kept in `raw`).
          const expect: Message | string = rule ? (rule.expectMsg ?? rule.expect) : zodReason(zi);
          const fix = rule && typeof got === 'string' ? (rule.fixMsg ? rule.fixMsg(got) : msg('raw.english', { text: rule.fix(got) })) : msg('v.invalidFormat.fix', { expect });
          const i = err('invalid-format', path, msg('v.invalidFormat', { field, got: describeValue(got), expect }), fix);
          out.push(rule ? i : { ...i, raw: zi.message });
          break;
        }
        default:
          // zod's own words for the kinds above stay in `raw`; the reason is the catalog's (or one our refinement carries).
          out.push({ ...err('invalid-value', path, msg('v.invalidValue', { field, got: describeValue(valueAt(data, path)), reason: zodReason(zi as { code: string }) }), msg('v.invalidValue.fix')), raw: zi.message });
      }
    }
  };
  walk(error.issues, []);
  return out;
}
