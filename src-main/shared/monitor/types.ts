/**
 * What the live monitor reports: the dashboard's state and the events it
 * appends to a lab's event log. Browser-safe (the dashboard renders these).
 */

export type MonitorEventKind =
  | 'vip-moved'
  | 'vip-lost'
  | 'vip-split'
  | 'keepalived-state'
  | 'replica-stopped'
  | 'replica-started'
  | 'vm-down'
  | 'vm-up'
  | 'alert-fired'
  | 'alert-resolved'
  | 'probe-failing'
  | 'probe-ok'
  | 'drill';

export interface MonitorEvent {
  at: number;
  kind: MonitorEventKind;
  /** The VIP group, VM or alert it is about. */
  subject: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface VipState {
  name: string;
  address: string;
  /** Members holding the address right now (one is healthy). */
  holders: string[];
  /** keepalived's last reported state per member (MASTER/BACKUP/FAULT/STOP). */
  members: { node: string; priority: number; state?: string; stateAt?: number }[];
  /** When the holders last changed (the monitor's judge, `holder-judge.ts`). */
  since?: number;
  /** Every member has been polled or has notified at least once: an empty `holders` then means nobody holds it. */
  known?: boolean;
}

export interface ProbeSample {
  at: number;
  status: number;
  ms: number;
  servedBy?: string;
}

export interface ReplicaState {
  node: string;
  source: string;
  ioRunning: string;
  sqlRunning: string;
  secondsBehind: number | null;
  readOnly?: boolean;
  gtidExecuted?: string;
  /** The primary's own position at the same poll. */
  primaryGtid?: string;
  /** The replica has received everything the primary had (false for several polls = stalled). */
  inSync?: boolean;
  /** PostgreSQL: bytes of WAL the standby has still to replay (pg_stat_replication on the leader). */
  lagBytes?: number;
  /** PostgreSQL: replay lag in ms as the leader measures it (null when idle). */
  replayLagMs?: number | null;
  /** PostgreSQL: the node Patroni names leader (GET :8008/cluster). */
  patroniLeader?: string;
  lastError?: string;
  healthy: boolean;
}

export interface NodeState {
  name: string;
  up: boolean;
  cpuPct?: number;
  memPct?: number;
  diskPct?: number;
  load1?: number;
  rxBps?: number;
  txBps?: number;
}

export interface LogLine {
  at: number;
  node: string;
  source: 'nginx' | 'app' | 'mysql' | 'keepalived';
  line: string;
  error: boolean;
}

export interface AlertState {
  name: string;
  severity: string;
  instance?: string;
  startsAt: string;
  summary?: string;
}

export interface ProbeStats {
  url?: string;
  ratePerS: number;
  errorPct: number;
  p50: number;
  p95: number;
}

/** Redis with Sentinel: which node each Sentinel names as the primary (services.cache). */
export interface CacheState {
  masterName: string;
  /** The primary when every answering Sentinel names the same node. */
  primary?: string;
  /** Every Sentinel answered and named the same primary. */
  agreed: boolean;
  sentinels: { node: string; master?: string; ok: boolean; error?: string }[];
}

/** Semi-sync on the database primary (MySQL/MariaDB labs with `database.replication: semi-sync`), as the monitor last read it. */
export interface SemiSyncCard {
  node: string;
  /** The primary's status variables; undefined when they could not be read (`error` says why). */
  status?: { enabled: boolean; active: boolean; clients: number; waitPoint: string; timeoutMs?: number; yesTx?: number; noTx?: number };
  error?: string;
}

export interface DashboardState {
  lab: string;
  at: number;
  /** The number of the last delta folded in (a snapshot carries the publisher's current number). */
  seq: number;
  vips: VipState[];
  probe: ProbeStats & { recent: ProbeSample[] };
  replicas: ReplicaState[];
  nodes: NodeState[];
  alerts: AlertState[];
  logs: LogLine[];
  errorLogCount: number;
  events: MonitorEvent[];
  /** Redis Sentinel's view, for labs with services.cache. */
  cache?: CacheState;
  /** Semi-sync on the primary, for MySQL/MariaDB labs with semi-sync replication. */
  semiSync?: SemiSyncCard;
  /** Grafana, when the lab runs one. */
  grafanaUrl?: string;
  prometheusUrl?: string;
}

/**
 * What changed since the previous `monitor:delta` (or the snapshot): new
 * probe samples, log lines and events, and only the cards whose data
 * changed. `seq` is the snapshot's plus one for the first delta, and so on.
 */
export interface MonitorDelta {
  lab: string;
  at: number;
  seq: number;
  probes?: ProbeSample[];
  logs?: LogLine[];
  events?: MonitorEvent[];
  vips?: VipState[];
  replicas?: ReplicaState[];
  nodes?: NodeState[];
  alerts?: AlertState[];
  probe?: ProbeStats;
  errorLogCount?: number;
  cache?: CacheState;
  semiSync?: SemiSyncCard;
}
