/**
 * Turns zod's schema errors into blueprint issues in plain words, with
 * "did you mean" for unknown keys and misspelled choices.
 */
import type { z } from 'zod';
import { didYouMean, quote, type Issue, type IssuePath } from './issues';
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

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the text ${quote(v)}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'not a number (.nan)' : 'a number too large to hold (it reads as infinity)';
  return `${typeof v} ${String(v)}`;
}

function valueAt(data: unknown, path: IssuePath): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
};

/** Translate zod issues to blueprint issues. */
export function schemaIssues(schema: AnySchema, error: z.ZodError, data: unknown): Issue[] {
  const out: Issue[] = [];
  const walk = (issues: z.core.$ZodIssue[], base: IssuePath) => {
    for (const zi of issues) {
      const path = [...base, ...(zi.path as (string | number)[])];
      const field = path.length ? String(path[path.length - 1]) : 'the blueprint';
      switch (zi.code) {
        case 'unrecognized_keys': {
          const known = [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
          for (const key of zi.keys) {
            const guess = didYouMean(key, known);
            out.push({
              severity: 'error',
              code: 'unknown-key',
              path,
              key,
              message: `Unknown key ${quote(key)}${guess ? `. Did you mean "${guess}"?` : '.'}`,
              fix: guess ? `Rename it to "${guess}".` : `Remove it. Allowed here: ${known.join(', ')}.`,
            });
          }
          break;
        }
        case 'invalid_type': {
          const got = valueAt(data, path);
          if (got === undefined) {
            out.push({ severity: 'error', code: 'missing-key', path, message: `"${field}" is required.`, fix: `Add "${field}" (${TYPE_WORDS[zi.expected] ?? zi.expected}).` });
          } else {
            out.push({
              severity: 'error',
              code: 'wrong-type',
              path,
              message: `"${field}" must be ${TYPE_WORDS[zi.expected] ?? zi.expected}, not ${describeValue(got)}.`,
              fix:
                zi.expected === 'number'
                  ? 'Write the number without quotes or units.'
                  : zi.expected === 'string' && (typeof got === 'number' || typeof got === 'boolean' || got === null)
                    ? `Put the value in quotes, e.g. ${field}: "…", so it reads as text.`
                    : `Write ${TYPE_WORDS[zi.expected] ?? zi.expected} here.`,
            });
          }
          break;
        }
        case 'invalid_value': {
          const got = valueAt(data, path);
          const choices = zi.values.map(String);
          const guess = typeof got === 'string' ? didYouMean(got, choices) : undefined;
          out.push({
            severity: 'error',
            code: 'invalid-choice',
            path,
            message: `"${field}" is ${describeValue(got)}; it must be ${choices.length === 1 ? `"${choices[0]}"` : `one of ${choices.map((c) => `"${c}"`).join(', ')}`}.${guess ? ` Did you mean "${guess}"?` : ''}`,
            fix: guess ? `Use "${guess}".` : `Use ${choices.length === 1 ? `"${choices[0]}"` : `one of ${choices.map((c) => `"${c}"`).join(', ')}`}.`,
          });
          break;
        }
        case 'too_small':
        case 'too_big': {
          const got = valueAt(data, path);
          const big = zi.code === 'too_big';
          const bound = String(big ? zi.maximum : zi.minimum);
          const code = zi.code.replace('_', '-');
          if (Array.isArray(got)) {
            out.push({ severity: 'error', code, path, message: `"${field}" has ${got.length} item(s); ${big ? `at most ${bound} are` : `at least ${bound} ${bound === '1' ? 'is' : 'are'}`} allowed.`, fix: big ? `Keep at most ${bound} (a lab beyond that is more than one PC can run or check).` : `Add ${bound === '1' ? 'one' : 'more'}.` });
          } else if (typeof got === 'string') {
            out.push({ severity: 'error', code, path, message: `"${field}" is ${got.length} characters long (${quote(got)}); ${big ? `at most ${bound}` : `at least ${bound}`} are allowed.`, fix: big ? `Shorten it to ${bound} characters or fewer.` : 'Write a value.' });
          } else {
            out.push({ severity: 'error', code, path, message: `"${field}" must be ${big ? 'at most' : 'at least'} ${bound}; it is ${describeValue(got)}.`, fix: `Use a value ${big ? 'up to' : 'from'} ${bound}.` });
          }
          break;
        }
        case 'invalid_union': {
          // Prefer the branch whose errors went deepest (the one the author meant).
          const branches = zi.errors.filter((b) => b.length > 0);
          const best = branches.sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)))[0];
          if (best && Math.max(...best.map((i) => i.path.length)) > 0) walk(best, path);
          else out.push({ severity: 'error', code: 'invalid-value', path, message: `"${field}" is ${describeValue(valueAt(data, path))}, which is not allowed here.`, fix: 'Use one of the forms lab-blueprints/schema.json describes for this key.' });
          break;
        }
        case 'invalid_format': {
          const got = valueAt(data, path);
          const rule = zi.format === 'regex' ? formatRuleFor(zi.pattern) : undefined;
          out.push({
            severity: 'error',
            code: 'invalid-format',
            path,
            message: `"${field}" is ${describeValue(got)}; it must be ${rule?.expect ?? zi.message}.`,
            fix: rule && typeof got === 'string' ? rule.fix(got) : `Write ${rule?.expect ?? 'a valid value'}.`,
          });
          break;
        }
        default:
          out.push({ severity: 'error', code: 'invalid-value', path, message: `"${field}" is ${describeValue(valueAt(data, path))}: ${zi.message}.`, fix: 'Correct or remove this value.' });
      }
    }
  };
  walk(error.issues, []);
  return out;
}
