/**
 * The live monitor of one running lab (main process). Event-driven where
 * the lab pushes (keepalived's notify log, streamed over SSH), polled
 * elsewhere: VIP holders and replication every second, a probe through the
 * VIP four times a second, node stats every 3 s, alerts every 5 s, error-log
 * tails streamed. Samples stay in ring buffers; events are appended to the
 * lab's event log (`events.jsonl`) and handed to listeners.
 *
 * It is the one judge of who holds each VIP: polls of the members and
 * keepalived's notify lines are folded by `holder-judge.ts`, so a MASTER
 * notify moves the VIP at once and a stale poll cannot undo it. Readers get
 * one `snapshot()` and then `delta()`s (new samples, lines and events, the
 * cards that changed); `onChange` tells them when a delta is worth sending
 * at once (a VIP card or an event changed).
 */
import { setMaxListeners } from 'node:events';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RenderContext } from '../configs/context';
import { KEEPALIVED_STATE_LOG, vrrpInstanceName } from '../configs/keepalived';
import { gtidCovers, replicaHealthy } from '../configs/mysql-status';
import type { Guest } from '../guest/guest';
import { pollVipMember, probe } from '../lab/probes';
import { replicaStatus, sql } from '../lab/sql';
import { SNAPSHOT_LIMITS } from '../shared/monitor/delta';
import { initialJudge, judgeStep, type HolderChange, type HolderInput, type JudgeState } from '../shared/monitor/holder-judge';
import { percentile } from '../shared/monitor/percentile';
import type { AlertState, CacheState, SemiSyncCard, DashboardState, LogLine, MonitorDelta, MonitorEvent, NodeState, ProbeSample, ProbeStats, ReplicaState, VipState } from '../shared/monitor/types';
import { derive, NODE_STATS_ARGV, parseNodeStats, type RawStats } from './node-stats';
import { RingBuffer } from './ring-buffer';
import { pollPgStatus } from './pg-status';
import { pollRedisStatus } from './redis-status';
import { pollSemiSync } from './semisync-status';
import { semiSync } from '../configs/mysql-server';
import { grafanaPort } from '../configs/grafana-install';

/** A guest as the monitor uses it: run a command, follow a command's output. */
export type MonitorGuest = Pick<Guest, 'exec' | 'stream'>;

/** What the monitor needs of an SSH pool: the lab's `GuestPool`, or a unit test's stand-in for it. */
export interface MonitorPool {
  get(vm: string, opts?: { staticOnly?: boolean; waitMs?: number; signal?: AbortSignal }): Promise<MonitorGuest>;
  staticAddress(vm: string): string;
}

