/**
 * Failover as measured by the drills, on the minimal lab (root): for each
 * run of lb-master-down and lb-keepalived-stop, the VIP move time against
 * VRRP's master-down interval, and the dashboard's detection latency (the
 * VIP really moved, per keepalived's own notify timestamp on the new master
 * → the monitor's vip-moved event, which is what the dashboard shows).
 * Then issue 13's targets: the fast lab beside the seed lab (bench/failover-targets.ts).
 *   sudo npx tsx bench/drill-detection.bench.ts [runs] [--targets-only]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import type { DrillReport } from '../src-main/shared/drills/report';
import { halab, LABS_DIR, requireRoot, ROOT } from './lab-lib';
import { failoverTargets, load } from './failover-targets';

requireRoot('The drill benchmark');
const FILE = 'lab-blueprints/lb-pair-minimal.yaml';
const RUNS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 3);

async function drill(name: string): Promise<DrillReport> {
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), 'drill', FILE, name, '--json'], { cwd: ROOT, timeoutMs: 600_000, okExitCodes: [0, 3], env: { HALAB_LABS_DIR: LABS_DIR } });
  const summary = JSON.parse(r.stdout) as DrillReport & { reportDir: string };
  return JSON.parse(readFileSync(join(summary.reportDir, 'report.json'), 'utf8')) as DrillReport;
}

// --targets-only: only issue 13's targets (the two 6-VM labs), to keep one run under the lab lock's ~12 minutes.
if (!process.argv.includes('--targets-only')) await minimalLab();
await failoverTargets(RUNS);

async function minimalLab(): Promise<void> {
  console.log(`${FILE}: up (load average ${load()})`);
  await halab('up', FILE, '--provider', 'linux');
  try {
    console.log('drill               run  VIP move ms  master-down ms  move/interval  detection latency ms  failed req');
    for (const name of ['lb-master-down', 'lb-keepalived-stop']) {
      for (let i = 1; i <= RUNS; i++) {
        const rep = await drill(name);
        const m = rep.measurements!;
        const keepalived = rep.events.find((e) => e.kind === 'keepalived-state' && e.data?.state === 'MASTER' && e.t >= (rep.faultAt ?? 0));
        const moved = rep.events.find((e) => e.kind === 'vip-moved' && e.t >= (rep.faultAt ?? 0));
        // keepalived's own timestamp is in data.keepalivedAt (the event's time is when the monitor received the line).
        const latency = keepalived && moved ? moved.at - ((keepalived.data?.keepalivedAt as number | undefined) ?? keepalived.at) : undefined;
        console.log(`${name.padEnd(19)} ${String(i).padStart(3)}  ${String(m.vipMoveMs ?? '-').padStart(11)}  ${String(m.masterDownIntervalMs).padStart(14)}  ${(m.vipMoveMs !== undefined ? (m.vipMoveMs / m.masterDownIntervalMs!).toFixed(2) : '-').padStart(13)}  ${String(latency ?? '-').padStart(20)}  ${m.failed}/${m.requests}`);
      }
    }
  } finally {
    await halab('down', FILE);
  }
}
