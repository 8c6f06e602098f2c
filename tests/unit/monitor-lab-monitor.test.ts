/**
 * `LabMonitor` at unit level: the real monitor, driven through
 * `ScriptedGuestPool` (a stand-in for our own SSH pool that answers the
 * monitor's commands with recorded outputs and streams the lines a test
 * pushes) and a real HTTP server on loopback for the probe through the VIP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { nicOn } from '../../src-main/configs/context';
import { KEEPALIVED_STATE_LOG, vrrpInstanceName } from '../../src-main/configs/keepalived';
import type { ExecResult } from '../../src-main/guest/guest';
import { vipHolders } from '../../src-main/lab/probes';
import { LabMonitor } from '../../src-main/monitor/lab-monitor';
import { MonitorPublisher } from '../../src-main/monitor/publisher';
import { RingBuffer } from '../../src-main/monitor/ring-buffer';
import { applyDelta } from '../../src-main/shared/monitor/delta';
import type { DashboardState, MonitorDelta } from '../../src-main/shared/monitor/types';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { ok, ScriptedGuestPool } from '../helpers/scripted-guest-pool';

const resolved = loadLab('lb-pair-minimal');
const ctx = makeCtx(resolved, 'mariadb');
const VIP = resolved.lab.services.vips[0]!;
const line = (state: string, at = new Date()) => `${at.toISOString()} ${vrrpInstanceName(VIP.name)} ${state}`;

let server: Server;
let probeUrl = '';
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'X-Served-By': 'app1', Connection: 'close' });
    res.end('ok');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  probeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

/** A lab where `holds` says which LB has the VIP on its NIC; `gate` holds a member's poll answers back. */
function scripted() {
  const pool = new ScriptedGuestPool(resolved);
  const holds: Record<string, boolean> = { lb1: true, lb2: false };
  const gated = new Set<string>();
  const pending: { vm: string; answer: (r: ExecResult) => void }[] = [];
  const ipAnswer = (vm: string) => ok(`2: ${nicOn(ctx, vm, VIP.network).ifname}    inet ${pool.staticAddress(vm)}/24 brd 192.168.20.255 scope global ${nicOn(ctx, vm, VIP.network).ifname}\n${holds[vm] ? `2: ${nicOn(ctx, vm, VIP.network).ifname}    inet ${VIP.address}/24 scope global secondary ${nicOn(ctx, vm, VIP.network).ifname}\n` : ''}`);
  pool.onExec((vm, argv) => {
    if (argv[0] !== 'ip') return undefined;
    if (gated.has(vm)) return new Promise<ExecResult>((answer) => pending.push({ vm, answer }));
    return ipAnswer(vm);
  });
  return { pool, holds, gated, pending, ipAnswer };
}

const monitors: LabMonitor[] = [];
function monitor(pool: ScriptedGuestPool, o: Partial<ConstructorParameters<typeof LabMonitor>[0]> = {}): LabMonitor {
  const m = new LabMonitor({ ctx, pool, probeUrl, intervals: { vip: 20, probe: 50, nodes: 40 }, ...o });
  monitors.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
});

const until = (fn: () => void, timeout = 3000) => vi.waitFor(fn, { timeout, interval: 5 });

