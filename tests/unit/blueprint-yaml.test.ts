import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blueprintJsonSchemaText } from '../../src-main/shared/blueprint/json-schema';
import { parseBlueprintYaml, stringifyBlueprint, updateDocument } from '../../src-main/shared/blueprint/yaml-doc';
import { join } from 'node:path';
import { BLUEPRINTS, SHIPPED } from '../helpers/paths';

describe('YAML round trip', () => {
  it.each(SHIPPED)('%s: load and save keeps comments and key order', (file) => {
    const text = readFileSync(file, 'utf8');
    const out = stringifyBlueprint(parseBlueprintYaml(text).doc);
    const comments = (t: string) => t.split('\n').filter((l) => l.includes('#')).map((l) => l.slice(l.indexOf('#')).trim());
    expect(comments(out)).toEqual(comments(text));
    expect(parseBlueprintYaml(out).data).toEqual(parseBlueprintYaml(text).data);
    const keys = (t: string) => Object.keys(parseBlueprintYaml(t).data as object);
    expect(keys(out)).toEqual(keys(text));
  });

  it('an edit through the document keeps every comment and changes only the edited value', () => {
    const text = readFileSync(SHIPPED[0] as string, 'utf8');
    const parsed = parseBlueprintYaml(text);
    const data = structuredClone(parsed.data) as { nodes: { memoryMiB: number }[]; layout?: unknown };
    data.nodes[0]!.memoryMiB = 1536;
    data.layout = { positions: { 'lb-master': { x: 10, y: 20 } } };
    updateDocument(parsed.doc, data);
    const out = stringifyBlueprint(parsed.doc);
    expect(out).toContain('memoryMiB: 1536');
    expect(out).toContain('# Implicit in the table: a load balancer needs a NIC on the internal');
    expect(parseBlueprintYaml(out).data).toEqual(data);
    // Only the edited line and the new layout differ (the yaml package re-spaces trailing comments).
    const norm = (t: string) => t.split('\n').map((l) => l.replace(/\s+#/, ' #'));
    const before = norm(text);
    const changed = norm(out).filter((l, i) => l !== before[i]);
    expect(changed[0]).toContain('memoryMiB: 1536');
    expect(changed.slice(1).join('\n')).toMatch(/^layout:\n {2}positions:\n {4}lb-master:/);
  });
});

describe('JSON Schema', () => {
  it('lab-blueprints/schema.json is generated from the zod schema (run "npm run schema" after changing it)', () => {
    expect(readFileSync(join(BLUEPRINTS, 'schema.json'), 'utf8')).toBe(blueprintJsonSchemaText());
  });

  it('describes fields for editor completion', () => {
    const s = JSON.parse(blueprintJsonSchemaText());
    expect(s.properties.nodes.items.properties.nics.description).toMatch(/ens33/);
    expect(s.properties.nodes.items.additionalProperties).toBe(false);
  });
});

describe('one YAML reader for validate, export and the editor', () => {
  it('a CR-only file reads like the same file with LF line ends', () => {
    const text = readFileSync(SHIPPED[0] as string, 'utf8');
    const cr = parseBlueprintYaml(text.replace(/\n/g, '\r'));
    expect(cr.syntaxIssues).toEqual([]);
    expect(cr.data).toEqual(parseBlueprintYaml(text).data);
  });

  it('reports an unresolved alias, a cycle, too many aliases and an alias bomb with line:column, and never throws', () => {
    const first = (t: string) => parseBlueprintYaml(t).syntaxIssues[0];
    expect(first('a: 1\nb: *nope\n')).toMatchObject({ code: 'yaml-unresolved-alias', line: 2, col: 4 });
    expect(first('a: &x [1, *x]\n')).toMatchObject({ code: 'yaml-alias-cycle', line: 1 });
    const many = `a: &v 1\n${Array.from({ length: 101 }, (_, i) => `k${i}: *v`).join('\n')}\n`;
    expect(first(many)).toMatchObject({ code: 'yaml-too-many-aliases', line: 102 });
    // Ten levels of nine aliases each: 9^10 values once expanded.
    let bomb = 'l0: &l0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) bomb += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]\n`;
    const t = performance.now();
    const issue = first(bomb);
    expect(performance.now() - t).toBeLessThan(500);
    expect(issue).toMatchObject({ code: 'yaml-alias-bomb' });
    expect(issue!.line).toBeGreaterThan(1);
  });

  it('a few harmless aliases still read', () => {
    const p = parseBlueprintYaml('a: &v [1, 2]\nb: *v\nc: *v\n');
    expect(p.syntaxIssues).toEqual([]);
    expect(p.data).toEqual({ a: [1, 2], b: [1, 2], c: [1, 2] });
  });

  it('refuses tags, collection keys and deep nesting before any schema check', () => {
    expect(parseBlueprintYaml('a: !!binary aGVsbG8=\n').syntaxIssues[0]).toMatchObject({ code: 'yaml-tag', line: 1 });
    expect(parseBlueprintYaml('? [a]\n: b\n').syntaxIssues[0]).toMatchObject({ code: 'yaml-complex-key', line: 1 });
    expect(parseBlueprintYaml(`a: ${'['.repeat(40)}${']'.repeat(40)}\n`).syntaxIssues[0]).toMatchObject({ code: 'yaml-too-deep', line: 1 });
    expect(parseBlueprintYaml('a: 1\n---\nb: 2\n').syntaxIssues[0]).toMatchObject({ code: 'yaml-syntax', line: 2 });
  });
});
