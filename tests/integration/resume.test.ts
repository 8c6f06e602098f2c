/**
 * A `halab up` killed mid-way (SIGKILL: no chance to clean up) and started
 * again completes the lab; the journal shows where the first run stopped.
 * Real Linux lab, root; never skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBackground } from '../../src-main/exec/runner';
import { journalPath } from '../../src-main/lab/lab-home';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import { ROOT } from '../helpers/paths';

const fx = linuxLabFixture('lab-blueprints/lb-pair-minimal.yaml');
const { file: FILE, lab, env, halab } = fx;

const doneSteps = (): string[] => {
  const file = journalPath(lab);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; step: string }).filter((e) => e.type === 'done').map((e) => e.step);
};

beforeAll(() => fx.prepare());
afterAll(() => fx.down(), 120_000);

describe('a killed halab up', () => {
  it('resumes: the second run finishes the lab and the VIP answers', async () => {
    const first = spawnBackground(['node', join(ROOT, 'bin/halab.mjs'), 'up', FILE, '--provider', 'linux'], { env });
    // Kill it once some VMs are up but before the lab is complete (bounded wait).
    const until = Date.now() + 240_000;
    while (Date.now() < until && !doneSteps().some((s) => s.endsWith(':ssh'))) await new Promise((ok) => setTimeout(ok, 100));
    first.kill('SIGKILL');
    await first.exited;
    const before = doneSteps();
    expect(before.some((s) => s.endsWith(':ssh'))).toBe(true);
    expect(before).not.toContain('lab:verify');

    const second = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(second.exitCode, second.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(second.stdout.trim().split('\n').at(-1)!);
    expect(result.ok).toBe(true);
    expect(doneSteps()).toContain('lab:verify');
    const r = await fetch('http://192.168.20.100/', { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-served-by')).toBe('app1');
  }, 600_000);
});
