/**
 * The JSON Schema of blueprint v1, generated from the zod schema, so editors
 * (VS Code with the YAML extension) autocomplete and check blueprints.
 */
import { z } from 'zod';
import { LabSchema } from './schema';

export function blueprintJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(LabSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://halab.local/schema/lab-v1.json',
    title: 'HA Lab Studio blueprint (halab/v1)',
    ...schema,
  };
}

/** The file text of lab-blueprints/schema.json. */
export function blueprintJsonSchemaText(): string {
  return `${JSON.stringify(blueprintJsonSchema(), null, 2)}\n`;
}
