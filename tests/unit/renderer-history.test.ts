import { describe, expect, it } from 'vitest';
import { emptyHistory, HISTORY_LIMIT, record, redo, undo } from '../../src-renderer/src/lib/history';

describe('undo stack', () => {
  it('undoes and redoes in order', () => {
    let h = emptyHistory<string>();
    h = record(h, 'a', undefined, 0);
    h = record(h, 'b', undefined, 1);
    const u1 = undo(h, 'c');
    expect(u1?.state).toBe('b');
    const u2 = undo(u1!.history, 'b');
    expect(u2?.state).toBe('a');
    expect(undo(u2!.history, 'a')).toBeUndefined();
    const r1 = redo(u2!.history, 'a');
    expect(r1?.state).toBe('b');
    expect(redo(r1!.history, 'b')?.state).toBe('c');
  });

  it('merges quick edits of the same field into one step', () => {
    let h = emptyHistory<string>();
    h = record(h, 'l', 'nodes.0.hostname', 0);
    h = record(h, 'lb', 'nodes.0.hostname', 300);
    h = record(h, 'lb-', 'nodes.0.hostname', 600);
    expect(h.past).toEqual(['l']);
    h = record(h, 'lb-m', 'nodes.0.hostname', 5000);
    expect(h.past).toEqual(['l', 'lb-m']);
    h = record(h, 'x', 'nodes.0.vcpus', 5100);
    expect(h.past).toHaveLength(3);
  });

  it('drops the redo branch on a new edit', () => {
    let h = record(emptyHistory<string>(), 'a', undefined, 0);
    h = undo(h, 'b')!.history;
    expect(h.future).toEqual(['b']);
    h = record(h, 'a', undefined, 1);
    expect(h.future).toEqual([]);
  });

  it('keeps at most HISTORY_LIMIT steps', () => {
    let h = emptyHistory<number>();
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) h = record(h, i, undefined, i);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(20);
  });
});
