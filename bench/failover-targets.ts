/**
 * Issue 13's failover targets, measured by the drills on the fast lab
 * (lab-blueprints/vmware-3tier-ha-fast.yaml) beside the seed lab
 * (vmware-3tier-ha.yaml), `runs` runs each, on the Linux lab provider (root).
 * The two labs share networks and addresses, so they run one after the
 * other. Each figure is printed beside the seed lab's, the master-down
 * interval and its target. Used by bench/drill-detection.bench.ts.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

/**
 * How the failed requests after the fault failed: refused or reset at once
 * (status 0 within 100 ms: something answered with a TCP reset or the route
 * was unreachable), no answer in time (status 0 later: a lost SYN or a dead
 * connection), or an HTTP error from a load balancer.
 */
export function failureKinds(r: Pick<DrillReport, 'requests' | 'faultAt'>): { atOnce: number; noAnswer: number; http: number } {
  const bad = r.requests.filter((q) => !q.ok && q.t + q.ms >= (r.faultAt ?? 0));
  return { atOnce: bad.filter((q) => q.status === 0 && q.ms < 100).length, noAnswer: bad.filter((q) => q.status === 0 && q.ms >= 100).length, http: bad.filter((q) => q.status !== 0).length };
}
const kinds = (r: DrillReport) => {
  const k = failureKinds(r);
  return `${k.atOnce} refused/reset at once, ${k.noAnswer} no answer, ${k.http} HTTP errors`;
};
export const TARGETS: Target[] = [
  {
    drill: 'lb-master-down',
    what: 'hard power-off of the VIP owner: VIP moved in under 1 s',
    figure: (r) => ({ text: `${r.measurements?.vipMoveMs ?? '-'} ms (master-down ${r.measurements?.masterDownIntervalMs ?? '-'} ms)`, ok: (r.measurements?.vipMoveMs ?? Infinity) < 1000 }),
  },
  {
    drill: 'lb-master-down',
    what: 'hard power-off of the VIP owner: at most 2 % of requests failed',
    figure: (r) => ({ text: `${r.measurements?.failed}/${r.measurements?.requests} (${pct(r)} %; ${r.measurements?.inFlightAtFault ?? '-'} in flight; ${kinds(r)}; slowest ${r.measurements?.latency?.max ?? '-'} ms)`, ok: pct(r) <= 2 }),
  },
  { drill: 'lb-nginx-stop', what: 'nginx stopped on the master: at most 2 % failed', figure: (r) => ({ text: `${r.measurements?.failed}/${r.measurements?.requests} (${pct(r)} %; ${kinds(r)}), VIP ${r.measurements?.vipMoveMs ?? '-'} ms`, ok: pct(r) <= 2 }) },
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

export const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function runLab(file: string, runs: number): Promise<Map<string, DrillReport[]>> {
  const out = new Map<string, DrillReport[]>();
  console.log(`${file}: up (load average ${load()})`);
  try {
    await halab('up', file, '--provider', 'linux');
    for (const name of [...new Set(TARGETS.map((t) => t.drill))]) {
      for (let i = 0; i < runs; i++) out.set(name, [...(out.get(name) ?? []), await drill(file, name)]);
    }
  } finally {
    console.log(`${file}: drills done (load average ${load()})`);
    await halab('down', file);
  }
  return out;
}

/** Run both labs and print every target: fast lab figure | seed lab figure | met. */
export async function failoverTargets(runs: number): Promise<boolean> {
  // A lab that fails still lets the other's figures print (as '-' for the failed one).
  const failed = (file: string) => (e: unknown) => (console.log(`${file} failed: ${(e as Error).message.slice(-2000)}`), new Map<string, DrillReport[]>());
  const seed = await runLab(SEED, runs).catch(failed(SEED));
  const fast = await runLab(FAST, runs).catch(failed(FAST));
  let all = true;
  const mdi = (m: Map<string, DrillReport[]>) => m.get('lb-master-down')?.[0]?.measurements?.masterDownIntervalMs ?? '-';
  console.log(`\nIssue 13 targets (${runs} runs each; fast = vmware-3tier-ha-fast, seed = vmware-3tier-ha; load average now ${load()})`);
  console.log(`VRRP master-down interval: fast ${mdi(fast)} ms, seed ${mdi(seed)} ms`);
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
    console.log(`  fast lab met it in ${f.filter((r) => t.figure(r).ok).length} of ${f.length} runs`);
  }
  console.log(`\n${all ? 'Every target met on the fast lab.' : 'Some targets missed on the fast lab (MISS above).'}`);
  return all;
}
