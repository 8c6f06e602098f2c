/**
 * Labs for the UI: provisioning and drills as tasks (id, title, progress,
 * current step, cancel), and one live monitor per lab. Everything is
 * reported on the event bus; the same services back the CLI.
 *
 * A lab's monitor and its SSH pool are shared: the dashboard watching it
 * and a drill running on it use the same ones (a drill started while the
 * dashboard watches reuses them; otherwise it opens them and closes them
 * when it ends, unless the dashboard started watching meanwhile).
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDrill, type DrillOutcome } from '../drills/runner';
import { renderHtmlReport, renderMarkdownReport } from '../drills/report-render';
import { createHypervisor } from '../hypervisor/factory';
import type { ProviderKind } from '../hypervisor/types';
import { readHostSettings, type HostSettings } from '../lab/host-settings';
import { labRef } from '../lab/lab-home';
import { factoryOptions, labHome, openLab, openLabTarget, refuseRootForVmware, type LabRuntime } from '../lab/runtime';
import { LabMonitor } from '../monitor/lab-monitor';
import { SharedMonitors, type SharedMonitor } from '../monitor/shared-monitors';
import type { ApplyResult } from '../provision/engine';
import { buildStepsCount, down, status, up, type LabStatus } from '../provision/provisioner';
import { grafanaRuns } from '../provision/grafana-steps';
import type { ResolvedLab } from '../shared/blueprint/model';
import type { DrillName } from '../shared/blueprint/schema';
import type { DrillReport } from '../shared/drills/report';
import type { DrillReportSummary, LabStatusResult, TaskInfo } from '../shared/ipc/contract';
import type { EventBus } from './events';
import { BackendError } from './handler-types';
import { msg, render, type Lang, type Message } from '../shared/i18n';
import { MessageError, messageOf } from '../shared/i18n/message-error';
import { joinMessages } from '../shared/i18n/message-list';

interface Task extends TaskInfo {
  controller: AbortController;
  /** Settles when the task has ended (never rejects). */
  ended: Promise<void>;
  /** What the work returned (`up`: the apply result; `drill`: the report and its folder). */
  result?: unknown;
}

/** How a task ended, for callers in this process (the CLI). */
export interface TaskOutcome<R = unknown> {
  info: TaskInfo;
  result?: R;
}

export interface LabServiceOptions {
  /** Folder of `settings.json` (host settings are read afresh for every operation). */
  dataDir?: string;
  /** Effective user id for the root rule (default: this process'; tests set it). */
  uid?: number;
}

export interface UpRequest {
  provider?: ProviderKind;
  stage?: 'vms' | 'all';
  /** The user said yes to changing the host's vmnet8 to the blueprint's NAT subnet (restored by `down`). */
  reconfigureVmnet8?: boolean;
  concurrency?: number;
  /** The blueprint file, recorded in the lab's state. */
  blueprintFile?: string;
}

/** Poll intervals of the shared monitor: the drills' (a VIP member every 250 ms, a probe through the VIP every 250 ms). */
const MONITOR_INTERVALS = { vip: 250, probe: 250, replication: 1000, nodes: 3000, alerts: 5000 };

const summary = (r: DrillReport): DrillReportSummary => ({ id: r.id, drill: r.drill, title: r.title, verdict: r.verdict, startedAt: r.startedAt, verdictText: r.verdictText, ...(r.titleMsg ? { titleMsg: r.titleMsg } : {}), ...(r.verdictMsg ? { verdictMsg: r.verdictMsg } : {}) });
const info = (t: Task): TaskInfo => {
  const { controller: _c, ended: _e, result: _r, ...rest } = t;
  return rest;
};

export class LabService {
  private readonly tasks = new Map<string, Task>();
  private readonly monitors: SharedMonitors<LabRuntime>;

  constructor(
    private readonly events: EventBus,
    private readonly o: LabServiceOptions = {},
  ) {
    this.monitors = new SharedMonitors<LabRuntime>({ snapshot: (s) => this.events.emit('monitor:state', s), delta: (d) => this.events.emit('monitor:delta', d) });
  }

  /** Host settings in force now (the file may have changed since the last operation). */
  settings(): Promise<HostSettings> {
    return readHostSettings({ dataDir: this.o.dataDir });
  }

  private update(t: Task, patch: Partial<TaskInfo>): void {
    Object.assign(t, patch);
    this.events.emit('task:update', info(t));
  }

