import { describe, expect, it } from 'vitest';
import { applyStep, LAB_ROW, logLine, type StepEvent, type VmProgress } from '../../src-renderer/src/lib/lab-steps';

const ev = (type: StepEvent['type'], step: string, vm: string | undefined, text: string, at = 1): StepEvent => ({ taskId: 't', type, step, vm, text, at });

const replay = (events: StepEvent[]) => events.reduce<Record<string, VmProgress>>((rows, e) => applyStep(rows, e), {});

describe('per-VM provisioning progress from lab:step events', () => {
  it('shows the running step, then counts it done', () => {
    let rows = replay([ev('start', 'lb1:netplan', 'lb1', 'Static addresses (netplan)')]);
    expect(rows.lb1).toMatchObject({ state: 'running', current: 'Static addresses (netplan)', done: 0 });
    rows = applyStep(rows, ev('done', 'lb1:netplan', 'lb1', 'changed'));
    expect(rows.lb1).toMatchObject({ state: 'done', current: 'Static addresses (netplan)', done: 1, running: {} });
  });

  it('keeps a VM running while one of two parallel steps is still going', () => {
    const rows = replay([ev('start', 'a', 'app1', 'A'), ev('start', 'b', 'app1', 'B'), ev('done', 'b', 'app1', 'no change')]);
    expect(rows.app1).toMatchObject({ state: 'running', current: 'A', done: 1 });
  });

  it('marks a VM failed with the step title and the error, and stays failed', () => {
    const rows = replay([ev('start', 'x', 'db1', 'Install MariaDB'), ev('failed', 'x', 'db1', 'apt: package not found'), ev('start', 'y', 'db1', 'Next')]);
    expect(rows.db1?.state).toBe('failed');
    expect(rows.db1?.error).toBe('Install MariaDB: apt: package not found');
    expect(rows.db1?.failed).toBe(1);
  });

  it('puts steps without a VM on the lab row and ignores log lines for the rows', () => {
    const before = replay([ev('start', 'net', undefined, 'VMnet vmnet8')]);
    expect(before[LAB_ROW]?.state).toBe('running');
    expect(applyStep(before, ev('log', 'net', undefined, '> ip link add'))).toBe(before);
  });

  it('touches only the row of the event', () => {
    const rows = replay([ev('start', 'a', 'lb1', 'A'), ev('start', 'b', 'lb2', 'B')]);
    const next = applyStep(rows, ev('done', 'a', 'lb1', 'changed'));
    expect(next.lb2).toBe(rows.lb2);
    expect(next.lb1).not.toBe(rows.lb1);
  });

  it('writes a readable log line per event', () => {
    expect(logLine(ev('start', 's', 'lb1', 'Keepalived'))).toBe('[lb1] ▶ Keepalived');
    expect(logLine(ev('failed', 's', 'lb1', 'boom'))).toBe('[lb1] ✗ s: boom');
    expect(logLine(ev('log', 's', undefined, '> vmrun start'))).toBe('> vmrun start');
  });
});
