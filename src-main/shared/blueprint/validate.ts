/**
 * Blueprint validation: YAML syntax, then the schema, then the IP plan and
 * service rules. The same code runs in the CLI, the main process and the
 * editor in the browser. Browser-safe.
 */
import type { Document } from 'yaml';
import { msg } from '../i18n';
import { formatIssue, issue, type Issue } from './issues';
import { resolveLab, type ResolvedLab, type ResolvedNetwork } from './model';
import { checkNetworks, checkNodesAndVips, HOSTNAME_RE } from './rules-network';
import { checkPostgres } from './rules-postgres';
import { checkProviderRules, type BlueprintProvider } from './rules-provider';
import { checkMemory, checkServices } from './rules-services';
import { checkCache } from './rules-cache';
import { checkObjectives } from './rules-objectives';
import { checkZones } from './rules-zones';
import { LabSchema, type Lab } from './schema';
import { schemaIssues } from './schema-issues';
import { locateIssues, parseBlueprintYaml } from './yaml-doc';

export interface ValidateOptions {
  /** Host memory in MiB, for the "enough RAM" warning. */
  hostMemoryMiB?: number;
  /**
   * The provider the lab is meant for: its rules are errors, the other
   * provider's warnings. Without one, both providers' rules are warnings.
   */
  provider?: BlueprintProvider;
}

/** Most issues reported for one blueprint; the rest are summed up in one more. */
export const MAX_ISSUES = 500;

export interface ValidationResult {
  /** No errors (warnings allowed). */
  ok: boolean;
  issues: Issue[];
  /** The parsed blueprint with defaults, when the schema passed. */
  lab?: Lab;
  /** The resolved lab, when there are no errors. */
  resolved?: ResolvedLab;
  /** The YAML document (kept for comment-preserving edits), when validating text. */
  doc?: Document;
  /** The value as written (no defaults), when the text read as YAML. */
  data?: unknown;
}

const order = (a: Issue, b: Issue) => (a.line ?? 1e9) - (b.line ?? 1e9) || (a.col ?? 0) - (b.col ?? 0) || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1);

/** Validate a plain value (already parsed from YAML or JSON). Issues carry paths but no positions. */
export function validateLab(data: unknown, opts: ValidateOptions = {}): ValidationResult {
  let parsed = LabSchema.safeParse(data);
  const issues: Issue[] = [];
  if (!parsed.success) {
    issues.push(...schemaIssues(LabSchema, parsed.error, data));
    // Unknown keys alone should not hide the IP plan's mistakes: check the rest without them.
    if (!issues.every((i) => i.code === 'unknown-key')) return { ok: false, issues };
    const pruned = structuredClone(data) as Record<string, unknown>;
    for (const i of issues) {
      const parent = i.path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], pruned) as Record<string, unknown> | undefined;
      if (parent && i.key) delete parent[i.key];
    }
    parsed = LabSchema.safeParse(pruned);
    if (!parsed.success) return { ok: false, issues };
  }
  const lab = parsed.data;
  if (!HOSTNAME_RE.test(lab.metadata.name)) {
    issues.push(issue('error', 'lab-name', ['metadata', 'name'], msg('v.labName', { name: lab.metadata.name }), msg('v.labName.fix')));
  }
  const nets = new Map<string, ResolvedNetwork>();
  checkNetworks({ lab, nets, issues });
  checkNodesAndVips({ lab, nets, issues });
  checkServices({ lab, issues });
  checkCache({ lab, issues });
  checkObjectives({ lab, issues });
  checkZones({ lab, issues });
  checkPostgres({ lab, issues });
  checkProviderRules({ lab, issues, provider: opts.provider });
  const resolved = resolveLab(lab);
  checkMemory({ lab, issues }, resolved.nodes.reduce((a, n) => a + n.memoryMiB, 0), opts.hostMemoryMiB);
  const ok = !issues.some((i) => i.severity === 'error');
  return { ok, issues, lab, resolved: ok ? resolved : undefined };
}

/**
 * Validate YAML text; every issue gets a line and column. One parse with
 * positions (the `yaml` package, the same reader export and the editor use);
 * YAML problems, aliases and size limits are reported before the schema is
 * checked. Never throws: a failure inside the validator is itself reported
 * as an error (code `validation-crash`).
 */
export function validateBlueprintText(text: string, opts: ValidateOptions & { keepDocument?: boolean } = {}): ValidationResult {
  try {
    const parsed = parseBlueprintYaml(text);
    if (parsed.syntaxIssues.length) return { ok: false, issues: capIssues(parsed.syntaxIssues.sort(order)), doc: parsed.doc };
    if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
      return { ok: false, doc: parsed.doc, issues: [{ ...issue('error', 'not-a-blueprint', [], msg('v.notABlueprint'), msg('v.notABlueprint.fix')), line: 1, col: 1 }] };
    }
    const result = validateLab(parsed.data, opts);
    const issues = capIssues(locateIssues(parsed, result.issues).sort(order));
    return { ...result, issues, doc: parsed.doc, data: parsed.data };
  } catch (e) {
    return {
      ok: false,
      issues: [{ ...issue('error', 'validation-crash', [], msg('v.crash', { error: (e as Error)?.message ?? String(e) }), msg('v.crash.fix')), line: 1, col: 1 }],
    };
  }
}

/** At most MAX_ISSUES issues, errors kept first, plus one that counts the rest. */
function capIssues(issues: Issue[]): Issue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const errors = issues.filter((i) => i.severity === 'error');
  const kept = (errors.length >= MAX_ISSUES ? errors.slice(0, MAX_ISSUES) : [...errors, ...issues.filter((i) => i.severity === 'warning').slice(0, MAX_ISSUES - errors.length)]).sort(order);
  const rest = issues.length - kept.length;
  const keptSet = new Set(kept);
  const first = issues.find((i) => !keptSet.has(i));
  return [...kept, { ...issue(errors.length > kept.length ? 'error' : 'warning', 'more-issues', [], msg('v.moreIssues', { count: rest }), msg('v.moreIssues.fix')), line: first?.line ?? 1, col: first?.col ?? 1 }];
}

/** All issues as text lines, errors first by position. */
export function formatIssues(issues: Issue[], file?: string): string {
  return issues.map((i) => formatIssue(i, file)).join('\n');
}