export interface LabMonitorOptions {
  ctx: RenderContext;
  pool: MonitorPool;
  /** Append events here (JSON lines). */
  eventsFile?: string;
  onEvent?: (e: MonitorEvent) => void;
  /** Probe this URL instead of the first VIP's (unit tests and benchmarks: a server on loopback). */
  probeUrl?: string;
  /** Poll intervals in ms (tests and benchmarks shorten them). */
  intervals?: Partial<Record<'vip' | 'probe' | 'replication' | 'nodes' | 'alerts', number>>;
  /** Grafana runs beside Prometheus (`up` installed it: `grafana-steps.ts`); the dashboard then links to it. */
  grafana?: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((ok) => {
    // An aborted signal never fires 'abort' again: return at once (stop() would otherwise wait out every sleep).
    if (signal.aborted) return ok();
    const done = () => (clearTimeout(t), signal.removeEventListener('abort', done), ok());
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export class LabMonitor {
  private readonly ac = new AbortController();
  private readonly events = new RingBuffer<MonitorEvent>(500);
  private readonly probes = new RingBuffer<ProbeSample>(2400);
  private readonly logs = new RingBuffer<LogLine>(400);
  private readonly vips = new Map<string, Omit<VipState, 'holders' | 'since' | 'known'>>();
  private judge: JudgeState;
  private readonly replicas = new Map<string, ReplicaState>();
  private readonly nodes = new Map<string, NodeState>();
  private readonly raw = new Map<string, RawStats>();
  private readonly outOfSync = new Map<string, number>();
  private readonly started = Date.now();
  private alerts: AlertState[] = [];
  private cache?: CacheState;
  private semiSync?: SemiSyncCard;
  private errorLogCount = 0;
  private probeFailing = false;
  private writes = Promise.resolve();
  private readonly loops: Promise<void>[] = [];
  private running = false;
  private readonly changeListeners = new Set<() => void>();
  private changePending = false;
  /** What the last snapshot or delta carried (counts pushed, cards as JSON). */
  private sent = { seq: 0, probes: 0, logs: 0, events: 0, cards: {} as Record<string, string> };

  constructor(private readonly o: LabMonitorOptions) {
    // One listener per loop and per streamed log: more than Node's default warning limit of 10.
    setMaxListeners(200, this.ac.signal);
    for (const v of o.ctx.lab.lab.services.vips) {
      this.vips.set(v.name, { name: v.name, address: v.address, members: v.members.map((m) => ({ node: m.node, priority: m.priority })) });
    }
    this.judge = initialJudge(o.ctx.lab.lab.services.vips.map((v) => ({ name: v.name, members: v.members.map((m) => m.node) })));
    for (const n of o.ctx.lab.nodes) this.nodes.set(n.hostname, { name: n.hostname, up: true });
  }

  private get svc() {
    return this.o.ctx.lab.lab.services;
  }

  /** The URL probed through the first VIP. */
  get probeUrl(): string | undefined {
    if (this.o.probeUrl) return this.o.probeUrl;
    const vip = this.svc.vips[0];
    const port = this.svc.loadBalancer?.listen[0];
    return vip && port ? `http://${vip.address}:${port}/` : undefined;
  }

  /** Start the loops (once; a second call does nothing). */
  start(): void {
    if (this.running || this.ac.signal.aborted) return;
    this.running = true;
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
    // Redis Sentinel: which node each Sentinel names as the primary (redis-status.ts).
    if (this.svc.cache) every(i.replication * 2, async () => void ((this.cache = await pollRedisStatus(this.o.ctx, (n) => this.guest(n))), this.changed()));
    // MySQL/MariaDB semi-sync on the primary: on, or fallen back to async (semisync-status.ts).
    if (this.svc.database && this.svc.database.engine !== 'postgresql' && semiSync(this.o.ctx)) every(i.replication * 2, async () => void (this.semiSync = await pollSemiSync(this.o.ctx, (n) => this.guest(n))));
    // One stream per VRRP node (a node in two VIP groups writes both to the same log). The last line gives its current state at once.
    for (const node of new Set(this.svc.vips.flatMap((v) => v.members.map((m) => m.node)))) this.follow(node, ['tail', '-n', '1', '-F', KEEPALIVED_STATE_LOG], (line, first) => this.onKeepalivedLine(node, line, first));
    for (const lb of this.svc.loadBalancer?.members ?? []) this.follow(lb, ['tail', '-n', '0', '-F', '/var/log/nginx/error.log'], (l) => this.onLog(lb, 'nginx', l, true));
    for (const app of this.svc.app?.members ?? []) this.follow(app, ['journalctl', '-f', '-n', '0', '-o', 'cat', '-p', 'warning', '-u', 'halab-app'], (l) => this.onLog(app, 'app', l, true));
    const db = this.svc.database;
    if (db) for (const d of [db.primary, ...this.o.ctx.lab.replicas.map((r) => r.node)]) this.follow(d, ['journalctl', '-f', '-n', '0', '-o', 'cat', '-p', 'warning', '-u', 'mariadb', '-u', 'mysql'], (l) => this.onLog(d, 'mysql', l, true));
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Stop every loop and stream (for good: a stopped monitor does not start again). */
  async stop(): Promise<void> {
    this.running = false;
    this.ac.abort();
    this.changeListeners.clear();
    await Promise.all(this.loops);
    await this.writes;
  }

  /** Record an event: ring buffer, listeners, event log. */
  record(e: Omit<MonitorEvent, 'at'> & { at?: number }): MonitorEvent {
    const ev: MonitorEvent = { at: Date.now(), ...e };
    this.events.push(ev);
    this.o.onEvent?.(ev);
    this.changed();
    const file = this.o.eventsFile;
    if (file) this.writes = this.writes.then(() => mkdir(dirname(file), { recursive: true })).then(() => appendFile(file, `${JSON.stringify(ev)}\n`)).catch(() => undefined);
    return ev;
  }

  /** Call `fn` when something worth sending at once happened (an event, a VIP card); returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /** Tell the listeners once per burst (one notify line records a state event, moves the VIP and changes the card). */
  private changed(): void {
    if (this.changePending || !this.changeListeners.size) return;
    this.changePending = true;
    queueMicrotask(() => {
      this.changePending = false;
      for (const fn of this.changeListeners) fn();
    });
  }

  private guest(vm: string): Promise<MonitorGuest> {
    return this.o.pool.get(vm, { staticOnly: true, waitMs: 1500, signal: this.ac.signal });
  }

  /** Keep a command's output streaming from a VM, reconnecting while the monitor runs (`first`: the first line of a connection). */
  private follow(vm: string, argv: string[], onLine: (l: string, first: boolean) => void): void {
    this.loops.push(
      (async () => {
        while (!this.ac.signal.aborted) {
          try {
            let first = true;
            await (await this.guest(vm)).stream(
              argv,
              (l) => {
                onLine(l, first);
                first = false;
              },
              this.ac.signal,
            );
          } catch {
            // VM down or rebooting: try again shortly.
          }
          await sleep(1000, this.ac.signal);
        }
      })(),
    );
  }

  /**
   * A line of keepalived's notify log: `<ISO time> <instance> <state>`. Its
   * evidence time is when it arrived; the first line of a connection
   * (`tail -n 1`) describes the past, so it counts from keepalived's own
   * timestamp when that is older.
   */
  private onKeepalivedLine(node: string, line: string, first = false): void {
    const [ts, instance, state] = line.trim().split(/\s+/);
    if (!ts || !instance || !state) return;
    const now = Date.now();
    const stamped = Date.parse(ts);
    const at = first && Number.isFinite(stamped) ? Math.min(stamped, now) : now;
    for (const v of this.vips.values()) {
      if (vrrpInstanceName(v.name) !== instance) continue;
      const m = v.members.find((x) => x.node === node);
      if (!m) continue;
      this.record({ at, kind: 'keepalived-state', subject: node, message: `${node} is ${state} for VIP ${v.address}`, data: { vip: v.name, state, ...(Number.isFinite(stamped) ? { keepalivedAt: stamped } : {}) } });
      this.fold({ kind: 'notify', vip: v.name, node, state, at });
    }
  }

  /** Fold one piece of holder evidence into the judge; record the change it causes. */
  private fold(input: HolderInput): HolderChange | undefined {
    const before = this.judge[input.vip]?.states[input.node]?.state;
    const r = judgeStep(this.judge, input);
    this.judge = r.state;
    if (r.change) this.recordChange(r.change);
    else if (before !== this.judge[input.vip]?.states[input.node]?.state) this.changed();
    return r.change;
  }

  private recordChange(c: HolderChange): void {
    const st = this.vips.get(c.vip)!;
    const subject = `${c.vip} ${st.address}`;
    const data = { vip: c.vip, from: c.from, cause: c.cause };
    if (c.to.length === 0) this.record({ at: c.at, kind: 'vip-lost', subject, message: `VIP ${st.address} is held by no load balancer`, data });
    else if (c.to.length > 1) this.record({ at: c.at, kind: 'vip-split', subject, message: `Split brain: VIP ${st.address} is held by ${c.to.join(' and ')}`, data: { ...data, holders: c.to } });
    else this.record({ at: c.at, kind: 'vip-moved', subject, message: `VIP ${st.address} is now on ${c.to[0]}${c.from.length ? ` (was ${c.from.join(', ')})` : ''}`, data: { ...data, to: c.to[0] } });
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
   * One member of a VIP group: does it hold the address? Its answer goes to
   * the judge at once; each member has its own loop, so a powered-off
   * member (whose check times out) never delays the news from the others.
   */
  private async pollMember(vipName: string, node: string): Promise<void> {
    const poll = await pollVipMember(this.o.pool, this.o.ctx, vipName, node, { signal: this.ac.signal, connect: { staticOnly: true, waitMs: 1500 }, timeoutMs: 2000 });
    if (!this.ac.signal.aborted) this.fold(poll);
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
    if (this.svc.database?.engine === 'postgresql') return this.foldReplicas((await pollPgStatus(this.o.ctx, (n) => this.guest(n))).standbys);
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

  /** Replica cards from another engine's poll (PostgreSQL: pg-status.ts), with the same events. */
  private foldReplicas(states: ReplicaState[]): void {
    for (const next of states) {
      const prev = this.replicas.get(next.node);
      this.replicas.set(next.node, next);
      if (prev && prev.healthy !== next.healthy) this.record({ kind: next.healthy ? 'replica-started' : 'replica-stopped', subject: next.node, message: next.healthy ? `${next.node} streams again from ${next.source}` : `${next.node} stopped streaming (${next.lastError ?? 'unknown'})` });
    }
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

  /** Current holders of a VIP group, as judged. */
  holders(vip: string): string[] {
    return this.judge[vip]?.holders ?? [];
  }

  /** The VIP cards: the judge's holders and keepalived's last state per member. */
  private vipStates(): VipState[] {
    return [...this.vips.values()].map((v) => {
      const j = this.judge[v.name];
      return {
        name: v.name,
        address: v.address,
        holders: [...(j?.holders ?? [])],
        ...(j?.since !== undefined ? { since: j.since } : {}),
        known: j?.known ?? false,
        members: v.members.map((m) => {
          const st = j?.states[m.node];
          return st ? { ...m, state: st.state, stateAt: st.at } : { ...m };
        }),
      };
    });
  }

  private probeStats(now: number): ProbeStats {
    const window = this.probes.since((p) => p.at >= now - 10_000);
    const lat = window.filter((p) => p.status === 200).map((p) => p.ms).sort((a, b) => a - b);
    return {
      url: this.probeUrl,
      ratePerS: Math.round((window.length / Math.max(1, Math.min(10, (now - this.started) / 1000))) * 10) / 10,
      errorPct: window.length ? Math.round((window.filter((p) => p.status !== 200).length / window.length) * 1000) / 10 : 0,
      p50: percentile(lat, 0.5),
      p95: percentile(lat, 0.95),
    };
  }

  /** The cards a delta replaces when they changed. */
  private cards(now: number): Pick<Required<MonitorDelta>, 'vips' | 'replicas' | 'nodes' | 'alerts' | 'probe' | 'errorLogCount'> & Pick<MonitorDelta, 'cache' | 'semiSync'> {
    return { vips: this.vipStates(), replicas: [...this.replicas.values()], nodes: [...this.nodes.values()], alerts: this.alerts, probe: this.probeStats(now), errorLogCount: this.errorLogCount, ...(this.cache ? { cache: this.cache } : {}), ...(this.semiSync ? { semiSync: this.semiSync } : {}) };
  }

  /** The whole state now (does not change what the next delta carries). */
  state(): DashboardState {
    const now = Date.now();
    const mon = this.svc.monitoring;
    const { probe: stats, ...cards } = this.cards(now);
    return {
      lab: this.o.ctx.lab.name,
      at: now,
      seq: this.sent.seq,
      ...cards,
      probe: { ...stats, recent: this.probes.last(SNAPSHOT_LIMITS.probes) },
      logs: this.logs.last(SNAPSHOT_LIMITS.logs),
      events: this.events.last(SNAPSHOT_LIMITS.events),
      prometheusUrl: mon ? `http://${this.o.pool.staticAddress(mon.prometheus)}:9090/` : undefined,
      grafanaUrl: mon && this.o.grafana ? `http://${this.o.pool.staticAddress(mon.prometheus)}:${grafanaPort(this.o.ctx)}/` : undefined,
    };
  }

  /** The whole state for a new reader; the next delta carries what changes after it. */
  snapshot(): DashboardState {
    const s = this.state();
    const { lab: _l, at: _a, seq: _s, probe: { recent: _r, ...probe }, logs: _lo, events: _e, prometheusUrl: _p, grafanaUrl: _g, ...cards } = s;
    this.sent = { seq: s.seq, probes: this.probes.pushed, logs: this.logs.pushed, events: this.events.pushed, cards: Object.fromEntries(Object.entries({ ...cards, probe }).map(([k, v]) => [k, JSON.stringify(v)])) };
    return s;
  }

  /** What changed since the last snapshot or delta; undefined when nothing did. */
  delta(): MonitorDelta | undefined {
    const now = Date.now();
    const d: MonitorDelta = { lab: this.o.ctx.lab.name, at: now, seq: this.sent.seq + 1 };
    const probes = this.probes.after(this.sent.probes);
    const logs = this.logs.after(this.sent.logs);
    const events = this.events.after(this.sent.events);
    if (probes.length) d.probes = probes;
    if (logs.length) d.logs = logs;
    if (events.length) d.events = events;
    const cards: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.cards(now))) {
      const json = JSON.stringify(v);
      cards[k] = json;
      if (json !== this.sent.cards[k]) (d as unknown as Record<string, unknown>)[k] = v;
    }
    if (Object.keys(d).length === 3) return undefined;
    this.sent = { seq: d.seq, probes: this.probes.pushed, logs: this.logs.pushed, events: this.events.pushed, cards };
    return d;
  }
}
