/**
 * Export a blueprint as YAML (comments kept) or JSON. The text is read and
 * validated once, with the same parser as everywhere else, and only a
 * blueprint without errors is exported; the output is read back and
 * validated again, so an export always validates. Browser-safe.
 */
import { Document } from 'yaml';
import { msg } from '../i18n';
import { issue as makeIssue } from './issues';
import { validateBlueprintText, type ValidateOptions, type ValidationResult } from './validate';
import { stringifyBlueprint } from './yaml-doc';

export type ExportFormat = 'yaml' | 'json';

export type ExportResult =
  | { ok: true; text: string; validation: ValidationResult; /** The comment-keeping YAML did not read back the same, so plain YAML was written. */ plain?: boolean }
  | { ok: false; validation: ValidationResult };

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function exportBlueprintText(text: string, format: ExportFormat, opts: ValidateOptions = {}): ExportResult {
  const validation = validateBlueprintText(text, opts);
  if (!validation.ok || !validation.doc) return { ok: false, validation };
  const data = validation.data;
  const readsBack = (out: string): boolean => {
    const again = validateBlueprintText(out, opts);
    return again.ok && same(again.data, data);
  };
  try {
    if (format === 'json') {
      const out = `${JSON.stringify(data, null, 2)}\n`;
      if (readsBack(out)) return { ok: true, text: out, validation };
    } else {
      const out = stringifyBlueprint(validation.doc);
      if (readsBack(out)) return { ok: true, text: out, validation };
      const plain = stringifyBlueprint(new Document(data));
      if (readsBack(plain)) return { ok: true, text: plain, validation, plain: true };
    }
  } catch {
    // reported below
  }
  const issue = { ...makeIssue('error', 'export-failed', [], msg('v.exportFailed', { format: format.toUpperCase() }), msg('v.exportFailed.fix')), line: 1, col: 1 };
  return { ok: false, validation: { ...validation, ok: false, issues: [...validation.issues, issue] } };
}
