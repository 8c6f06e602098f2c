/** Timing helpers for benchmarks: run, collect samples, summarise (the project's one nearest-rank percentile). */
import { percentile } from '../src-main/shared/monitor/percentile';

export interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => percentile(s, q);
  return { n: s.length, medianMs: at(0.5), p95Ms: at(0.95), minMs: s[0] as number };
}

/** Time `fn` `runs` times after `warmup` runs. */
export function timeSync(fn: () => void, runs = 200, warmup = 20): Summary {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

export const fmt = (ms: number) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
