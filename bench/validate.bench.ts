/**
 * Blueprint validation speed: a 100-VM blueprint must validate in under
 * 5 ms (issue: foundation). Prints median/p95 and the ratio to the budget,
 * with the shipped seed lab beside it for scale.
 *   npx tsx bench/validate.bench.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateBlueprintText } from '../src-main/shared/blueprint/validate';
import { bigBlueprint } from './big-blueprint';
import { fmt, timeSync } from './stats';

const BUDGET_MS = 5;
const cases = [
  { name: 'seed lab (6 VMs)', text: readFileSync(join(import.meta.dirname, '..', 'lab-blueprints', 'vmware-3tier-ha.yaml'), 'utf8') },
  { name: '100 VMs', text: bigBlueprint(100) },
  // With a mistake: the same single parse, plus locating the issue.
  { name: '100 VMs, 1 error', text: bigBlueprint(100).replace('10.50.0.50}', '10.51.0.50}') },
];
const big = validateBlueprintText(cases[1]!.text, { hostMemoryMiB: 65536 });
if (!big.ok) throw new Error(`the 100-VM bench blueprint is invalid: ${big.issues[0]?.message}`);

console.log('blueprint validation (parse YAML + schema + IP plan + positions)');
console.log('case                 median ms   p95 ms   budget ms   median/budget');
for (const c of cases) {
  const s = timeSync(() => validateBlueprintText(c.text, { hostMemoryMiB: 65536 }), 300, 30);
  console.log(`${c.name.padEnd(20)} ${fmt(s.medianMs).padStart(9)}  ${fmt(s.p95Ms).padStart(7)}  ${String(BUDGET_MS).padStart(10)}   ${(s.medianMs / BUDGET_MS).toFixed(2).padStart(13)}`);
}
