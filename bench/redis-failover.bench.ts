/**
 * Sentinel failover time against down-after (issue 14 item 3), on the
 * HAProxy + Redis lab (tests/fixtures/blueprints/cache-lb-haproxy.yaml, root):
 * `redis-master-down` RUNS times with the blueprint's down-after (5000 ms,
 * seed 000's value), then RUNS times with down-after 2000 ms (the same lab,
 * Sentinels re-seeded by `up`). Each run powers off whichever node is the
 * primary then; the figure is fault → the first Sentinel naming a new
 * primary, and its ratio to down-after, with acknowledged keys lost.
 *   sudo npx tsx bench/redis-failover.bench.ts [runs]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import type { DrillReport } from '../src-main/shared/drills/report';
import { halab, LABS_DIR, requireRoot, ROOT } from './lab-lib';

requireRoot('The Redis failover benchmark');
const FILE = join(ROOT, 'tests/fixtures/blueprints/cache-lb-haproxy.yaml');
const RUNS = Number(process.argv[2] ?? 2);

async function drill(file: string): Promise<DrillReport> {
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), 'drill', file, 'redis-master-down', '--json'], { cwd: ROOT, timeoutMs: 600_000, okExitCodes: [0, 3], env: { HALAB_LABS_DIR: LABS_DIR } });
  const summary = JSON.parse(r.stdout) as DrillReport & { reportDir: string };
  return JSON.parse(readFileSync(join(summary.reportDir, 'report.json'), 'utf8')) as DrillReport;
}

const fast = join(LABS_DIR, 'cache-lb-haproxy-2000.yaml');
writeFileSync(fast, readFileSync(FILE, 'utf8').replace('downAfterMs: 5000', 'downAfterMs: 2000').replace('failoverTimeoutMs: 15000', 'failoverTimeoutMs: 6000'));

console.log(`${FILE}: up`);
await halab('up', FILE, '--provider', 'linux');
const rows: { downAfter: number; ms?: number; acked?: number; lost?: number; verdict: string }[] = [];
try {
  console.log('down-after ms  run  failover ms  failover/down-after  keys acked  keys lost  verdict');
  for (const [file, label] of [[FILE, '5000'], [fast, '2000']] as const) {
    if (file === fast) await halab('up', fast, '--provider', 'linux');
    for (let i = 1; i <= RUNS; i++) {
      const rep = await drill(file);
      const m = rep.measurements ?? ({} as NonNullable<DrillReport['measurements']>);
      const row = { downAfter: Number(label), ms: m.cacheFailoverMs, acked: m.keysAcknowledged, lost: m.keysLost, verdict: rep.verdict };
      rows.push(row);
      console.log(`${label.padStart(13)}  ${String(i).padStart(3)}  ${String(row.ms ?? '-').padStart(11)}  ${(row.ms !== undefined ? (row.ms / row.downAfter).toFixed(2) : '-').padStart(19)}  ${String(row.acked ?? '-').padStart(10)}  ${String(row.lost ?? '-').padStart(9)}  ${row.verdict}`);
    }
  }
  for (const d of [5000, 2000]) {
    const ms = rows.filter((r) => r.downAfter === d && r.ms !== undefined).map((r) => r.ms!);
    if (ms.length) console.log(`down-after ${d} ms: failover ${Math.min(...ms)}–${Math.max(...ms)} ms (mean ${Math.round(ms.reduce((a, b) => a + b, 0) / ms.length)} ms, ${(ms.reduce((a, b) => a + b, 0) / ms.length / d).toFixed(2)} × down-after)`);
  }
} finally {
  await halab('down', FILE).catch((e: unknown) => console.error((e as Error).message));
}
