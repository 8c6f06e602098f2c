/**
 * Where validation issues belong on screen: per field (path key) and per
 * canvas element, and which element a problem should focus. Pure.
 */
import type { Issue } from '../../../src-main/shared/blueprint/issues';
import type { ElementRef } from './blueprint-edit';
import { pathKey } from './draft';

/** Issues grouped for the UI. */
export interface IssueIndex {
  /** By exact path key (`nodes.0.nics.1.address`). */
  byPath: Map<string, Issue[]>;
  /** Counts by element id (`vm:0`, `net:1`, `vip:0`). */
  byElement: Map<string, { errors: number; warnings: number }>;
  errors: number;
  warnings: number;
}

/** The canvas element an issue is about; undefined for lab-wide ones (services, metadata). */
export function issueElement(issue: Issue): ElementRef | undefined {
  const [a, b, c] = issue.path;
  if (a === 'nodes' && typeof b === 'number') return { kind: 'vm', index: b };
  if (a === 'networks' && typeof b === 'number') return { kind: 'net', index: b };
  if (a === 'services' && b === 'vips' && typeof c === 'number') return { kind: 'vip', index: c };
  return undefined;
}

/** Element id used for React Flow nodes. */
export function elementId(ref: ElementRef): string {
  return `${ref.kind}:${ref.index}`;
}

/** Parse an element id back. */
export function parseElementId(id: string): ElementRef | undefined {
  const [kind, index] = id.split(':');
  if ((kind === 'vm' || kind === 'net' || kind === 'vip') && index !== undefined && /^\d+$/.test(index)) return { kind, index: Number(index) };
  return undefined;
}

export function indexIssues(issues: Issue[]): IssueIndex {
  const byPath = new Map<string, Issue[]>();
  const byElement = new Map<string, { errors: number; warnings: number }>();
  let errors = 0;
  let warnings = 0;
  for (const issue of issues) {
    const key = pathKey(issue.key ? [...issue.path, issue.key] : issue.path);
    const list = byPath.get(key);
    if (list) list.push(issue);
    else byPath.set(key, [issue]);
    if (issue.severity === 'error') errors++;
    else warnings++;
    const el = issueElement(issue);
    if (el) {
      const id = elementId(el);
      const c = byElement.get(id) ?? { errors: 0, warnings: 0 };
      if (issue.severity === 'error') c.errors++;
      else c.warnings++;
      byElement.set(id, c);
    }
  }
  return { byPath, byElement, errors, warnings };
}

/** Issues at `path` or (with `deep`) anywhere below it. */
export function issuesAt(index: IssueIndex, path: (string | number)[], deep = false): Issue[] {
  const key = pathKey(path);
  if (!deep) return index.byPath.get(key) ?? [];
  const out: Issue[] = [];
  for (const [k, list] of index.byPath) if (k === key || k.startsWith(`${key}.`)) out.push(...list);
  return out;
}
