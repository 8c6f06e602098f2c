/**
 * One-at-a-time execution per key (a VM's .vmx path, a template, "networks").
 * Re-entrant within one async call chain: code already holding a key (for
 * example the driver's stop-soft-then-hard sequence) can call methods that
 * lock the same key again without deadlocking.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly held = new AsyncLocalStorage<ReadonlySet<string>>();

  /** Run `fn` while holding `key`; waits for earlier holders first. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const mine = this.held.getStore();
    if (mine?.has(key)) return fn();
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => done);
    this.tails.set(key, tail);
    await before;
    try {
      return await this.held.run(new Set([...(mine ?? []), key]), fn);
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** True while some caller holds or waits for `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