  private busy(lab: string): Task | undefined {
    return [...this.tasks.values()].find((t) => t.lab === lab && t.state === 'running');
  }

  /** Start a task; refuse a second one on the same lab. */
  private start(kind: TaskInfo['kind'], lab: string, title: string | Message, work: (t: Task) => Promise<unknown>, extra: Partial<TaskInfo> = {}): string {
    const running = this.busy(lab);
    if (running) throw new BackendError(msg('be.busy', { task: running.titleMsg ?? running.title, lab }), 'busy');
    const titleText = typeof title === 'string' ? { title } : { title: render('en', title), titleMsg: title };
    const t = { id: randomUUID(), ...titleText, kind, lab, state: 'running', progress: 0, ...extra, controller: new AbortController() } as Task;
    this.tasks.set(t.id, t);
    this.update(t, {});
    t.ended = work(t)
      .then((result) => {
        if (result !== undefined) t.result = result;
        if (t.state === 'running') this.update(t, { state: t.controller.signal.aborted ? 'canceled' : 'done', progress: 1 });
      })
      .catch((e: unknown) => {
        const errorMsg = messageOf(e);
        if (t.state === 'running') this.update(t, { state: t.controller.signal.aborted ? 'canceled' : 'failed', error: (e as Error).message, ...(errorMsg ? { errorMsg } : {}) });
      });
    return t.id;
  }

  /**
   * Run work that is not a lab operation (`template:create`) as a task: the
   * same `task:update` events, `task:cancel` and `wait`. A second task with
   * the same `key` is refused while the first runs.
   */
  runTask(kind: TaskInfo['kind'], key: string, title: string | Message, work: (signal: AbortSignal, report: (patch: Pick<Partial<TaskInfo>, 'progress' | 'step' | 'stepMsg'>) => void) => Promise<unknown>): string {
    return this.start(kind, key, title, (t) => work(t.controller.signal, (patch) => this.update(t, patch)));
  }

  /** Wait for a task to end: its final info and what its work returned. */
  async wait<R = unknown>(id: string): Promise<TaskOutcome<R>> {
    const t = this.tasks.get(id);
    if (!t) throw new BackendError(msg('be.noTask', { id }), 'not-found');
    await t.ended;
    return { info: info(t), result: t.result as R | undefined };
  }

  /** The VMs of a lab on its provider (the provider asked for, else the lab's). Null when the lab is not up here and no provider is asked for. */
  async labStatus(r: ResolvedLab, provider?: ProviderKind): Promise<LabStatus | null> {
    const settings = await this.settings();
    const { state } = await labHome(r.name, settings);
    if (!state && !provider) return null;
    const target = await openLabTarget(r, { provider, settings });
    return status({ hv: target.hv, lab: target.lab, resolved: r });
  }

  async status(r: ResolvedLab): Promise<LabStatusResult> {
    const settings = await this.settings();
    const { lab, state } = await labHome(r.name, settings);
    const providers = await Promise.all(
      (['vmware', 'linux', 'incus'] as const).map(async (kind) => {
        const u = await createHypervisor(kind, factoryOptions(settings)).checkUsable();
        return { kind, usable: u.usable, reason: u.reason, fix: u.fix, reasonMsg: u.reasonMsg, fixMsg: u.fixMsg };
      }),
    );
    if (!state) return { lab: r.name, provider: null, vms: r.nodes.map((n) => ({ name: n.hostname, state: 'absent', addresses: [] })), providers };
    const st = await status({ hv: createHypervisor(state.provider, factoryOptions(settings)), lab, resolved: r });
    return { lab: r.name, provider: state.provider, vms: st.vms.map(({ name, state: s, addresses }) => ({ name, state: s, addresses })), providers };
  }

