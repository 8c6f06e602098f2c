/**
 * Validation problems: one shape for schema errors, IP-plan errors and
 * warnings, shown the same way by the CLI, the editor and web mode.
 */

import { render, type Lang, type Message } from '../i18n';

export type IssuePath = (string | number)[];

export interface Issue {
  severity: 'error' | 'warning';
  /** Stable rule id, e.g. `address-outside-subnet`. */
  code: string;
  /** Where in the blueprint, as keys and indexes (`nodes.0.nics.1.address`). */
  path: IssuePath;
  /** With unknown-key errors: the offending key (the location points at it). */
  key?: string;
  /** What is wrong, in plain words (English; kept for `--json` and older readers). */
  message: string;
  /** How to fix it (English). */
  fix?: string;
  /** `message` as a catalog message (code + args), for rendering in the reader's language. */
  msg?: Message;
  /** `fix` as a catalog message. */
  fixMsg?: Message;
  /** A third-party library's own words behind this issue (the YAML parser, zod), for `--json` and logs; the messages say it in the catalog's words. */
  raw?: string;
  /** 1-based line and column in the YAML text, when known. */
  line?: number;
  col?: number;
}

/** An issue whose message and fix come from the catalog (English text filled in for compatibility). */
export function issue(severity: Issue['severity'], code: string, path: IssuePath, m: Message, f?: Message): Issue {
  const out: Issue = { severity, code, path, message: render('en', m), msg: m };
  if (f) {
    out.fix = render('en', f);
    out.fixMsg = f;
  }
  return out;
}

/** The message and fix of an issue in `lang` (English text when it carries no catalog message). */
export function issueText(i: Issue, lang: Lang): { message: string; fix?: string } {
  const message = i.msg ? render(lang, i.msg) : i.message;
  const fix = i.fixMsg ? render(lang, i.fixMsg) : i.fix;
  return fix === undefined ? { message } : { message, fix };
}


/** `nodes[0].nics[1].address` */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

/**
 * `file:3:7: error: message [nodes[0].hostname]` and an indented `fix:` line.
 * With `lang`, the severity, message and fix are in that language; with
 * `where`, the place is named by it (e.g. "lb-master's first NIC · Address")
 * instead of the raw path.
 */
export function formatIssue(issue: Issue, file?: string, opts: { lang?: Lang; where?: (path: IssuePath) => string } = {}): string {
  const lang = opts.lang ?? 'en';
  const at = issue.line !== undefined ? `${file ?? '<input>'}:${issue.line}:${issue.col ?? 1}` : (file ?? '<input>');
  const text = issueText(issue, lang);
  const path = issue.key ? [...issue.path, issue.key] : issue.path;
  const place = opts.where && path.length > 0 ? opts.where(path) : formatPath(path);
  const fix = text.fix ? `\n    ${render(lang, { code: 'cli.issueFix', args: { fix: text.fix } })}` : '';
  const sev = render(lang, { code: issue.severity === 'error' ? 'cli.issueError' : 'cli.issueWarning' });
  return `${at}: ${sev}: ${text.message} [${place}]${fix}`;
}

/** Longest text quoted in full in a message; longer values are shortened. */
const QUOTE_MAX = 60;

/** A value quoted for a message: JSON-escaped (control characters visible), long text shortened. */
export function quote(value: string): string {
  if (value.length <= QUOTE_MAX) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTE_MAX))}… (${value.length} characters)`;
}

/**
 * Levenshtein distance, giving up above `max` (returns `max + 1` then).
 * Only a band of width 2·max+1 around the diagonal is computed and the scan
 * stops once a whole row exceeds `max`, so the cost is O(min(|a|,|b|) · max),
 * linear in the text length for a fixed bound.
 */
export function editDistance(a: string, b: string, max = Math.max(a.length, b.length)): number {
  if (a.length > b.length) [a, b] = [b, a];
  if (b.length - a.length > max) return max + 1;
  if (a.length === 0) return b.length;
  const INF = max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j <= max ? j : INF;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    cur[lo - 1] = lo - 1 === 0 ? (i <= max ? i : INF) : INF;
    let rowMin = cur[lo - 1] as number;
    for (let j = lo; j <= hi; j++) {
      const sub = (prev[j - 1] as number) + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      const del = (prev[j] ?? INF) + 1;
      const ins = (cur[j - 1] as number) + 1;
      const d = Math.min(sub, del, ins, INF);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (hi < b.length) cur[hi + 1] = INF;
    if (rowMin > max) return INF;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[b.length] ?? INF, INF);
}

/** Names longer than this get no "did you mean" (every known name is far shorter). */
const GUESS_MAX_LENGTH = 64;

/** The closest candidate, if it is close enough to be a likely typo. Linear in the word's length. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > GUESS_MAX_LENGTH) return undefined;
  const fold = (t: string) => t.toLowerCase().replace(/_/g, '-');
  const w = fold(word);
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c.length > GUESS_MAX_LENGTH + limit) continue;
    const d = editDistance(w, fold(c), limit);
    if (d <= limit && d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
