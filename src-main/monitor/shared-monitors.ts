/**
 * One monitor (and SSH pool) per lab, shared by everyone who needs it: the
 * dashboard watching the lab and any drill running on it. The first user
 * opens it, later users reuse it (even while it is still opening), and the
 * last one to leave stops the monitor and closes what was opened with it.
 * Each monitor has its publisher: a snapshot when a reader starts
 * watching, deltas after.
 */
import type { LabMonitor } from './lab-monitor';
import { MonitorPublisher, type MonitorSink } from './publisher';

export interface OpenedMonitor<R> {
  /** What was opened with the monitor (the lab runtime: hypervisor, context, pool). */
  runtime: R;
  monitor: LabMonitor;
  /** Close what was opened with it (the SSH pool), after the monitor has stopped. */
  close(): Promise<void>;
}

export interface SharedMonitor<R> extends OpenedMonitor<R> {
  publisher: MonitorPublisher;
  /** Who uses it now (`dashboard`, `drill:<task id>`). */
  users: Set<string>;
}

export class SharedMonitors<R> {
  private readonly labs = new Map<string, Promise<SharedMonitor<R>>>();

  constructor(private readonly sink: MonitorSink) {}

  /** The lab's monitor for `user`, opened with `open` (and started) when nobody uses it yet. */
  async acquire(lab: string, user: string, open: () => Promise<OpenedMonitor<R>>): Promise<SharedMonitor<R>> {
    let p = this.labs.get(lab);
    if (!p) {
      p = open().then((o) => {
        const publisher = new MonitorPublisher(o.monitor, this.sink);
        o.monitor.start();
        publisher.start();
        return { ...o, publisher, users: new Set<string>() };
      });
      this.labs.set(lab, p);
      const mine = p;
      p.catch(() => {
        if (this.labs.get(lab) === mine) this.labs.delete(lab);
      });
    }
    const w = await p;
    w.users.add(user);
    return w;
  }

  /** `user` is done with the lab's monitor; the last one out stops it. False when `user` was not using it. */
  async release(lab: string, user: string): Promise<boolean> {
    const p = this.labs.get(lab);
    const w = await p?.catch(() => undefined);
    if (!w || !w.users.delete(user)) return false;
    if (w.users.size === 0 && this.labs.get(lab) === p) await this.shut(lab, w);
    return true;
  }

  /** Stop the lab's monitor whoever uses it (the lab is being destroyed). */
  async close(lab: string): Promise<void> {
    const p = this.labs.get(lab);
    const w = await p?.catch(() => undefined);
    if (w && this.labs.get(lab) === p) await this.shut(lab, w);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.labs.keys()].map((l) => this.close(l)));
  }

  /** The lab's monitor when one runs (or is opening). */
  async get(lab: string): Promise<SharedMonitor<R> | undefined> {
    return this.labs.get(lab)?.catch(() => undefined);
  }

  private async shut(lab: string, w: SharedMonitor<R>): Promise<void> {
    this.labs.delete(lab);
    w.publisher.stop();
    await w.monitor.stop();
    await w.close();
  }
}
