/**
 * Fuzz: 10,000 mutated blueprints from the shipped labs (seeded, so every run
 * sees the same ones; tests/blueprints/fuzz-corpus.ts) through the validator
 * and the exporter. For every input: no exception, no validator crash, every
 * issue has a line:column inside the file, and validate and export agree:
 * export succeeds exactly when validation has no errors, and its output
 * validates with no errors and reads back to the same data.
 */
import { describe, expect, it } from 'vitest';
import { exportBlueprintText, type ExportFormat } from '../../src-main/shared/blueprint/export';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { fuzzCorpus } from '../blueprints/fuzz-corpus';

const TOTAL = 10_000;
const CHUNKS = 10;
const corpus = [...fuzzCorpus(TOTAL)];

interface Tally {
  valid: number;
  invalid: number;
  codes: Map<string, number>;
  slowest: number;
}

function check(text: string, index: number, tally: Tally): void {
  const format: ExportFormat = index % 2 ? 'yaml' : 'json';
  const t = performance.now();
  let e: ReturnType<typeof exportBlueprintText>;
  try {
    e = exportBlueprintText(text, format);
  } catch (err) {
    throw new Error(`input ${index}: export threw ${(err as Error).stack}`);
  }
  tally.slowest = Math.max(tally.slowest, performance.now() - t);
  const v = e.validation;
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const issue of v.issues) {
    if (issue.code === 'validation-crash' || issue.code === 'export-failed') throw new Error(`input ${index}: ${issue.message}\n${JSON.stringify(text.slice(0, 2000))}`);
    if (!(Number.isInteger(issue.line) && issue.line! >= 1 && issue.line! <= lines + 1 && Number.isInteger(issue.col) && issue.col! >= 1)) {
      throw new Error(`input ${index}: issue without a usable line:column: ${JSON.stringify(issue).slice(0, 500)}`);
    }
    if (!issue.message || !issue.fix) throw new Error(`input ${index}: issue without a message and a fix: ${JSON.stringify(issue).slice(0, 500)}`);
    tally.codes.set(issue.code, (tally.codes.get(issue.code) ?? 0) + 1);
  }
  const hasErrors = v.issues.some((i) => i.severity === 'error');
  if (v.ok === hasErrors) throw new Error(`input ${index}: ok=${v.ok} but ${hasErrors ? 'there are errors' : 'no errors'}`);
  if (e.ok !== v.ok) throw new Error(`input ${index}: validate says ok=${v.ok}, export says ok=${e.ok}`);
  if (!e.ok) {
    tally.invalid++;
    return;
  }
  tally.valid++;
  const again = validateBlueprintText(e.text);
  const errors = again.issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new Error(`input ${index}: the ${format} export does not validate: ${errors[0]!.message}\n${e.text.slice(0, 2000)}`);
  expect(again.data, `input ${index}: the ${format} export reads back the same`).toEqual(JSON.parse(JSON.stringify(v.data)));
  // Every tenth input: validate on its own answers exactly as inside export.
  if (index % 10 === 1) expect(validateBlueprintText(text).issues, `input ${index}`).toEqual(v.issues);
}

describe(`fuzz: ${TOTAL} mutated shipped blueprints`, () => {
  const size = TOTAL / CHUNKS;
  const total: Tally = { valid: 0, invalid: 0, codes: new Map(), slowest: 0 };

  it.each(Array.from({ length: CHUNKS }, (_, i) => i))('inputs %i000…', (chunk) => {
    const before = total.valid + total.invalid;
    for (const { index, text } of corpus.slice(chunk * size, (chunk + 1) * size)) check(text, index, total);
    expect(total.valid + total.invalid - before).toBe(size);
  }, 120_000);

  it('covers what the mutations aim at, and some inputs stay valid', () => {
    expect(total.valid + total.invalid).toBe(TOTAL);
    // Mutations keep a fair share valid (deleted comments, swapped list items, aliases that resolve, …).
    expect(total.valid).toBeGreaterThan(300);
    for (const code of ['yaml-syntax', 'yaml-unresolved-alias', 'yaml-too-many-aliases', 'yaml-alias-bomb', 'invalid-format', 'too-big', 'wrong-type', 'unknown-key', 'network-name-collision', 'vip-name-collision', 'vmware-network-name', 'vmware-host-address', 'linux-bridged']) {
      expect(total.codes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    // No single input takes long (a bomb or a long near-miss name would).
    expect(total.slowest).toBeLessThan(2000);
  });
});
