/**
 * Blueprint validation: YAML syntax, then the schema, then the IP plan and
 * service rules. The same code runs in the CLI, the main process and the
 * editor in the browser. Browser-safe.
 */
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type { Document } from 'yaml';
import { formatIssue, type Issue } from './issues';
import { resolveLab, type ResolvedLab, type ResolvedNetwork } from './model';
import { checkNetworks, checkNodesAndVips, HOSTNAME_RE } from './rules-network';
import { checkMemory, checkServices } from './rules-services';
import { LabSchema, type Lab } from './schema';
import { schemaIssues } from './schema-issues';
import { locateIssues, parseBlueprintYaml } from './yaml-doc';

export interface ValidateOptions {
  /** Host memory in MiB, for the "enough RAM" warning. */
  hostMemoryMiB?: number;
}

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
    issues.push({ severity: 'error', code: 'lab-name', path: ['metadata', 'name'], message: `Lab name "${lab.metadata.name}" must be 1–63 lowercase letters, digits and "-".`, fix: 'It names VM folders and networks; use something like my-ha-lab.' });
  }
  const nets = new Map<string, ResolvedNetwork>();
  checkNetworks({ lab, nets, issues });
  checkNodesAndVips({ lab, nets, issues });
  checkServices({ lab, issues });
  const resolved = resolveLab(lab);
  checkMemory({ lab, issues }, resolved.nodes.reduce((a, n) => a + n.memoryMiB, 0), opts.hostMemoryMiB);
  const ok = !issues.some((i) => i.severity === 'error');
  return { ok, issues, lab, resolved: ok ? resolved : undefined };
}

/**
 * Validate YAML text; every issue gets a line and column.
 *
 * Fast path: js-yaml (about 15x faster than the document parser) reads the
 * data; only when there is something to report, or the caller wants the
 * comment-preserving document, is the text parsed again with positions.
 */
export function validateBlueprintText(text: string, opts: ValidateOptions & { keepDocument?: boolean } = {}): ValidationResult {
  if (!opts.keepDocument) {
    let data: unknown;
    try {
      data = loadYaml(text, { schema: CORE_SCHEMA });
    } catch {
      data = undefined;
    }
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
      const fast = validateLab(data, opts);
      if (fast.issues.length === 0) return fast;
    }
  }
  const parsed = parseBlueprintYaml(text);
  if (parsed.syntaxIssues.length) return { ok: false, issues: parsed.syntaxIssues, doc: parsed.doc };
  if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
    return { ok: false, doc: parsed.doc, issues: [{ severity: 'error', code: 'not-a-blueprint', path: [], line: 1, col: 1, message: 'This file is not a blueprint: it should be a YAML mapping starting with "apiVersion: halab/v1".', fix: 'Start from one of the files in lab-blueprints/.' }] };
  }
  const result = validateLab(parsed.data, opts);
  locateIssues(parsed, result.issues);
  result.issues.sort(order);
  return { ...result, doc: parsed.doc };
}

/** All issues as text lines, errors first by position. */
export function formatIssues(issues: Issue[], file?: string): string {
  return issues.map((i) => formatIssue(i, file)).join('\n');
}
