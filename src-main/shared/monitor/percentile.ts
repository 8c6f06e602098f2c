/**
 * The one percentile of the project: nearest rank. The q-th percentile of n
 * sorted values is the value at rank ⌈q·n⌉ (1-based), so it is always one of
 * the measured values, never an interpolation: p95 of 20 samples is the 19th
 * smallest, p50 of 4 samples the 2nd. An empty list gives 0.
 *
 * Used by the monitor (probe latency), the drills (request latency), the
 * dashboard (latency per second) and the benchmarks, so a p95 means the same
 * thing wherever it is printed. Browser-safe.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** The nearest-rank percentile of values in any order. */
export function percentileOf(values: readonly number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q);
}
