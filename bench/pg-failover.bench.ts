/**
 * Patroni failover time against its configured timeouts (issue 14): runs
 * `pg-primary-down` on the PostgreSQL test lab (ttl 10 s, loop_wait 2 s,
 * retry_timeout 4 s) several times and prints, per run, the time until
 * Patroni promoted the standby, its ratio to ttl + loop_wait, the time until
 * a write through the app was accepted, the old primary's rejoin after
 * restore (pg_rewind) and rows lost. Root; boots a real Linux lab:
 *   sudo flock /run/halab-lab.lock npx tsx bench/pg-failover.bench.ts [runs]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import type { DrillReport } from '../src-main/shared/drills/report';
import { halab, LABS_DIR, requireRoot, ROOT, secs } from './lab-lib';

requireRoot('The Patroni failover benchmark');
const FILE = 'tests/integration/fixtures/pg-patroni-lab.yaml';
const RUNS = Number(process.argv[2] ?? 3);

async function drill(): Promise<DrillReport> {
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), 'drill', FILE, 'pg-primary-down', '--json'], { cwd: ROOT, timeoutMs: 600_000, okExitCodes: [0, 3], env: { HALAB_LABS_DIR: LABS_DIR } });
  const summary = JSON.parse(r.stdout) as DrillReport & { reportDir: string };
  return JSON.parse(readFileSync(join(summary.reportDir, 'report.json'), 'utf8')) as DrillReport;
}

console.log(`${FILE}: up in ${secs(await halab('up', FILE, '--provider', 'linux'))}`);
try {
  console.log('run  verdict  promoted ms  ttl+loop_wait ms  promoted/budget  writes back ms  rejoin ms  pg_rewind  rows lost/acked');
  const ratios: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const rep = await drill();
    const m = rep.measurements!;
    const ratio = m.promotedMs !== undefined && m.patroniBudgetMs ? m.promotedMs / m.patroniBudgetMs : undefined;
    if (ratio !== undefined) ratios.push(ratio);
    console.log(`${String(i).padStart(3)}  ${rep.verdict.padEnd(7)}  ${String(m.promotedMs ?? '-').padStart(11)}  ${String(m.patroniBudgetMs ?? '-').padStart(16)}  ${(ratio?.toFixed(2) ?? '-').padStart(15)}  ${String(m.writesAcceptedMs ?? '-').padStart(13)}  ${String(m.rejoinMs ?? '-').padStart(9)}  ${String(m.rewound ?? '-').padStart(9)}  ${m.rowsLost ?? '?'}/${m.rowsAcknowledged}`);
  }
  if (ratios.length) console.log(`promotion / (ttl + loop_wait): min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)} over ${ratios.length} runs`);
} finally {
  await halab('down', FILE);
}
