/**
 * The drill runner's measurement flow without a lab: a real `LabMonitor`
 * driven through `ScriptedGuestPool` (a stand-in for our own SSH pool)
 * plays a failover; `measure` must read the VIP move from the monitor's
 * judgement. And the runner uses the lab's shared monitor and pool: it
 * neither opens nor closes them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nicOn } from '../../src-main/configs/context';
import { KEEPALIVED_STATE_LOG, vrrpInstanceName } from '../../src-main/configs/keepalived';
import { measure, runDrill } from '../../src-main/drills/runner';
import { createHypervisor } from '../../src-main/hypervisor/factory';
import type { GuestPool } from '../../src-main/lab/guest-pool';
import { LabMonitor } from '../../src-main/monitor/lab-monitor';
import { masterDownIntervalMs, type DrillReport } from '../../src-main/shared/drills/report';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { ok, ScriptedGuestPool } from '../helpers/scripted-guest-pool';

const resolved = loadLab('lb-pair-minimal');
const ctx = makeCtx(resolved, 'mariadb');
const VIP = resolved.lab.services.vips[0]!;
const until = (fn: () => void, timeout = 3000) => vi.waitFor(fn, { timeout, interval: 5 });
const wait = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function lab() {
  const pool = new ScriptedGuestPool(resolved);
  const holds: Record<string, boolean> = { lb1: true, lb2: false };
  pool.onExec((vm, argv) => (argv[0] === 'ip' ? ok(holds[vm] ? `2: ${nicOn(ctx, vm, VIP.network).ifname}    inet ${VIP.address}/24 scope global secondary\n` : '') : undefined));
  // No probe through the VIP here: a probe URL nobody listens on, on loopback.
  const monitor = new LabMonitor({ ctx, pool, probeUrl: 'http://127.0.0.1:9/', intervals: { vip: 20, probe: 60_000, nodes: 60_000 } });
  return { pool, holds, monitor };
}

const running: LabMonitor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.stop()));
});

describe('drill measurements from the shared monitor', () => {
  it('the VIP move is when the monitor judged the backup the holder (keepalived\'s MASTER, folded in)', async () => {
    const { pool, holds, monitor } = lab();
    running.push(monitor);
    monitor.start();
    await until(() => expect(monitor.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    await until(() => expect(pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    const t0 = Date.now() - 3000;
    const faultAt = Date.now();
    // Power off lb1: its polls fail (detection), then lb2 takes over after the master-down interval.
    pool.setDown('lb1');
    holds.lb1 = false;
    await until(() => expect(monitor.holders('web')).toEqual([]));
    await wait(30);
    pool.line('lb2', KEEPALIVED_STATE_LOG, `${new Date().toISOString()} ${vrrpInstanceName(VIP.name)} MASTER`);
    const takeover = monitor.eventsSince(faultAt).find((e) => e.kind === 'vip-moved')!;
    expect(takeover.data).toMatchObject({ to: 'lb2', cause: 'notify' });
    holds.lb2 = true;
    await wait(50);
    const restoreAt = Date.now();
    const m = measure({ ctx, monitor, faultAt, restoreAt, extra: {} }, [], t0, undefined, 0, 20);
    const lost = monitor.eventsSince(faultAt).find((e) => e.kind === 'vip-lost')!;
    expect(m.detectionMs).toBe(lost.at - faultAt);
    expect(m.vipMoveMs).toBe(takeover.at - faultAt);
    expect(m.vipMoveMs).toBeGreaterThan(m.detectionMs!);
    expect(m.masterDownIntervalMs).toBe(masterDownIntervalMs(VIP.advertInterval, 100));
    expect(m.requests).toBe(0);
  });

  it('no VIP move when the backup never held it, and nothing from before the fault counts', async () => {
    const { pool, monitor } = lab();
    running.push(monitor);
    monitor.start();
    await until(() => expect(monitor.state().vips[0]?.known).toBe(true));
    const faultAt = Date.now();
    await wait(50);
    const m = measure({ ctx, monitor, faultAt, restoreAt: Date.now(), extra: {} }, [], faultAt - 3000, 0, 0, 10);
    expect(m.vipMoveMs).toBeUndefined();
    // The move to lb1 at start is before the fault: not a detection.
    expect(m.detectionMs).toBeUndefined();
    expect(pool.calls.length).toBeGreaterThan(0);
  });
});

describe('the runner and the shared monitor', () => {
  it('a refused drill leaves its report and the lab\'s monitor and pool running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-drill-'));
    try {
      const { pool, monitor } = lab();
      running.push(monitor);
      monitor.start();
      await until(() => expect(pool.streaming('lb1', KEEPALIVED_STATE_LOG)).toBe(1));
      // The runner's pool parameter is the lab's GuestPool; the scripted stand-in answers the few calls this path makes (none).
      const { report, dir: out } = await runDrill({ hv: createHypervisor('linux'), lab: { id: 'lb-pair-minimal', dir }, resolved, drill: 'app-down', ctx, pool: pool as unknown as GuestPool, monitor });
      expect(report.verdict).toBe('refused');
      expect(report.verdictText).toContain('is not listed in this blueprint\'s drills');
      for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
      expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DrillReport).id).toBe(report.id);
      // Still watching: streams open, polls going on.
      expect(monitor.isRunning).toBe(true);
      expect(pool.streaming('lb1', KEEPALIVED_STATE_LOG)).toBe(1);
      const calls = pool.calls.length;
      await until(() => expect(pool.calls.length).toBeGreaterThan(calls));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
