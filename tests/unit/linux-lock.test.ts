import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src-main/hypervisor/linux/lock';

describe('base image build lock', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'halab-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time and hands over on release', async () => {
    const path = join(dir, '.lock-x');
    const order: string[] = [];
    const release1 = await acquireLock(path, { timeoutMs: 10_000 });
    expect(JSON.parse(await readFile(join(path, 'owner.json'), 'utf8')).pid).toBe(process.pid);
    let waited = '';
    const second = acquireLock(path, { timeoutMs: 10_000, onWait: (o) => (waited = o) }).then((rel) => {
      order.push('second');
      return rel;
    });
    await new Promise((r) => setTimeout(r, 300));
    order.push('first-done');
    await release1();
    const release2 = await second;
    expect(order).toEqual(['first-done', 'second']);
    expect(waited).toContain(String(process.pid));
    await release2();
  });

  it('takes over a lock whose owner died', async () => {
    const path = join(dir, '.lock-y');
    await mkdir(path);
    await writeFile(join(path, 'owner.json'), JSON.stringify({ pid: 999_999_9, starttime: 1 }));
    const release = await acquireLock(path, { timeoutMs: 2_000 });
    await release();
  });

  it('gives up after its timeout with a clear message', async () => {
    const path = join(dir, '.lock-z');
    const release = await acquireLock(path, { timeoutMs: 1_000 });
    await expect(acquireLock(path, { timeoutMs: 1_200 })).rejects.toThrow(/Timed out waiting for the lock/);
    await release();
  });
});
