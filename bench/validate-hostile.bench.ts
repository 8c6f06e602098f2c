/**
 * Validation time on hostile inputs: every blueprint of the fuzz corpus
 * (10,000 mutated shipped labs: aliases and alias bombs, control characters,
 * huge numbers, very long strings and near-miss names, CR line ends, …;
 * tests/blueprints/fuzz-corpus.ts), after a warm-up. Each input's time is
 * the best of RUNS runs, so a busy machine's scheduling pauses do not pass
 * for slow inputs. Prints median, p99 and max over the corpus beside the
 * 5 ms budget, and the slowest inputs.
 *   npx tsx bench/validate-hostile.bench.ts [COUNT] [RUNS]
 */
import { validateBlueprintText } from '../src-main/shared/blueprint/validate';
import { fuzzCorpus } from '../tests/blueprints/fuzz-corpus';
import { percentile } from '../src-main/shared/monitor/percentile';
import { fmt } from './stats';

const BUDGET_MS = 5;
const count = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const corpus = [...fuzzCorpus(count)];

for (const { text } of corpus.slice(0, 500)) validateBlueprintText(text, { hostMemoryMiB: 65536 });

const samples: { ms: number; index: number; chars: number; first?: string }[] = [];
for (const { index, text } of corpus) {
  let best = Infinity;
  let r: ReturnType<typeof validateBlueprintText> | undefined;
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    r = validateBlueprintText(text, { hostMemoryMiB: 65536 });
    best = Math.min(best, performance.now() - t);
  }
  samples.push({ ms: best, index, chars: text.length, first: r?.issues.find((i) => i.severity === 'error')?.code });
}
const sorted = [...samples].sort((a, b) => a.ms - b.ms);
const at = (q: number) => percentile(sorted.map((x) => x.ms), q);
const max = sorted[sorted.length - 1] as (typeof samples)[number];

console.log(`blueprint validation on hostile inputs (${samples.length} fuzz-corpus blueprints, best of ${RUNS} runs each)`);
console.log('              median ms   p99 ms   max ms   budget ms   p99/budget   max/budget');
console.log(`hostile corpus ${fmt(at(0.5)).padStart(9)}  ${fmt(at(0.99)).padStart(7)}  ${fmt(max.ms).padStart(7)}  ${String(BUDGET_MS).padStart(10)}   ${(at(0.99) / BUDGET_MS).toFixed(2).padStart(10)}   ${(max.ms / BUDGET_MS).toFixed(2).padStart(10)}`);
console.log('slowest inputs:');
for (const s of sorted.slice(-5).reverse()) console.log(`  #${s.index}: ${fmt(s.ms)} ms, ${s.chars} characters, first error ${s.first ?? '(none)'}`);
