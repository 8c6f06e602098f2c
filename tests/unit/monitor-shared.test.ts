/**
 * One monitor and SSH pool per lab (`SharedMonitors`, used by LabService):
 * the dashboard and a drill share them; the last user out stops the
 * monitor and closes the pool. Real monitors, driven through
 * `ScriptedGuestPool` (a stand-in for our own SSH pool).
 */
import { describe, expect, it, vi } from 'vitest';
import { KEEPALIVED_STATE_LOG, vrrpInstanceName } from '../../src-main/configs/keepalived';
import { LabMonitor } from '../../src-main/monitor/lab-monitor';
import { SharedMonitors, type OpenedMonitor } from '../../src-main/monitor/shared-monitors';
import type { DashboardState, MonitorDelta } from '../../src-main/shared/monitor/types';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { ok, ScriptedGuestPool } from '../helpers/scripted-guest-pool';

const resolved = loadLab('lb-pair-minimal');
const ctx = makeCtx(resolved, 'mariadb');
const until = (fn: () => void, timeout = 3000) => vi.waitFor(fn, { timeout, interval: 5 });

function setup() {
  const sent: (['snapshot', DashboardState] | ['delta', MonitorDelta])[] = [];
  const shared = new SharedMonitors<ScriptedGuestPool>({ snapshot: (s) => sent.push(['snapshot', s]), delta: (d) => sent.push(['delta', d]) });
  const opened: { pool: ScriptedGuestPool; monitor: LabMonitor; closed: boolean }[] = [];
  const open = async (): Promise<OpenedMonitor<ScriptedGuestPool>> => {
    await new Promise((ok) => setTimeout(ok, 20));
    const pool = new ScriptedGuestPool(resolved);
    pool.onExec((vm, argv) => (argv[0] === 'ip' && vm === 'lb1' ? ok(`2: x    inet ${resolved.lab.services.vips[0]!.address}/24 scope global secondary x\n`) : undefined));
    const monitor = new LabMonitor({ ctx, pool, probeUrl: 'http://127.0.0.1:9/', intervals: { vip: 20, probe: 60_000, nodes: 60_000 } });
    const o = { pool, monitor, closed: false };
    opened.push(o);
    return { runtime: pool, monitor, close: async () => void (o.closed = true) };
  };
  return { shared, open, opened, sent };
}

describe('one monitor per lab, shared', () => {
  it('the dashboard and a drill starting at the same time get the same monitor, opened once', async () => {
    const { shared, open, opened } = setup();
    const [a, b] = await Promise.all([shared.acquire('lab', 'dashboard', open), shared.acquire('lab', 'drill:1', open)]);
    expect(a.monitor).toBe(b.monitor);
    expect(opened).toHaveLength(1);
    expect([...a.users].sort()).toEqual(['dashboard', 'drill:1']);
    expect(a.monitor.isRunning).toBe(true);
    await shared.closeAll();
  });

  it('a drill ending leaves the dashboard\'s monitor running; the last user out stops it and closes the pool', async () => {
    const { shared, open, opened } = setup();
    const w = await shared.acquire('lab', 'dashboard', open);
    await shared.acquire('lab', 'drill:1', open);
    expect(await shared.release('lab', 'drill:1')).toBe(true);
    expect(opened[0]!.closed).toBe(false);
    await until(() => expect(w.monitor.holders('web')).toEqual(['lb1']));
    expect(await shared.release('lab', 'drill:1')).toBe(false);
    expect(await shared.release('lab', 'dashboard')).toBe(true);
    expect(opened[0]!.closed).toBe(true);
    expect(w.monitor.isRunning).toBe(false);
    expect(opened[0]!.pool.streaming('lb1', KEEPALIVED_STATE_LOG)).toBe(0);
    expect(await shared.get('lab')).toBeUndefined();
    // The next user opens a fresh one.
    const again = await shared.acquire('lab', 'drill:2', open);
    expect(again.monitor).not.toBe(w.monitor);
    expect(opened).toHaveLength(2);
    await shared.closeAll();
    expect(opened[1]!.closed).toBe(true);
  });

  it('a lab that cannot be opened is not remembered: the next try opens again', async () => {
    const { shared, open, opened } = setup();
    await expect(shared.acquire('lab', 'dashboard', () => Promise.reject(new Error('The lab "lab" is not up on this computer; provision it first.')))).rejects.toThrow('not up');
    await shared.acquire('lab', 'dashboard', open);
    expect(opened).toHaveLength(1);
    await shared.closeAll();
  });

  it('close() stops the monitor whoever uses it (the lab is being destroyed)', async () => {
    const { shared, open, opened } = setup();
    await shared.acquire('lab', 'dashboard', open);
    await shared.acquire('lab', 'drill:1', open);
    await shared.close('lab');
    expect(opened[0]!.closed).toBe(true);
    expect(await shared.get('lab')).toBeUndefined();
  });

  it('every event reaches the readers once, through the one publisher', async () => {
    const { shared, open, opened, sent } = setup();
    const w = await shared.acquire('lab', 'dashboard', open);
    await shared.acquire('lab', 'drill:1', open);
    await until(() => expect(opened[0]!.pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    await until(() => expect(w.monitor.holders('web')).toEqual(['lb1']));
    w.publisher.snapshot();
    sent.length = 0;
    opened[0]!.pool.line('lb2', KEEPALIVED_STATE_LOG, `${new Date().toISOString()} ${vrrpInstanceName('web')} MASTER`);
    await Promise.resolve();
    const events = sent.flatMap(([k, p]) => (k === 'delta' ? ((p as MonitorDelta).events ?? []) : []));
    expect(events.filter((e) => e.kind === 'vip-moved')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'keepalived-state')).toHaveLength(1);
    await shared.closeAll();
  });
});