describe('LabMonitor judges who holds the VIP', () => {
  it('from the polls of every member, with a vip-moved event', async () => {
    const { pool } = scripted();
    const m = monitor(pool);
    m.start();
    await until(() => expect(m.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    const moved = m.eventsSince(0).filter((e) => e.kind === 'vip-moved');
    expect(moved.map((e) => e.data)).toEqual([{ vip: 'web', from: [], to: 'lb1', cause: 'poll' }]);
    // Each member is asked about its own NIC on the VIP's network.
    expect(pool.calls.some((c) => c.vm === 'lb2' && c.argv.join(' ') === `ip -4 -o addr show dev ${nicOn(ctx, 'lb2', VIP.network).ifname}`)).toBe(true);
  });

  it('a MASTER notify moves the VIP at once, and a poll sent before it cannot undo it', async () => {
    const { pool, holds, gated, pending, ipAnswer } = scripted();
    const m = monitor(pool);
    m.start();
    await until(() => expect(m.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    await until(() => expect(pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    // lb2's next poll hangs: it was sent before lb2 took the address, and will say "not here".
    gated.add('lb2');
    await until(() => expect(pending.length).toBeGreaterThan(0));
    // lb1 loses power: its polls fail, nobody holds the VIP.
    pool.setDown('lb1');
    holds.lb1 = false;
    await until(() => expect(m.holders('web')).toEqual([]));
    // keepalived on lb2 takes over and says so: the holder changes in the same turn.
    expect(pool.line('lb2', KEEPALIVED_STATE_LOG, line('MASTER'))).toBe(1);
    expect(m.holders('web')).toEqual(['lb2']);
    const moved = m.eventsSince(0).filter((e) => e.kind === 'vip-moved').at(-1)!;
    expect(moved.data).toEqual({ vip: 'web', from: [], to: 'lb2', cause: 'notify' });
    expect(m.state().vips[0]?.members.find((x) => x.node === 'lb2')?.state).toBe('MASTER');
    // The stale poll answers now, "not held": ignored.
    gated.delete('lb2');
    for (const p of pending.splice(0)) p.answer(ipAnswer(p.vm));
    await new Promise((ok) => setTimeout(ok, 10));
    expect(m.holders('web')).toEqual(['lb2']);
    // Later polls see the address on lb2: still lb2, no new event.
    holds.lb2 = true;
    const before = m.eventsSince(0).filter((e) => e.kind.startsWith('vip-')).length;
    await new Promise((ok) => setTimeout(ok, 100));
    expect(m.holders('web')).toEqual(['lb2']);
    expect(m.eventsSince(0).filter((e) => e.kind.startsWith('vip-'))).toHaveLength(before);
  });

  it('split brain: the old master still has the address in a poll sent after the new MASTER', async () => {
    const { pool } = scripted();
    const m = monitor(pool);
    m.start();
    await until(() => expect(m.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    await until(() => expect(pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    pool.line('lb2', KEEPALIVED_STATE_LOG, line('MASTER'));
    expect(m.holders('web')).toEqual(['lb2']);
    // lb2 really has it too (the two cannot hear each other); lb1's next poll still finds it on lb1.
    pool.onExec((vm, argv) => (argv[0] === 'ip' && vm === 'lb2' ? ok(`2: x    inet ${VIP.address}/24 scope global secondary x\n`) : undefined));
    await until(() => expect(m.holders('web')).toEqual(['lb1', 'lb2']));
    expect(m.eventsSince(0).at(-1)).toMatchObject({ kind: 'vip-split', data: { holders: ['lb1', 'lb2'] } });
  });

  it('the notify log\'s old last line (read on connecting) does not outweigh newer polls', async () => {
    const { pool, holds } = scripted();
    holds.lb1 = false;
    holds.lb2 = true;
    pool.setLastLine('lb1', KEEPALIVED_STATE_LOG, line('MASTER', new Date('2026-01-01T00:00:00.000Z')));
    const m = monitor(pool);
    m.start();
    await until(() => expect(m.state().vips[0]?.members.find((x) => x.node === 'lb1')).toMatchObject({ state: 'MASTER', stateAt: Date.parse('2026-01-01T00:00:00.000Z') }));
    await until(() => expect(m.holders('web')).toEqual(['lb2']));
    expect(m.state().vips[0]?.known).toBe(true);
  });

  it('BACKUP from the holder and MASTER from the other: a clean hand-over, in order', async () => {
    const { pool } = scripted();
    const m = monitor(pool, { intervals: { vip: 60_000, probe: 60_000, nodes: 60_000 } });
    m.start();
    await until(() => expect(m.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    await until(() => expect(pool.streaming('lb1', KEEPALIVED_STATE_LOG) + pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(2));
    pool.line('lb1', KEEPALIVED_STATE_LOG, line('BACKUP'));
    pool.line('lb2', KEEPALIVED_STATE_LOG, line('MASTER'));
    const vipEvents = m.eventsSince(0).filter((e) => e.kind.startsWith('vip-')).map((e) => e.kind);
    expect(vipEvents).toEqual(['vip-moved', 'vip-lost', 'vip-moved']);
    expect(m.holders('web')).toEqual(['lb2']);
  });
});

describe('LabMonitor snapshots and deltas', () => {
  it('a snapshot, then deltas with only what is new; folded, they give the monitor\'s own state', async () => {
    const { pool } = scripted();
    const m = monitor(pool, { intervals: { vip: 60_000, probe: 30, nodes: 60_000 } });
    m.start();
    await until(() => expect(m.state().vips[0]).toMatchObject({ holders: ['lb1'], known: true }));
    await until(() => expect(pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    await until(() => expect(m.state().probe.recent.length).toBeGreaterThan(1));
    let s: DashboardState = m.snapshot();
    expect(s.probe.recent.every((p) => p.status === 200 && p.servedBy === 'app1')).toBe(true);
    // Probes keep coming; nothing else changed.
    await until(() => expect(m.state().probe.recent.length).toBeGreaterThan(s.probe.recent.length + 1));
    const d1 = m.delta()!;
    expect(d1.seq).toBe(s.seq + 1);
    expect(d1.probes?.length).toBeGreaterThan(0);
    expect(d1.probes!.every((p) => p.at > s.probe.recent.at(-1)!.at)).toBe(true);
    expect(d1.vips).toBeUndefined();
    expect(d1.events).toBeUndefined();
    s = applyDelta(s, d1)!;
    // A VIP move: one change signal for the burst, and the next delta carries the card and the events.
    let signals = 0;
    m.onChange(() => signals++);
    pool.line('lb2', KEEPALIVED_STATE_LOG, line('MASTER'));
    pool.line('lb1', KEEPALIVED_STATE_LOG, line('BACKUP'));
    await Promise.resolve();
    expect(signals).toBe(1);
    const d2 = m.delta()!;
    expect(d2.seq).toBe(d1.seq + 1);
    expect(d2.vips?.[0]?.holders).toEqual(['lb2']);
    expect(d2.events?.map((e) => e.kind)).toEqual(['keepalived-state', 'vip-moved', 'keepalived-state']);
    s = applyDelta(s, d2)!;
    const now = m.state();
    expect(s.vips).toEqual(now.vips);
    expect(s.events).toEqual(now.events);
    expect(s.probe.recent).toEqual(now.probe.recent.slice(-s.probe.recent.length));
  });

  it('sends nothing when nothing changed', async () => {
    const { pool } = scripted();
    const m = monitor(pool, { intervals: { vip: 60_000, probe: 60_000, nodes: 60_000 } });
    m.start();
    await until(() => expect(m.state().vips[0]?.known).toBe(true));
    await until(() => expect(m.state().probe.recent).toHaveLength(1));
    m.snapshot();
    expect(m.delta()).toBeUndefined();
  });

  it('the publisher sends a snapshot on subscribe and a delta at once on a VIP move', async () => {
    const { pool } = scripted();
    const m = monitor(pool, { intervals: { vip: 60_000, probe: 60_000, nodes: 60_000 } });
    const got: (['snapshot', DashboardState] | ['delta', MonitorDelta])[] = [];
    const pub = new MonitorPublisher(m, { snapshot: (s) => got.push(['snapshot', s]), delta: (d) => got.push(['delta', d]) }, 60_000);
    m.start();
    pub.start();
    await until(() => expect(m.state().vips[0]?.known).toBe(true));
    await until(() => expect(pool.streaming('lb2', KEEPALIVED_STATE_LOG)).toBe(1));
    got.length = 0;
    pub.snapshot();
    pool.line('lb2', KEEPALIVED_STATE_LOG, line('MASTER'));
    await Promise.resolve();
    expect(got.map(([k]) => k)).toEqual(['snapshot', 'delta']);
    const [, d] = got[1] as ['delta', MonitorDelta];
    expect(d.vips?.[0]?.holders).toEqual(['lb2']);
    expect(applyDelta((got[0] as ['snapshot', DashboardState])[1], d)?.vips[0]?.holders).toEqual(['lb2']);
    pub.stop();
  });
});

describe('LabMonitor nodes, probes and the event log', () => {
  it('reports a VM that stops answering and comes back, and appends events to the lab\'s log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-monitor-'));
    try {
      const { pool } = scripted();
      const m = monitor(pool, { eventsFile: join(dir, 'events.jsonl') });
      m.start();
      await until(() => expect(m.state().nodes.find((n) => n.name === 'app1')?.up).toBe(true));
      pool.setDown('app1');
      await until(() => expect(m.eventsSince(0).map((e) => e.kind)).toContain('vm-down'));
      expect(m.state().nodes.find((n) => n.name === 'app1')?.up).toBe(false);
      pool.setDown('app1', false);
      await until(() => expect(m.eventsSince(0).map((e) => e.kind)).toContain('vm-up'));
      await m.stop();
      const logged = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
      expect(logged.map((e) => e.kind)).toEqual(m.eventsSince(0).map((e) => e.kind));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('probes through the given URL: rate, errors and nearest-rank latency percentiles', async () => {
    const { pool } = scripted();
    const m = monitor(pool, { intervals: { vip: 60_000, probe: 10, nodes: 60_000 } });
    m.start();
    await until(() => expect(m.state().probe.recent.length).toBeGreaterThanOrEqual(5));
    const p = m.state().probe;
    expect(p.url).toBe(probeUrl);
    expect(p.errorPct).toBe(0);
    const sorted = p.recent.map((x) => x.ms).sort((a, b) => a - b);
    expect(p.p95).toBeLessThanOrEqual(sorted.at(-1)!);
    expect(sorted).toContain(p.p50);
  });

  it('stop() ends every stream and loop', async () => {
    const { pool } = scripted();
    const m = monitor(pool);
    m.start();
    await until(() => expect(pool.streaming('lb1', KEEPALIVED_STATE_LOG)).toBe(1));
    await m.stop();
    expect(pool.streaming('lb1', '') + pool.streaming('lb2', '') + pool.streaming('app1', '')).toBe(0);
    const calls = pool.calls.length;
    await new Promise((ok) => setTimeout(ok, 60));
    expect(pool.calls.length).toBe(calls);
  });
});

describe('vipHolders (provisioning\'s verify): one poll of every member, the same judge', () => {
  it('finds the one holder, both in split brain, and counts a member that does not answer as not holding', async () => {
    const { pool, holds } = scripted();
    expect(await vipHolders(pool, ctx, VIP.name)).toEqual(['lb1']);
    holds.lb2 = true;
    expect(await vipHolders(pool, ctx, VIP.name)).toEqual(['lb1', 'lb2']);
    pool.setDown('lb1');
    expect(await vipHolders(pool, ctx, VIP.name)).toEqual(['lb2']);
    holds.lb2 = false;
    expect(await vipHolders(pool, ctx, VIP.name)).toEqual([]);
  });
});

describe('the ring buffer behind deltas', () => {
  it('gives what was pushed after a count, within what it keeps', () => {
    const b = new RingBuffer<number>(4);
    for (let i = 0; i < 3; i++) b.push(i);
    const seen = b.pushed;
    for (let i = 3; i < 6; i++) b.push(i);
    expect(b.after(seen)).toEqual([3, 4, 5]);
    expect(b.all()).toEqual([2, 3, 4, 5]);
    expect(b.after(0)).toEqual([2, 3, 4, 5]);
    expect(b.after(b.pushed)).toEqual([]);
    for (let i = 6; i < 20; i++) b.push(i);
    expect(b.last(2)).toEqual([18, 19]);
    expect(b.all()).toHaveLength(4);
    expect(b.after(seen)).toEqual([16, 17, 18, 19]);
  });
});
