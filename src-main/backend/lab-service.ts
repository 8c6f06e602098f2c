/**
 * Labs for the UI: provisioning and drills as tasks (id, title, progress,
 * current step, cancel), and one live monitor per watched lab. Everything
 * is reported on the event bus; the same services back the CLI.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDrill } from '../drills/runner';
import { ensureLabKey } from '../guest/lab-keys';
import { chooseHypervisor, createHypervisor } from '../hypervisor/factory';
import type { Hypervisor, ProviderKind } from '../hypervisor/types';
import { LabMonitor } from '../monitor/lab-monitor';
import { GuestPool } from '../provision/guest-pool';
import { labRef, readLabState } from '../provision/lab-home';
import { buildStepsCount, down, renderContext, status, up } from '../provision/provisioner';
import type { ResolvedLab } from '../shared/blueprint/model';
import type { DrillName } from '../shared/blueprint/schema';
import type { DrillReport } from '../shared/drills/report';
import type { DrillReportSummary, LabStatusResult, TaskInfo } from '../shared/ipc/contract';
import type { EventBus } from './events';
import { BackendError } from './handler-types';

interface Task extends TaskInfo {
  controller: AbortController;
}

const summary = (r: DrillReport): DrillReportSummary => ({ id: r.id, drill: r.drill, title: r.title, verdict: r.verdict, startedAt: r.startedAt, verdictText: r.verdictText });

export class LabService {
  private readonly tasks = new Map<string, Task>();
  private readonly monitors = new Map<string, { monitor: LabMonitor; pool: GuestPool; timer: NodeJS.Timeout }>();

  constructor(private readonly events: EventBus) {}

  private update(t: Task, patch: Partial<TaskInfo>): void {
    Object.assign(t, patch);
    const { controller: _c, ...info } = t;
    this.events.emit('task:update', info);
  }

  private busy(lab: string): Task | undefined {
    return [...this.tasks.values()].find((t) => t.lab === lab && t.state === 'running');
  }

  /** Start a task; refuse a second one on the same lab. */
  private start(kind: TaskInfo['kind'], lab: string, title: string, work: (t: Task) => Promise<void>, extra: Partial<TaskInfo> = {}): string {
    const running = this.busy(lab);
    if (running) throw new BackendError(`"${running.title}" is still running on ${lab}; wait for it or cancel it first.`, 'busy');
    const t: Task = { id: randomUUID(), title, kind, lab, state: 'running', progress: 0, ...extra, controller: new AbortController() };
    this.tasks.set(t.id, t);
    this.update(t, {});
    void work(t)
      .then(() => t.state === 'running' && this.update(t, { state: t.controller.signal.aborted ? 'canceled' : 'done', progress: 1 }))
      .catch((e: unknown) => this.update(t, { state: t.controller.signal.aborted ? 'canceled' : 'failed', error: (e as Error).message }));
    return t.id;
  }

  private async hypervisorFor(lab: string, provider?: ProviderKind): Promise<Hypervisor> {
    const state = await readLabState(labRef(lab));
    return chooseHypervisor(provider ?? state?.provider);
  }

  async status(r: ResolvedLab): Promise<LabStatusResult> {
    const lab = labRef(r.name);
    const state = await readLabState(lab);
    const providers = await Promise.all(
      (['vmware', 'linux'] as const).map(async (kind) => {
        const u = await createHypervisor(kind).checkUsable();
        return { kind, usable: u.usable, reason: u.reason, fix: u.fix };
      }),
    );
    if (!state) return { lab: r.name, provider: null, vms: r.nodes.map((n) => ({ name: n.hostname, state: 'absent', addresses: [] })), providers };
    const st = await status({ hv: createHypervisor(state.provider), lab, resolved: r });
    return { lab: r.name, provider: state.provider, vms: st.vms.map(({ name, state: s, addresses }) => ({ name, state: s, addresses })), providers };
  }

  up(r: ResolvedLab, provider?: ProviderKind, stage: 'vms' | 'all' = 'all'): string {
    const total = buildStepsCount(r, stage);
    return this.start('up', r.name, `Provision ${r.name}`, async (t) => {
      const hv = await this.hypervisorFor(r.name, provider);
      let done = 0;
      const result = await up({
        hv,
        lab: labRef(r.name),
        resolved: r,
        stage,
        signal: t.controller.signal,
        onEvent: (e) => {
          const text = e.type === 'start' ? e.title : e.type === 'log' ? e.line : e.type === 'done' ? (e.changed ? 'changed' : 'no change') : e.type === 'failed' ? e.error : e.reason;
          this.events.emit('lab:step', { taskId: t.id, type: e.type, step: e.step, vm: e.vm, text, at: e.at });
          if (e.type === 'done' || e.type === 'failed' || e.type === 'skipped') this.update(t, { progress: ++done / total, step: e.step });
          else if (e.type === 'start') this.update(t, { step: e.title });
        },
      });
      if (result.canceled) this.update(t, { state: 'canceled' });
      else if (!result.ok) throw new Error(result.failed.map((f) => `${f.step}: ${f.error}`).join('\n') || 'some steps did not complete');
    });
  }

  down(r: ResolvedLab): string {
    return this.start('down', r.name, `Destroy ${r.name}`, async (t) => {
      await this.stopMonitor(r.name);
      const hv = await this.hypervisorFor(r.name);
      await down({ hv, lab: labRef(r.name), resolved: r, signal: t.controller.signal, log: (line) => this.events.emit('lab:step', { taskId: t.id, type: 'log', step: 'down', text: line, at: Date.now() }) });
    });
  }

  drill(r: ResolvedLab, drill: DrillName): string {
    return this.start('drill', r.name, `Drill ${drill} on ${r.name}`, async (t) => {
      const hv = await this.hypervisorFor(r.name);
      const { report } = await runDrill({
        hv,
        lab: labRef(r.name),
        resolved: r,
        drill,
        signal: t.controller.signal,
        onProgress: (line) => this.update(t, { step: line }),
        onEvent: (e) => this.events.emit('monitor:event', { ...e, lab: r.name }),
      });
      this.events.emit('drill:finished', { taskId: t.id, lab: r.name, summary: summary(report) });
      if (report.verdict === 'error') throw new Error(report.verdictText);
    }, { drill });
  }

  cancel(id: string): boolean {
    const t = this.tasks.get(id);
    if (!t || t.state !== 'running') return false;
    t.controller.abort();
    return true;
  }

  list(): TaskInfo[] {
    return [...this.tasks.values()].map(({ controller: _c, ...info }) => info);
  }

  /** Watch a lab: `monitor:state` every second, `monitor:event` as they come. Idempotent. */
  async startMonitor(r: ResolvedLab): Promise<void> {
    if (this.monitors.has(r.name)) return;
    const lab = labRef(r.name);
    const state = await readLabState(lab);
    if (!state) throw new BackendError(`The lab "${r.name}" is not up on this computer; provision it first.`, 'not-up');
    const hv = createHypervisor(state.provider);
    const pool = new GuestPool({ hv, lab, resolved: r, key: await ensureLabKey(lab.dir, lab.id) });
    const monitor = new LabMonitor({ ctx: await renderContext(hv, lab, r), pool, eventsFile: join(lab.dir, 'events.jsonl'), onEvent: (e) => this.events.emit('monitor:event', { ...e, lab: r.name }), intervals: { vip: 500 } });
    monitor.start();
    const timer = setInterval(() => this.events.emit('monitor:state', monitor.state()), 1000);
    this.monitors.set(r.name, { monitor, pool, timer });
  }

  async stopMonitor(lab: string): Promise<boolean> {
    const m = this.monitors.get(lab);
    if (!m) return false;
    this.monitors.delete(lab);
    clearInterval(m.timer);
    await m.monitor.stop();
    await m.pool.closeAll();
    return true;
  }

  async reports(lab: string): Promise<DrillReportSummary[]> {
    const dir = join(labRef(lab).dir, 'reports');
    const ids = await readdir(dir).catch(() => [] as string[]);
    const out: DrillReportSummary[] = [];
    for (const id of ids.sort().reverse()) {
      const r = await readFile(join(dir, id, 'report.json'), 'utf8').then((t) => JSON.parse(t) as DrillReport).catch(() => undefined);
      if (r) out.push(summary(r));
    }
    return out;
  }

  async report(lab: string, id: string, format: 'json' | 'md' | 'html'): Promise<{ text: string; report?: DrillReport }> {
    const file = join(labRef(lab).dir, 'reports', id, `report.${format}`);
    const text = await readFile(file, 'utf8').catch(() => {
      throw new BackendError(`There is no report ${id} for ${lab}.`, 'not-found');
    });
    return { text, report: format === 'json' ? (JSON.parse(text) as DrillReport) : undefined };
  }

  /** Stop every monitor and cancel running tasks (app shutdown). */
  async close(): Promise<void> {
    for (const t of this.tasks.values()) if (t.state === 'running') t.controller.abort();
    await Promise.all([...this.monitors.keys()].map((l) => this.stopMonitor(l)));
  }
}
