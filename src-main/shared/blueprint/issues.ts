/**
 * Validation problems: one shape for schema errors, IP-plan errors and
 * warnings, shown the same way by the CLI, the editor and web mode.
 */

export type IssuePath = (string | number)[];

export interface Issue {
  severity: 'error' | 'warning';
  /** Stable rule id, e.g. `address-outside-subnet`. */
  code: string;
  /** Where in the blueprint, as keys and indexes (`nodes.0.nics.1.address`). */
  path: IssuePath;
  /** With unknown-key errors: the offending key (the location points at it). */
  key?: string;
  /** What is wrong, in plain words. */
  message: string;
  /** How to fix it. */
  fix?: string;
  /** 1-based line and column in the YAML text, when known. */
  line?: number;
  col?: number;
}

/** `nodes[0].nics[1].address` */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

/** `file:3:7: error: message (nodes[0].hostname) — fix` */
export function formatIssue(issue: Issue, file?: string): string {
  const where = issue.line !== undefined ? `${file ?? '<input>'}:${issue.line}:${issue.col ?? 1}` : (file ?? '<input>');
  const fix = issue.fix ? `\n    fix: ${issue.fix}` : '';
  return `${where}: ${issue.severity}: ${issue.message} [${formatPath(issue.key ? [...issue.path, issue.key] : issue.path)}]${fix}`;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const fold = (t: string) => t.toLowerCase().replace(/_/g, '-');
  const w = fold(word);
  for (const c of candidates) {
    const d = editDistance(w, fold(c)) + (c.toLowerCase() === word.toLowerCase() ? 0 : 0.1);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