  /** Provision a lab (a task). Its result is the apply result. */
  up(r: ResolvedLab, o: UpRequest = {}): string {
    const stage = o.stage ?? 'all';
    let total = buildStepsCount(r, stage, o.provider);
    return this.start('up', r.name, msg('prov.task.up', { lab: r.name }), async (t): Promise<ApplyResult> => {
      const settings = await this.settings();
      const target = await openLabTarget(r, { provider: o.provider, settings });
      total = buildStepsCount(r, stage, target.hv.kind);
      refuseRootForVmware(target.hv.kind, { uid: this.o.uid });
      this.update(t, { provider: target.hv.kind });
      let done = 0;
      const titles = new Map<string, Message>();
      const result = await up({
        hv: target.hv,
        lab: target.lab,
        resolved: r,
        stage,
        concurrency: o.concurrency,
        signal: t.controller.signal,
        templates: settings.templates,
        sshUser: target.sshUser,
        blueprintFile: o.blueprintFile,
        reconfigureVmnet8: o.reconfigureVmnet8,
        usableChecked: true,
        onEvent: (e) => {
          const text = e.type === 'start' ? e.title : e.type === 'log' ? e.line : e.type === 'done' ? (e.changed ? 'changed' : 'no change') : e.type === 'failed' ? e.error : e.reason;
          const m =
            e.type === 'start' ? e.titleMsg : e.type === 'log' ? e.lineMsg : e.type === 'done' ? msg(e.changed ? 'prov.done.changed' : 'prov.done.unchanged') : e.type === 'failed' ? e.errorMsg : e.reasonMsg;
          if ((e.type === 'start' || e.type === 'skipped') && e.titleMsg) titles.set(e.step, e.titleMsg);
          const titleMsg = e.type === 'done' || e.type === 'failed' || e.type === 'skipped' ? titles.get(e.step) : undefined;
          this.events.emit('lab:step', { taskId: t.id, type: e.type, step: e.step, vm: e.vm, text, at: e.at, ...(e.type === 'done' ? { changed: e.changed, ms: e.ms } : {}), ...(m ? { msg: m } : {}), ...(titleMsg ? { titleMsg } : {}) });
          if (e.type === 'done' || e.type === 'failed' || e.type === 'skipped') this.update(t, { progress: ++done / total, step: e.step, stepMsg: titles.get(e.step) });
          else if (e.type === 'start') this.update(t, { step: e.title, stepMsg: e.titleMsg });
        },
      });
      t.result = result;
      if (result.canceled) this.update(t, { state: 'canceled' });
      else if (!result.ok) {
        if (!result.failed.length) throw new MessageError(msg('prov.err.incomplete'));
        // English as before (step id: error); the message names each step by its title, in the reader's language.
        const error = result.failed.map((f) => `${f.step}: ${f.error}`).join('\n');
        const lines = result.failed.map((f) => msg('prov.err.stepFailed', { step: titles.get(f.step) ?? f.step, error: f.errorMsg ?? f.error }));
        throw Object.assign(new Error(error), { msg: msg('prov.err.stepsFailed', { list: joinMessages(lines, 'lines') }) });
      }
      return result;
    });
  }

  /** Destroy a lab (a task); each removal is a `lab:step` log line. */
  down(r: ResolvedLab, o: { provider?: ProviderKind } = {}): string {
    return this.start('down', r.name, msg('prov.task.down', { lab: r.name }), async (t) => {
      await this.monitors.close(r.name);
      const target = await openLabTarget(r, { provider: o.provider, settings: await this.settings() });
      this.update(t, { provider: target.hv.kind });
      await down({
        hv: target.hv,
        lab: target.lab,
        resolved: r,
        signal: t.controller.signal,
        log: (line) => this.events.emit('lab:step', { taskId: t.id, type: 'log', step: 'down', text: line, at: Date.now() }),
        logMsg: (m) => this.events.emit('lab:step', { taskId: t.id, type: 'log', step: 'down', text: render('en', m), msg: m, at: Date.now() }),
      });
    });
  }

  /** Run a drill (a task) with the lab's shared monitor and SSH pool; progress lines are the task's `step`. Its result is the report and its folder. */
  /** `lang`: the language of the report.md/report.html written beside report.json (default English). */
  drill(r: ResolvedLab, drill: DrillName, o: { provider?: ProviderKind; forcePromotion?: boolean; lang?: Lang } = {}): string {
    return this.start('drill', r.name, msg('prov.task.drill', { lab: r.name, drill }), async (t): Promise<DrillOutcome> => {
      const user = `drill:${t.id}`;
      const w = await this.acquire(r, user, o.provider, false);
      try {
        this.update(t, { provider: w.runtime.hv.kind });
        const outcome = await runDrill({
          hv: w.runtime.hv,
          lab: w.runtime.lab,
          resolved: r,
          drill,
          ctx: w.runtime.ctx,
          pool: w.runtime.pool,
          monitor: w.monitor,
          signal: t.controller.signal,
          onProgress: (line, lineMsg) => this.update(t, { step: line, stepMsg: lineMsg }),
          forcePromotion: o.forcePromotion,
          lang: o.lang,
        });
        t.result = outcome;
        this.events.emit('drill:finished', { taskId: t.id, lab: r.name, summary: summary(outcome.report) });
        if (outcome.report.verdict === 'error') throw outcome.report.verdictMsg ? new MessageError(outcome.report.verdictMsg) : new Error(outcome.report.verdictText);
        return outcome;
      } finally {
        await this.release(r.name, user);
      }
    }, { drill });
  }

