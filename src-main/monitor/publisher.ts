/**
 * Sends one lab monitor's state to its readers: a snapshot when a reader
 * subscribes, then deltas — at once when the monitor says something worth
 * showing happened (an event, a VIP card), otherwise every `tickMs` with
 * the new samples and log lines. Nothing is sent when nothing changed.
 */
import type { DashboardState, MonitorDelta } from '../shared/monitor/types';
import type { LabMonitor } from './lab-monitor';

export interface MonitorSink {
  snapshot(s: DashboardState): void;
  delta(d: MonitorDelta): void;
}

export class MonitorPublisher {
  private timer?: NodeJS.Timeout;
  private off?: () => void;

  constructor(
    private readonly monitor: Pick<LabMonitor, 'snapshot' | 'delta' | 'onChange'>,
    private readonly sink: MonitorSink,
    private readonly tickMs = 1000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.off = this.monitor.onChange(() => this.flush());
    this.timer = setInterval(() => this.flush(), this.tickMs);
    this.timer.unref?.();
  }

  /** A reader subscribed: send it (and everyone) the whole state; deltas follow on from it. */
  snapshot(): void {
    this.sink.snapshot(this.monitor.snapshot());
  }

  /** Send what changed, if anything. */
  flush(): void {
    const d = this.monitor.delta();
    if (d) this.sink.delta(d);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.off?.();
  }
}
