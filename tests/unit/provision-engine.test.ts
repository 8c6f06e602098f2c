import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySteps, checkGraph, PlanError, scheduleOrder, type Step, type StepEvent } from '../../src-main/provision/engine';
import { estimateCosts } from '../../src-main/provision/step-costs';

const step = (id: string, deps: string[], run: Step['run'] = async () => 'changed'): Step => ({ id, title: id, deps, run });
const wait = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe('step graph', () => {
  it('rejects unknown dependencies and cycles with the path', () => {
    expect(() => checkGraph([step('a', ['b'])])).toThrow(/unknown step b/);
    expect(() => checkGraph([step('a', ['b']), step('b', ['c']), step('c', ['a'])])).toThrow(PlanError);
    expect(() => checkGraph([step('a', ['b']), step('b', ['a'])])).toThrow(/a → b → a/);
  });

  it('runs dependencies first and independent steps in parallel, bounded', async () => {
    const order: string[] = [];
    let live = 0;
    let peak = 0;
    const work = (id: string) => async () => {
      live++;
      peak = Math.max(peak, live);
      order.push(`start ${id}`);
      await wait(30);
      order.push(`end ${id}`);
      live--;
      return 'changed' as const;
    };
    const steps = [step('net', [], work('net')), ...['a', 'b', 'c', 'd', 'e'].map((v) => step(v, ['net'], work(v))), step('verify', ['a', 'b', 'c', 'd', 'e'], work('verify'))];
    const r = await applySteps(steps, { concurrency: 3 });
    expect(r.ok).toBe(true);
    expect(peak).toBe(3);
    expect(order[0]).toBe('start net');
    expect(order.indexOf('end net')).toBeLessThan(order.indexOf('start a'));
    expect(order.at(-1)).toBe('end verify');
    expect(order.indexOf('start verify')).toBeGreaterThan(order.lastIndexOf('end e'));
  });

  it('light steps (waits, read-only checks) do not count against the limit; the others stay bounded', async () => {
    let heavy = 0;
    let peakHeavy = 0;
    let light = 0;
    let peakLight = 0;
    let peakAll = 0;
    const work = (isLight: boolean) => async () => {
      if (isLight) peakLight = Math.max(peakLight, ++light);
      else peakHeavy = Math.max(peakHeavy, ++heavy);
      peakAll = Math.max(peakAll, light + heavy);
      await wait(30);
      if (isLight) light--;
      else heavy--;
      return 'unchanged' as const;
    };
    const vms = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const steps = [...vms.map((v) => ({ ...step(`${v}:ssh`, [], work(true)), light: true })), ...vms.map((v) => step(`${v}:system`, [`${v}:ssh`], work(false)))];
    const r = await applySteps(steps, { concurrency: 4 });
    expect(r.ok).toBe(true);
    expect(r.unchanged).toHaveLength(18);
    expect(peakLight).toBe(9);
    expect(peakHeavy).toBe(4);
    // Concurrency 1 stays one step at a time.
    peakAll = 0;
    await applySteps(steps, { concurrency: 1 });
    expect(peakAll).toBe(1);
  });

  it('starts the longest remaining chain first: the database VMs before the app servers listed ahead of them, ties in list order', async () => {
    const vm = (v: string) => ['ssh', 'system', 'firewall', 'services'].map((k, i, all) => step(`vm:${v}:${k}`, i ? [`vm:${v}:${all[i - 1]}`] : []));
    const steps = [...vm('app1'), ...vm('app2'), ...vm('db1'), ...vm('db2'), step('db:db1:init', ['vm:db1:services']), step('db:db2:replica', ['db:db1:init', 'vm:db2:services'])];
    steps.push(step('lab:verify', steps.map((s) => s.id)));
    estimateCosts(steps);
    const order = scheduleOrder(steps).map((s) => s.id);
    expect(order.indexOf('vm:db1:system')).toBeLessThan(order.indexOf('vm:app1:system'));
    expect(order.indexOf('vm:db2:system')).toBeLessThan(order.indexOf('vm:app1:system'));
    expect(order.indexOf('vm:db2:services')).toBeLessThan(order.indexOf('vm:app1:services'));
    expect(order.indexOf('vm:app1:system')).toBeLessThan(order.indexOf('vm:app2:system'));
    expect(order.at(-1)).toBe('lab:verify');
    // Run with one slot: the database VMs' work first, so the replica's is not left for the end.
    const ran: string[] = [];
    for (const s of steps) {
      const run = s.run;
      s.run = async (c) => (ran.push(s.id), run(c));
    }
    expect((await applySteps(steps, { concurrency: 1 })).ok).toBe(true);
    expect(ran.indexOf('vm:db2:services')).toBeLessThan(ran.indexOf('vm:app1:services'));
  });

  it('a failure skips what depends on it, not the rest, and says why', async () => {
    const events: StepEvent[] = [];
    const r = await applySteps([step('a', [], async () => { throw new Error('disk full'); }), step('b', ['a']), step('c', ['b']), step('x', [], async () => 'unchanged')], { onEvent: (e) => events.push(e) });
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual([{ step: 'a', error: 'disk full' }]);
    expect(r.skipped.sort()).toEqual(['b', 'c']);
    expect(r.unchanged).toEqual(['x']);
    expect(events.find((e) => e.type === 'skipped' && e.step === 'b')).toMatchObject({ reason: 'a did not complete' });
  });

  it('cancel: running steps see the signal, nothing new starts', async () => {
    const ac = new AbortController();
    let sawAbort = false;
    const slow = step('slow', [], async ({ signal }) => {
      await new Promise<void>((ok) => signal.addEventListener('abort', () => ok(), { once: true }));
      sawAbort = true;
      throw new Error('canceled');
    });
    setTimeout(() => ac.abort(), 50);
    const r = await applySteps([slow, step('after', ['slow']), step('other', ['slow'])], { signal: ac.signal });
    expect(sawAbort).toBe(true);
    expect(r.canceled).toBe(true);
    expect(r.skipped.sort()).toEqual(['after', 'other']);
  });

  it('journals every step outcome, and log lines only as events', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'halab-j-')), 'lab', 'journal.jsonl');
    const logs: string[] = [];
    await applySteps([step('a', [], async ({ log }) => (log('hello'), 'changed')), step('b', ['a'], async () => 'unchanged')], { journalPath: journal, onEvent: (e) => e.type === 'log' && logs.push(e.line) });
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.type}:${l.step}`)).toEqual(['start:a', 'done:a', 'start:b', 'done:b']);
    expect(lines[1].changed).toBe(true);
    expect(lines[3].changed).toBe(false);
    expect(logs).toEqual(['hello']);
  });
});
