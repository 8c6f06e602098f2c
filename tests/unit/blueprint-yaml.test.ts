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

describe('fast and full YAML readers agree', () => {
  it('every shipped and test blueprint reads to the same data with js-yaml and yaml', async () => {
    const { load, CORE_SCHEMA } = await import('js-yaml');
    const { readdirSync } = await import('node:fs');
    const dir = join(BLUEPRINTS, '..', 'tests', 'blueprints');
    const files = [...SHIPPED, ...['invalid', 'warnings'].flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)))];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const full = parseBlueprintYaml(text);
      if (full.syntaxIssues.length) continue;
      expect(load(text, { schema: CORE_SCHEMA }), f).toEqual(full.data);
    }
  });
});
