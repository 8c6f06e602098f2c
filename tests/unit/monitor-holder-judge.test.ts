/**
 * The one judge of who holds a VIP (`holder-judge.ts`): polls are evidence
 * as of when they were sent, keepalived's notifies as of when they arrived;
 * a MASTER notify moves the VIP at once and only newer evidence undoes it.
 */
import { describe, expect, it } from 'vitest';
import { initialJudge, judgeHolders, judgeStep, type HolderInput, type HolderNotify, type HolderPoll } from '../../src-main/shared/monitor/holder-judge';
import { percentile, percentileOf } from '../../src-main/shared/monitor/percentile';

const VIPS = [{ name: 'web', members: ['lb1', 'lb2'] }];
const poll = (node: string, holds: boolean, startedAt: number, at = startedAt + 5, vip = 'web'): HolderPoll => ({ kind: 'poll', vip, node, holds, startedAt, at });
const notify = (node: string, state: string, at: number, vip = 'web'): HolderNotify => ({ kind: 'notify', vip, node, state, at });
const judge = (...inputs: HolderInput[]) => judgeHolders(VIPS, inputs);

describe('the holder judge, from polls', () => {
  it('holds nobody and knows nothing before any evidence', () => {
    const r = judge();
    expect(r.holders.web).toEqual([]);
    expect(r.state.web?.known).toBe(false);
    expect(r.timeline).toEqual([]);
  });

  it('one member with the address is the holder; known once every member answered', () => {
    const a = judge(poll('lb1', true, 100));
    expect(a.holders.web).toEqual(['lb1']);
    expect(a.state.web?.known).toBe(false);
    const b = judge(poll('lb1', true, 100), poll('lb2', false, 100));
    expect(b.holders.web).toEqual(['lb1']);
    expect(b.state.web?.known).toBe(true);
    expect(b.timeline).toEqual([{ vip: 'web', at: 105, from: [], to: ['lb1'], cause: 'poll', node: 'lb1' }]);
  });

  it('two members with the address are split brain; none is an outage', () => {
    expect(judge(poll('lb1', true, 100), poll('lb2', true, 100)).holders.web).toEqual(['lb1', 'lb2']);
    const r = judge(poll('lb1', true, 100), poll('lb2', false, 100), poll('lb1', false, 200));
    expect(r.holders.web).toEqual([]);
    expect(r.timeline.map((c) => c.to)).toEqual([['lb1'], []]);
  });

  it('ignores a poll sent before the evidence it would replace (answers arriving out of order)', () => {
    const r = judge(poll('lb1', false, 300, 310), poll('lb1', true, 200, 400));
    expect(r.holders.web).toEqual([]);
  });

  it('records a change only when the holders change', () => {
    const r = judge(poll('lb1', true, 100), poll('lb1', true, 200), poll('lb2', false, 200), poll('lb1', true, 300));
    expect(r.timeline).toHaveLength(1);
    expect(r.state.web?.since).toBe(105);
  });
});

