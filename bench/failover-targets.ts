/**
 * Issue 13's failover targets, measured by the drills on the fast lab
 * (lab-blueprints/vmware-3tier-ha-fast.yaml) beside the seed lab
 * (vmware-3tier-ha.yaml), `runs` runs each, on the Linux lab provider (root).
 * The two labs share networks and addresses, so they run one after the
 * other. Each figure is printed beside the seed lab's, the master-down
 * interval and its target. Used by bench/drill-detection.bench.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src-main/exec/runner';
import type { DrillReport } from '../src-main/shared/drills/report';
import { halab, LABS_DIR, ROOT } from './lab-lib';

const SEED = 'lab-blueprints/vmware-3tier-ha.yaml';
const FAST = 'lab-blueprints/vmware-3tier-ha-fast.yaml';

interface Target {
  drill: string;
  what: string;
  /** The figure of one report, as text, and whether it meets the target. */
  figure(r: DrillReport): { text: string; ok: boolean };
}

const pct = (r: DrillReport) => r.measurements?.failedPct ?? NaN;
export const TARGETS: Target[] = [
  {
    drill: 'lb-master-down',
    what: 'hard power-off of the VIP owner: VIP moved in under 1 s',
    figure: (r) => ({ text: `${r.measurements?.vipMoveMs ?? '-'} ms (master-down ${r.measurements?.masterDownIntervalMs ?? '-'} ms)`, ok: (r.measurements?.vipMoveMs ?? Infinity) < 1000 }),
  },
  { drill: 'lb-master-down', what: 'hard power-off of the VIP owner: at most 2 % of requests failed', figure: (r) => ({ text: `${r.measurements?.failed}/${r.measurements?.requests} (${pct(r)} %)`, ok: pct(r) <= 2 }) },
  { drill: 'lb-nginx-stop', what: 'nginx stopped on the master: at most 2 % failed', figure: (r) => ({ text: `${r.measurements?.failed}/${r.measurements?.requests} (${pct(r)} %), VIP ${r.measurements?.vipMoveMs ?? '-'} ms`, ok: pct(r) <= 2 }) },
  {
    drill: 'app-down',
    what: 'app server stopped: 0 failed beyond those in flight',
    figure: (r) => ({ text: `${r.measurements?.failedAfterFault} failed after the fault, ${r.measurements?.inFlightAtFault} in flight`, ok: (r.measurements?.failedAfterFault ?? Infinity) <= (r.measurements?.inFlightAtFault ?? -1) }),
  },
  {
    drill: 'db-primary-down',
    what: 'DB primary down, semi-sync: 0 rows lost',
    figure: (r) => {
      const m = r.measurements;
      const ss = m?.semiSyncAtFault ? (m.semiSyncAtFault.active ? 'semi-sync on' : 'semi-sync fell back') : 'async';
      return { text: `${m?.rowsLost ?? '-'} of ${m?.rowsAcknowledged ?? '-'} rows, ${m?.transactionsLost ?? '-'} transactions (GTID), ${ss}`, ok: m?.rowsLost === 0 && (m.transactionsLost === 0 || !!m.semiSyncAtFault?.active) };
    },
  },
  { drill: 'db-primary-down', what: 'DB primary down, semi-sync: writes accepted again in under 5 s', figure: (r) => ({ text: `${r.measurements?.promotedMs ?? '-'} ms (${r.verdict})`, ok: (r.measurements?.promotedMs ?? Infinity) < 5000 }) },
];

async function drill(file: string, name: string): Promise<DrillReport> {
  const r = await run(['node', join(ROOT, 'bin/halab.mjs'), 'drill', file, name, '--json'], { cwd: ROOT, timeoutMs: 600_000, okExitCodes: [0, 3], env: { HALAB_LABS_DIR: LABS_DIR } });
  const summary = JSON.parse(r.stdout) as DrillReport & { reportDir: string };
  return JSON.parse(readFileSync(join(summary.reportDir, 'report.json'), 'utf8')) as DrillReport;
}

async function runLab(file: string, runs: number): Promise<Map<string, DrillReport[]>> {
  const out = new Map<string, DrillReport[]>();
  await halab('up', file, '--provider', 'linux');
  try {
    for (const name of [...new Set(TARGETS.map((t) => t.drill))]) {
      for (let i = 0; i < runs; i++) out.set(name, [...(out.get(name) ?? []), await drill(file, name)]);
    }
  } finally {
    await halab('down', file);
  }
  return out;
}

/** Run both labs and print every target: fast lab figure | seed lab figure | met. */
export async function failoverTargets(runs: number): Promise<boolean> {
  const seed = await runLab(SEED, runs);
  const fast = await runLab(FAST, runs);
  let all = true;
  console.log(`\nIssue 13 targets (${runs} runs each; fast = vmware-3tier-ha-fast, seed = vmware-3tier-ha)`);
  for (const t of TARGETS) {
    console.log(`\n${t.what}`);
    const f = fast.get(t.drill) ?? [];
    const s = seed.get(t.drill) ?? [];
    for (let i = 0; i < runs; i++) {
      const fr = f[i] ? t.figure(f[i]!) : undefined;
      const sr = s[i] ? t.figure(s[i]!) : undefined;
      if (!fr?.ok) all = false;
      console.log(`  run ${i + 1}  fast: ${(fr?.text ?? '-').padEnd(60)} ${fr?.ok ? 'MET ' : 'MISS'}   seed: ${sr?.text ?? '-'}`);
    }
  }
  console.log(`\n${all ? 'Every target met on the fast lab.' : 'Some targets missed on the fast lab (MISS above).'}`);
  return all;
}