  cancel(id: string): boolean {
    const t = this.tasks.get(id);
    if (!t || t.state !== 'running') return false;
    t.controller.abort();
    return true;
  }

  list(): TaskInfo[] {
    return [...this.tasks.values()].map(info);
  }

  /**
   * The lab's shared monitor for `user`, opened (and started) by its first
   * user. `requireUp`: refuse, saying so, when the lab was never brought up here.
   */
  private acquire(r: ResolvedLab, user: string, provider: ProviderKind | undefined, requireUp: boolean): Promise<SharedMonitor<LabRuntime>> {
    return this.monitors.acquire(r.name, user, async () => {
      const settings = await this.settings();
      if (requireUp) {
        const { state } = await labHome(r.name, settings);
        if (!state && !provider) throw new BackendError(msg('be.notUp', { lab: r.name }), 'not-up');
      }
      const runtime = await openLab(r, { provider, settings });
      const monitor = new LabMonitor({ ctx: runtime.ctx, pool: runtime.pool, eventsFile: join(runtime.lab.dir, 'events.jsonl'), intervals: MONITOR_INTERVALS, grafana: await grafanaRuns(runtime.lab, runtime.ctx) });
      return { runtime, monitor, close: () => runtime.pool.closeAll() };
    });
  }

  private release(lab: string, user: string): Promise<boolean> {
    return this.monitors.release(lab, user);
  }

  /** Watch a lab (the dashboard, `halab watch`): one `monitor:state` snapshot now, `monitor:delta`s after. Idempotent; each call sends a fresh snapshot. */
  async startMonitor(r: ResolvedLab, o: { provider?: ProviderKind } = {}): Promise<void> {
    const w = await this.acquire(r, 'dashboard', o.provider, true);
    w.publisher.snapshot();
  }

  /** Stop watching a lab; its monitor keeps running while a drill uses it. */
  async stopMonitor(lab: string): Promise<boolean> {
    return this.release(lab, 'dashboard');
  }

  /** The shared monitor of a lab, when one runs. */
  async monitorOf(lab: string): Promise<LabMonitor | undefined> {
    return (await this.monitors.get(lab))?.monitor;
  }

  async reports(lab: string): Promise<DrillReportSummary[]> {
    const dir = join(labRef(lab, (await this.settings()).labsDir).dir, 'reports');
    const ids = await readdir(dir).catch(() => [] as string[]);
    const out: DrillReportSummary[] = [];
    for (const id of ids.sort().reverse()) {
      const r = await readFile(join(dir, id, 'report.json'), 'utf8').then((t) => JSON.parse(t) as DrillReport).catch(() => undefined);
      if (r) out.push(summary(r));
    }
    return out;
  }

  async report(lab: string, id: string, format: 'json' | 'md' | 'html', lang?: Lang): Promise<{ text: string; report?: DrillReport }> {
    const dir = join(labRef(lab, (await this.settings()).labsDir).dir, 'reports', id);
    const read = (name: string) =>
      readFile(join(dir, name), 'utf8').catch(() => {
        throw new BackendError(msg('be.noReport', { id, lab }), 'not-found');
      });
    if (lang && format !== 'json') {
      // Rendered again in the reader's language from report.json (codes and arguments), with the topology picture in that language.
      const r = JSON.parse(await read('report.json')) as DrillReport;
      const topologySvg = await readFile(join(dir, `topology.${lang}.svg`), 'utf8').catch(() => undefined);
      return { text: format === 'md' ? renderMarkdownReport(r, { lang, topologySvg }) : renderHtmlReport(r, { lang, topologySvg }) };
    }
    const text = await read(`report.${format}`);
    return { text, report: format === 'json' ? (JSON.parse(text) as DrillReport) : undefined };
  }

  /** Stop every monitor and cancel running tasks (app shutdown). */
  async close(): Promise<void> {
    for (const t of this.tasks.values()) if (t.state === 'running') t.controller.abort();
    await this.monitors.closeAll();
  }
}