describe('the holder judge, with keepalived\'s notifies', () => {
  it('a MASTER notify makes its member the holder at once, superseding older polls of the others', () => {
    const r = judge(poll('lb1', true, 100), poll('lb2', false, 100), notify('lb2', 'MASTER', 1000));
    expect(r.holders.web).toEqual(['lb2']);
    expect(r.timeline.at(-1)).toEqual({ vip: 'web', at: 1000, from: ['lb1'], to: ['lb2'], cause: 'notify', node: 'lb2' });
  });

  it('a stale poll (sent before the notify, answered after) cannot undo it', () => {
    const r = judge(
      poll('lb1', true, 100),
      poll('lb2', false, 100),
      notify('lb2', 'MASTER', 1000),
      // Both sent at 900, before the notify; answered at 1100, after it.
      poll('lb2', false, 900, 1100),
      poll('lb1', true, 900, 1100),
    );
    expect(r.holders.web).toEqual(['lb2']);
    expect(r.timeline).toHaveLength(2);
  });

  it('newer evidence does undo it: a poll sent after the notify that finds the address gone', () => {
    const r = judge(poll('lb1', true, 100), notify('lb2', 'MASTER', 1000), poll('lb2', false, 1200));
    expect(r.holders.web).toEqual([]);
    expect(r.timeline.at(-1)?.cause).toBe('poll');
  });

  it('split brain: a poll sent after lb2\'s MASTER still finds the address on lb1', () => {
    const r = judge(poll('lb1', true, 100), notify('lb2', 'MASTER', 1000), poll('lb1', true, 1050));
    expect(r.holders.web).toEqual(['lb1', 'lb2']);
  });

  it('BACKUP, FAULT and STOP mean the member no longer holds the address', () => {
    for (const st of ['BACKUP', 'FAULT', 'STOP']) {
      const r = judge(poll('lb1', true, 100), poll('lb2', false, 100), notify('lb1', st, 500));
      expect(r.holders.web, st).toEqual([]);
      expect(r.state.web?.states.lb1?.state).toBe(st);
    }
  });

  it('a hand-over: the old master resigns, the backup takes over, then fails back', () => {
    const r = judge(poll('lb1', true, 100), poll('lb2', false, 100), notify('lb1', 'BACKUP', 1000), notify('lb2', 'MASTER', 1001), notify('lb1', 'MASTER', 5000), notify('lb2', 'BACKUP', 5002));
    expect(r.timeline.map((c) => c.to)).toEqual([['lb1'], [], ['lb2'], ['lb1']]);
    expect(r.holders.web).toEqual(['lb1']);
  });

  it('a notify older than a member\'s newest evidence (the log\'s old last line) does not override it, but its state is kept', () => {
    const r = judge(poll('lb1', false, 2000), poll('lb2', true, 2000), notify('lb1', 'MASTER', 50));
    expect(r.holders.web).toEqual(['lb2']);
    expect(r.state.web?.states.lb1).toEqual({ state: 'MASTER', at: 50 });
  });

  it('an old MASTER (the log read on connecting) is overruled by the next polls', () => {
    const r = judge(notify('lb1', 'MASTER', 50), poll('lb2', true, 2000), poll('lb1', false, 2000));
    expect(r.holders.web).toEqual(['lb2']);
  });

  it('other states (the log of a keepalived being reloaded) are recorded but move nothing', () => {
    const r = judge(poll('lb1', true, 100), notify('lb1', 'RELOADING', 200));
    expect(r.holders.web).toEqual(['lb1']);
    expect(r.state.web?.states.lb1?.state).toBe('RELOADING');
  });

  it('ignores evidence about another VIP group or a VM that is not a member', () => {
    const s = initialJudge(VIPS);
    expect(judgeStep(s, notify('app1', 'MASTER', 10)).state).toBe(s);
    expect(judgeStep(s, notify('lb1', 'MASTER', 10, 'db')).state).toBe(s);
  });

  it('keeps VIP groups apart', () => {
    const r = judgeHolders([...VIPS, { name: 'db', members: ['db1', 'db2'] }], [poll('lb1', true, 1), notify('db2', 'MASTER', 5, 'db')]);
    expect(r.holders).toEqual({ web: ['lb1'], db: ['db2'] });
  });

  it('does not change the state it was given', () => {
    const s = judgeHolders(VIPS, [poll('lb1', true, 1)]).state;
    const copy = JSON.parse(JSON.stringify(s));
    judgeStep(s, notify('lb2', 'MASTER', 10));
    expect(s).toEqual(copy);
  });
});

describe('the one percentile (nearest rank)', () => {
  it('is a measured value at rank ⌈q·n⌉', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(twenty, 0.95)).toBe(19);
    expect(percentile(twenty, 0.5)).toBe(10);
    expect(percentile(twenty, 1)).toBe(20);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.95)).toBe(0);
    expect(percentile([3, 9], 0)).toBe(3);
  });

  it('sorts when asked to', () => {
    expect(percentileOf([5, 1, 4, 2, 3], 0.8)).toBe(4);
  });
});
