import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuBusy, criticalPath, engineMs, parseJournal, splitByKind, stepDurations, stepKind, type StepNode } from '../../bench/critical-path';
import { failureKinds } from '../../bench/failover-targets';
import type { StepEvent } from '../../src-main/provision/engine';

// A small lab: two VMs, a DB primary on db1 whose replica on db2 waits for it, and a verify step after everything.
const STEPS: StepNode[] = [
  { id: 'net:n', deps: [] },
  { id: 'vm:db1:create', vm: 'db1', deps: ['net:n'] },
  { id: 'vm:db1:services', vm: 'db1', deps: ['vm:db1:create'] },
  { id: 'vm:db2:create', vm: 'db2', deps: ['net:n'] },
  { id: 'vm:db2:services', vm: 'db2', deps: ['vm:db2:create'] },
  { id: 'db:db1:init', vm: 'db1', deps: ['vm:db1:services'] },
  { id: 'db:db2:replica', vm: 'db2', deps: ['db:db1:init', 'vm:db2:services'] },
  { id: 'lab:verify', deps: ['net:n', 'vm:db1:create', 'vm:db1:services', 'vm:db2:create', 'vm:db2:services', 'db:db1:init', 'db:db2:replica'] },
];
const MS = new Map([
  ['net:n', 10],
  ['vm:db1:create', 100],
  ['vm:db1:services', 1000],
  ['vm:db2:create', 100],
  ['vm:db2:services', 3000],
  ['db:db1:init', 500],
  ['db:db2:replica', 200],
  ['lab:verify', 50],
]);

describe('critical path of the provisioning graph', () => {
  it('is the longest chain of dependent steps, each at its own time', () => {
    const cp = criticalPath(STEPS, MS);
    // db2's own chain (10 + 100 + 3000) beats db1's (10 + 100 + 1000 + 500) before the replica step.
    expect(cp.ms).toBe(10 + 100 + 3000 + 200 + 50);
    expect(cp.path).toEqual(['net:n', 'vm:db2:create', 'vm:db2:services', 'db:db2:replica', 'lab:verify']);
  });

  it('gives each VM its own chain, including the steps of other VMs it waits for, slowest first', () => {
    const cp = criticalPath(STEPS, MS);
    expect(cp.perVm.map((c) => [c.vm, c.ms])).toEqual([
      ['db2', 3310],
      ['db1', 1610],
    ]);
    // When db1's primary is slow, the replica's chain goes through it.
    const slow = criticalPath(STEPS, new Map([...MS, ['db:db1:init', 5000]]));
    expect(slow.perVm[0]).toEqual({ vm: 'db2', ms: 10 + 100 + 1000 + 5000 + 200, path: ['net:n', 'vm:db1:create', 'vm:db1:services', 'db:db1:init', 'db:db2:replica'] });
  });

  it('counts a step without a time as 0 and refuses a circle or an unknown step', () => {
    expect(criticalPath(STEPS, new Map()).ms).toBe(0);
    expect(() => criticalPath([{ id: 'a', deps: ['b'] }, { id: 'b', deps: ['a'] }], new Map())).toThrow(/circle/);
    expect(() => criticalPath([{ id: 'a', deps: ['x'] }], new Map())).toThrow(/not in the graph/);
  });
});

describe('journal figures', () => {
  const events: StepEvent[] = [
    { type: 'start', step: 'net:n', title: 'n', at: 1000 },
    { type: 'done', step: 'net:n', changed: false, ms: 5, at: 1005 },
    { type: 'start', step: 'vm:a:system', title: 's', vm: 'a', at: 1005 },
    { type: 'start', step: 'vm:b:system', title: 's', vm: 'b', at: 1006 },
    { type: 'log', step: 'vm:b:system', line: 'x', at: 1100 },
    { type: 'done', step: 'vm:a:system', vm: 'a', changed: false, ms: 300, at: 1305 },
    { type: 'done', step: 'vm:b:system', vm: 'b', changed: false, ms: 400, at: 1406 },
    { type: 'start', step: 'lab:verify', title: 'v', at: 1406 },
    { type: 'done', step: 'lab:verify', changed: false, ms: 600, at: 2006 },
  ];

  it('reads JSON lines, skipping a line cut by a killed run', () => {
    const text = `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"type":"start","st`;
    expect(parseJournal(text)).toHaveLength(events.length);
  });

  it('takes step times, the engine wall time and a per-kind split', () => {
    expect(stepDurations(events).get('vm:b:system')).toBe(400);
    expect(engineMs(events)).toBe(1006);
    expect(splitByKind(events)).toEqual([
      { kind: 'network', steps: 1, sumMs: 5, maxMs: 5 },
      { kind: 'system', steps: 2, sumMs: 700, maxMs: 400 },
      { kind: 'verify', steps: 1, sumMs: 600, maxMs: 600 },
    ]);
  });

  it('names step kinds from their ids', () => {
    expect(stepKind('vm:lb-master:packages')).toBe('packages');
    expect(stepKind('db:db-master:init')).toBe('db init');
    expect(stepKind('db:db-slave:replica')).toBe('db replica');
    expect(stepKind('backup:copy-access')).toBe('backup');
  });

  it('computes the busy share of the CPUs from two /proc/stat lines', () => {
    // user nice system idle iowait irq softirq: 300 busy of 400.
    expect(cpuBusy('cpu  100 0 100 1000 0 0 0', 'cpu  300 0 200 1080 20 0 0')).toBeCloseTo(0.75);
  });
});

describe('how failed drill requests failed', () => {
  it('tells a reset at once from no answer and from an HTTP error, counting only failures after the fault', () => {
    const req = (t: number, status: number, ms: number, ok = false) => ({ t, kind: 'read' as const, status, ms, ok });
    const k = failureKinds({
      faultAt: 1000,
      requests: [req(500, 0, 1), req(900, 200, 5, true), req(990, 0, 2000), req(1050, 0, 1), req(1100, 0, 1), req(1150, 502, 3), req(1200, 200, 1010, true)],
    });
    expect(k).toEqual({ atOnce: 2, noAnswer: 1, http: 1 });
  });
});

describe('CPU time of a lab (bench/critical-path.ts)', async () => {
  const { parseProcStat, treeTicks } = await import('../../bench/critical-path');

  it('reads /proc/<pid>/stat, a command name with spaces and parentheses too', () => {
    const line = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 70 30 5 6 20 0 1 0 123 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 1, own: 100, reaped: 11 });
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseProcStat(readFileSync('/proc/self/stat', 'utf8'))!.pid).toBe(process.pid);
  });

  it('sums the trees under the roots once: own and reaped ticks of every live descendant, nothing outside', () => {
    const procs = [
      { pid: 10, ppid: 1, own: 5, reaped: 0 }, // nspawn of VM a
      { pid: 11, ppid: 10, own: 20, reaped: 100 }, // its init: reaped the guest's dead processes
      { pid: 12, ppid: 11, own: 7, reaped: 3 },
      { pid: 20, ppid: 1, own: 1000, reaped: 1000 }, // another helper's work
      { pid: 30, ppid: 1, own: 2, reaped: 0 }, // nspawn of VM b
    ];
    expect(treeTicks(procs, [10])).toBe(135);
    expect(treeTicks(procs, [10, 30, 99])).toBe(137);
  });
});
