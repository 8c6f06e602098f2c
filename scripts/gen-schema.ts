// Writes lab-blueprints/schema.json from the zod schema (npm run schema).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blueprintJsonSchemaText } from '../src-main/shared/blueprint/json-schema';

const out = join(import.meta.dirname, '..', 'lab-blueprints', 'schema.json');
writeFileSync(out, blueprintJsonSchemaText());
console.log(`wrote ${out}`);
