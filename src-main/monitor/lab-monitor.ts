/**
 * The live monitor of one running lab (main process). Event-driven where
 * the lab pushes (keepalived's notify log, streamed over SSH), polled
 * elsewhere: VIP holders and replication every second, a probe through the
 * VIP four times a second, node stats every 3 s, alerts every 5 s, error-log
 * tails streamed. Samples stay in ring buffers; events are appended to the
 * lab's event log (`events.jsonl`) and handed to listeners.
 */
import { setMaxListeners } from 'node:events';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nicOn, type RenderContext } from '../configs/context';
import { KEEPALIVED_STATE_LOG, vrrpInstanceName } from '../configs/keepalived';
import { gtidCovers, replicaHealthy } from '../configs/mysql-status';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { probe } from '../lab/probes';
import { replicaStatus, sql } from '../lab/sql';
import type { AlertState, DashboardState, LogLine, MonitorEvent, NodeState, ProbeSample, ReplicaState, VipState } from '../shared/monitor/types';
import { derive, NODE_STATS_ARGV, parseNodeStats, type RawStats } from './node-stats';
import { RingBuffer } from './ring-buffer';

export interface LabMonitorOptions {
  ctx: RenderContext;
  pool: GuestPool;
  /** Append events here (JSON lines). */
  eventsFile?: string;
  onEvent?: (e: MonitorEvent) => void;
  /** Poll intervals in ms (tests and benchmarks shorten them). */
  intervals?: Partial<Record<'vip' | 'probe' | 'replication' | 'nodes' | 'alerts', number>>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((ok) => {
    const done = () => (clearTimeout(t), signal.removeEventListener('abort', done), ok());
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

const pct = (sorted: number[], q: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) : 0);

export class LabMonitor {
  private readonly ac = new AbortController();
  private readonly events = new RingBuffer<MonitorEvent>(500);
  private readonly probes = new RingBuffer<ProbeSample>(2400);
  private readonly logs = new RingBuffer<LogLine>(400);
  private readonly vips = new Map<string, VipState>();
  private readonly replicas = new Map<string, ReplicaState>();
  private readonly nodes = new Map<string, NodeState>();
  private readonly raw = new Map<string, RawStats>();
  private readonly outOfSync = new Map<string, number>();
  private readonly memberHolds = new Map<string, boolean>();
  private readonly started = Date.now();
  private alerts: AlertState[] = [];
  private errorLogCount = 0;
  private probeFailing = false;
  private writes = Promise.resolve();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly o: LabMonitorOptions) {
    // One listener per loop and per streamed log: more than Node's default warning limit of 10.
    setMaxListeners(200, this.ac.signal);
    for (const v of o.ctx.lab.lab.services.vips) {
      this.vips.set(v.name, { name: v.name, address: v.address, holders: [], members: v.members.map((m) => ({ node: m.node, priority: m.priority })) });
    }
    for (const n of o.ctx.lab.nodes) this.nodes.set(n.hostname, { name: n.hostname, up: true });
  }

  private get svc() {
    return this.o.ctx.lab.lab.services;
  }

  /** The URL probed through the first VIP. */
  get probeUrl(): string | undefined {
    const vip = this.svc.vips[0];
    const port = this.svc.loadBalancer?.listen[0];
    return vip && port ? `http://${vip.address}:${port}/` : undefined;
  }

  start(): void {
    const i = { vip: 1000, probe: 250, replication: 1000, nodes: 3000, alerts: 5000, ...this.o.intervals };
    const every = (ms: number, tick: () => Promise<void>) =>
      this.loops.push(
        (async () => {
          while (!this.ac.signal.aborted) {
            await tick().catch(() => undefined);
            await sleep(ms, this.ac.signal);
          }
        })(),
      );
    for (const v of this.svc.vips) for (const m of v.members) every(i.vip, () => this.pollMember(v.name, m.node));
    if (this.probeUrl) every(i.probe, () => this.probeOnce());
    if (this.o.ctx.lab.replicas.length) every(i.replication, () => this.pollReplication());
    every(i.nodes, () => this.pollNodes());
    if (this.svc.monitoring) every(i.alerts, () => this.pollAlerts());
    // The last line gives each member's current state at once; it keeps its own (older) timestamp.
    for (const v of this.svc.vips) for (const m of v.members) this.follow(m.node, ['tail', '-n', '1', '-F', KEEPALIVED_STATE_LOG], (line) => this.onKeepalivedLine(m.node, line));
    for (const lb of this.svc.loadBalancer?.members ?? []) this.follow(lb, ['tail', '-n', '0', '-F', '/var/log/nginx/error.log'], (l) => this.onLog(lb, 'nginx', l, true));
    for (const app of this.svc.app?.members ?? []) this.follow(app, ['journalctl', '-f', '-n', '0', '-o', 'cat', '-p', 'warning', '-u', 'halab-app'], (l) => this.onLog(app, 'app', l, true));
    const db = this.svc.database;
    if (db) for (const d of [db.primary, ...this.o.ctx.lab.replicas.map((r) => r.node)]) this.follow(d, ['journalctl', '-f', '-n', '0', '-o', 'cat', '-p', 'warning', '-u', 'mariadb', '-u', 'mysql'], (l) => this.onLog(d, 'mysql', l, true));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.all(this.loops);
    await this.writes;
  }

  /** Record an event: ring buffer, listeners, event log. */
  record(e: Omit<MonitorEvent, 'at'> & { at?: number }): MonitorEvent {
    const ev: MonitorEvent = { at: Date.now(), ...e };
    this.events.push(ev);
    this.o.onEvent?.(ev);
    const file = this.o.eventsFile;
    if (file) this.writes = this.writes.then(() => mkdir(dirname(file), { recursive: true })).then(() => appendFile(file, `${JSON.stringify(ev)}\n`)).catch(() => undefined);
    return ev;
  }

  private guest(vm: string): Promise<Guest> {
    return this.o.pool.get(vm, { staticOnly: true, waitMs: 1500, signal: this.ac.signal });
  }

  /** Keep a command's output streaming from a VM, reconnecting while the monitor runs. */
  private follow(vm: string, argv: string[], onLine: (l: string) => void): void {
    this.loops.push(
      (async () => {
        while (!this.ac.signal.aborted) {
          try {
            await (await this.guest(vm)).stream(argv, onLine, this.ac.signal);
          } catch {
            // VM down or rebooting: try again shortly.
          }
          await sleep(1000, this.ac.signal);
        }
      })(),
    );
  }

  private onKeepalivedLine(node: string, line: string): void {
    const [ts, instance, state] = line.trim().split(/\s+/);
    if (!ts || !instance || !state) return;
    const at = Date.parse(ts) || Date.now();
    for (const v of this.vips.values()) {
      if (vrrpInstanceName(v.name) !== instance) continue;
      const m = v.members.find((x) => x.node === node);
      if (m) Object.assign(m, { state, stateAt: at });
      this.record({ at, kind: 'keepalived-state', subject: node, message: `${node} is ${state} for VIP ${v.address}`, data: { vip: v.name, state } });
    }
  }

  private onLog(node: string, source: LogLine['source'], line: string, error: boolean): void {
    this.logs.push({ at: Date.now(), node, source, line: line.slice(0, 500), error });
    if (error) this.errorLogCount++;
  }

  /** VIP holders from the addresses the members really have: every member once. */
  async pollVips(): Promise<void> {
    await Promise.all(this.svc.vips.flatMap((v) => v.members.map((m) => this.pollMember(v.name, m.node))));
  }

  /**
   * One member of a VIP group: does it hold the address? Its answer updates
   * the holders at once; each member has its own loop, so a powered-off
   * member (whose check times out) never delays the news from the others.
   */
  private async pollMember(vipName: string, node: string): Promise<void> {
    const v = this.svc.vips.find((x) => x.name === vipName)!;
    let holds = false;
    try {
      const g = await this.guest(node);
      const r = await g.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', nicOn(this.o.ctx, node, v.network).ifname], { timeoutMs: 2000 });
      holds = r.stdout.includes(` ${v.address}/`);
    } catch {
      holds = false;
    }
    this.memberHolds.set(`${v.name}/${node}`, holds);
    this.setHolders(v.name, v.members.filter((x) => this.memberHolds.get(`${v.name}/${x.node}`)).map((x) => x.node));
  }

  private setHolders(name: string, holders: string[]): void {
    const st = this.vips.get(name)!;
    const before = st.holders;
    if (before.join() === holders.join()) return;
    st.holders = holders;
    st.since = Date.now();
    const subject = `${name} ${st.address}`;
    if (holders.length === 0) this.record({ kind: 'vip-lost', subject, message: `VIP ${st.address} is held by no load balancer`, data: { vip: name, from: before } });
    else if (holders.length > 1) this.record({ kind: 'vip-split', subject, message: `Split brain: VIP ${st.address} is held by ${holders.join(' and ')}`, data: { vip: name, holders } });
    else this.record({ kind: 'vip-moved', subject, message: `VIP ${st.address} is now on ${holders[0]}${before.length ? ` (was ${before.join(', ')})` : ''}`, data: { vip: name, from: before, to: holders[0] } });
  }

  private async probeOnce(): Promise<void> {
    const r = await probe(this.probeUrl!, 1000);
    this.probes.push({ at: Date.now(), status: r.status, ms: Math.round(r.ms), servedBy: r.servedBy });
    const failing = r.status !== 200;
    if (failing !== this.probeFailing) {
      this.probeFailing = failing;
      this.record({ kind: failing ? 'probe-failing' : 'probe-ok', subject: this.probeUrl!, message: failing ? `Requests through the VIP fail (HTTP ${r.status || 'no answer'})` : 'Requests through the VIP succeed again' });
    }
  }

  private async pollReplication(): Promise<void> {
    const primary = this.svc.database!.primary;
    const gtidVar = this.o.ctx.engine === 'mariadb' ? '@@global.gtid_binlog_pos' : '@@global.gtid_executed';
    const primaryGtid = await this.guest(primary)
      .then((g) => sql(g, `SELECT ${gtidVar};\n`))
      .then((out) => out.trim().split('\n').at(-1)?.trim())
      .catch(() => undefined);
    await Promise.all(
      this.o.ctx.lab.replicas.map(async (r) => {
        const prev = this.replicas.get(r.node);
        let next: ReplicaState;
        try {
          const g = await this.guest(r.node);
          const st = await replicaStatus(g);
          const gtid = this.o.ctx.engine === 'mariadb' ? '@@global.gtid_current_pos' : '@@global.gtid_executed';
          const vars = (await sql(g, `SELECT @@global.read_only, ${gtid};\n`, { okCodes: [0, 1] }).catch(() => '')).trim().split('\n').at(-1)?.split('\t') ?? [];
          const received = `${st?.receivedGtids ?? ''},${vars[1] ?? ''}`;
          const inSync = primaryGtid === undefined ? undefined : gtidCovers(received, primaryGtid);
          const behind = inSync === false ? (this.outOfSync.get(r.node) ?? 0) + 1 : 0;
          this.outOfSync.set(r.node, behind);
          // Under load the positions race; several polls in a row behind means stalled.
          const stalled = behind >= 3;
          next = {
            node: r.node,
            primaryGtid,
            inSync,
            source: st?.sourceHost ?? '',
            ioRunning: st?.ioRunning ?? 'No',
            sqlRunning: st?.sqlRunning ?? 'No',
            secondsBehind: st?.secondsBehind ?? null,
            readOnly: vars[0] === '1' ? true : vars[0] === '0' ? false : undefined,
            gtidExecuted: vars[1] || st?.executedGtids || undefined,
            lastError: st?.lastIoError || st?.lastSqlError || (stalled ? `behind the primary (${primaryGtid}) for ${behind} s although both threads run` : undefined),
            healthy: !!st && replicaHealthy(st) && !stalled,
          };
        } catch (e) {
          next = { node: r.node, source: primary, ioRunning: 'No', sqlRunning: 'No', secondsBehind: null, lastError: (e as Error).message, healthy: false };
        }
        this.replicas.set(r.node, next);
        if (prev && prev.healthy !== next.healthy) {
          this.record({ kind: next.healthy ? 'replica-started' : 'replica-stopped', subject: r.node, message: next.healthy ? `${r.node} replicates again` : `${r.node} stopped replicating (IO ${next.ioRunning}, SQL ${next.sqlRunning}${next.lastError ? `: ${next.lastError}` : ''})` });
        }
      }),
    );
  }

  private async pollNodes(): Promise<void> {
    await Promise.all(
      this.o.ctx.lab.nodes.map(async (n) => {
        const prev = this.nodes.get(n.hostname)!;
        let next: NodeState;
        try {
          const g = await this.guest(n.hostname);
          const raw = parseNodeStats((await g.exec(NODE_STATS_ARGV, { timeoutMs: 2500 })).stdout, Date.now());
          next = { name: n.hostname, up: true, ...(raw ? derive(this.raw.get(n.hostname), raw) : {}) };
          if (raw) this.raw.set(n.hostname, raw);
        } catch {
          next = { name: n.hostname, up: false };
          this.raw.delete(n.hostname);
        }
        this.nodes.set(n.hostname, next);
        if (prev.up !== next.up) this.record({ kind: next.up ? 'vm-up' : 'vm-down', subject: n.hostname, message: next.up ? `${n.hostname} answers again` : `${n.hostname} does not answer` });
      }),
    );
  }

  private async pollAlerts(): Promise<void> {
    const mon = this.svc.monitoring!;
    const host = this.o.pool.staticAddress(mon.alertmanager ?? mon.prometheus);
    const r = await fetch(`http://${host}:9093/api/v2/alerts?active=true`, { signal: AbortSignal.timeout(3000) });
    if (!r.ok) return;
    const list = (await r.json()) as { labels: Record<string, string>; annotations?: Record<string, string>; startsAt: string }[];
    const next: AlertState[] = list.map((a) => ({ name: a.labels.alertname ?? '?', severity: a.labels.severity ?? '', instance: a.labels.instance, startsAt: a.startsAt, summary: a.annotations?.summary }));
    const key = (a: AlertState) => `${a.name}|${a.instance ?? ''}`;
    const before = new Set(this.alerts.map(key));
    const after = new Set(next.map(key));
    for (const a of next) if (!before.has(key(a))) this.record({ kind: 'alert-fired', subject: a.name, message: `Alert ${a.name}${a.instance ? ` on ${a.instance}` : ''} fired${a.summary ? `: ${a.summary}` : ''}` });
    for (const a of this.alerts) if (!after.has(key(a))) this.record({ kind: 'alert-resolved', subject: a.name, message: `Alert ${a.name}${a.instance ? ` on ${a.instance}` : ''} resolved` });
    this.alerts = next;
  }

  /** Probe samples in a time window (for drills). */
  probesBetween(from: number, to = Date.now()): ProbeSample[] {
    return this.probes.since((p) => p.at >= from && p.at <= to);
  }

  eventsSince(from: number): MonitorEvent[] {
    return this.events.since((e) => e.at >= from);
  }

  /** Current holders of a VIP group. */
  holders(vip: string): string[] {
    return this.vips.get(vip)?.holders ?? [];
  }

  state(): DashboardState {
    const now = Date.now();
    const window = this.probes.since((p) => p.at >= now - 10_000);
    const lat = window.filter((p) => p.status === 200).map((p) => p.ms).sort((a, b) => a - b);
    const mon = this.svc.monitoring;
    return {
      lab: this.o.ctx.lab.name,
      at: now,
      vips: [...this.vips.values()].map((v) => ({ ...v, members: v.members.map((m) => ({ ...m })) })),
      probe: {
        url: this.probeUrl,
        recent: this.probes.last(240),
        ratePerS: window.length / Math.max(1, Math.min(10, (now - this.started) / 1000)),
        errorPct: window.length ? Math.round((window.filter((p) => p.status !== 200).length / window.length) * 1000) / 10 : 0,
        p50: pct(lat, 0.5),
        p95: pct(lat, 0.95),
      },
      replicas: [...this.replicas.values()],
      nodes: [...this.nodes.values()],
      alerts: this.alerts,
      logs: this.logs.last(200),
      errorLogCount: this.errorLogCount,
      events: this.events.last(200),
      prometheusUrl: mon ? `http://${this.o.pool.staticAddress(mon.prometheus)}:9090/` : undefined,
      grafanaUrl: undefined,
    };
  }
}
