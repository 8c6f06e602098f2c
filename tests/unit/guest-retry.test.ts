import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../src-main/guest/guest';

describe('SSH retry while a VM boots (guest.ts)', () => {
  it('polls every 0.2 s at first, growing to at most 1 s (it grew to 3 s: a booted VM sat idle up to 3 s)', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(retryDelay)).toEqual([200, 300, 450, 675, 1000, 1000, 1000]);
  });

  it('a VM whose SSH answers 5 s after the first try is seen within a second of it', () => {
    let t = 0;
    for (let attempt = 1; t < 5000; attempt++) t += retryDelay(attempt);
    expect(t - 5000).toBeLessThan(1000);
  });
});
