/**
 * `halab up | down | status FILE`: provision, destroy and inspect a lab.
 * Same code path as the window and web mode: the commands start tasks on
 * the backend's `LabService` (host settings, hypervisor choice, task
 * manager) and print what arrives on its event bus.
 */
import { EventBus } from '../../backend/events';
import { LabService, type TaskOutcome } from '../../backend/lab-service';
import { defaultDataDir } from '../../backend/settings-store';
import type { ProviderKind } from '../../hypervisor/types';
import { labHome } from '../../lab/runtime';
import type { ApplyResult, StepEvent } from '../../provision/engine';
import { buildStepsCount } from '../../provision/provisioner';
import type { ResolvedLab } from '../../shared/blueprint/model';
import type { EventPayloads } from '../../shared/ipc/contract';
import { msg, type Message } from '../../shared/i18n';
import { MessageError } from '../../shared/i18n/message-error';
import { say, sayMessage } from '../lang';
import { EXIT, style, table, UsageError } from '../output';
import { progressPrinter } from '../progress';
import { loadAndValidate, providerFlag, reportIssues } from './blueprint';

export { providerFlag };

/** The backend's lab service for this process, with the settings the window and web mode use. */
export function cliLabService(): { labs: LabService; events: EventBus } {
  const events = new EventBus();
  return { labs: new LabService(events, { dataDir: defaultDataDir() }), events };
}

/** The blueprint's resolved lab, or the exit code when it is invalid. Validate with the provider's own rules as errors when one is given (else warnings for both). */
export async function loadLab(file: string | undefined, provider?: ProviderKind): Promise<{ code: number; resolved?: ResolvedLab }> {
  const l = await loadAndValidate(file, provider);
  const code = reportIssues(l);
  return { code, resolved: l.result.resolved };
}

/** Wait for a task; Ctrl-C (the signal) cancels it, like the window's Cancel button. */
export async function followTask<R>(labs: LabService, id: string, signal: AbortSignal): Promise<TaskOutcome<R>> {
  const cancel = () => labs.cancel(id);
  if (signal.aborted) cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    return await labs.wait<R>(id);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** A `lab:step` event back to the engine's step event (what `progressPrinter` prints). */
export function stepEventOf(p: EventPayloads['lab:step']): StepEvent {
  const base = { step: p.step, vm: p.vm };
  switch (p.type) {
    case 'start':
      return { type: 'start', ...base, title: p.text, ...(p.msg ? { titleMsg: p.msg } : {}), at: p.at };
    case 'log':
      return { type: 'log', ...base, line: p.text, ...(p.msg ? { lineMsg: p.msg } : {}), at: p.at };
    case 'done':
      return { type: 'done', ...base, changed: p.changed ?? p.text === 'changed', ms: p.ms ?? 0, at: p.at };
    case 'failed':
      return { type: 'failed', ...base, error: p.text, ...(p.msg ? { errorMsg: p.msg } : {}), at: p.at };
    case 'skipped':
      return { type: 'skipped', ...base, reason: p.text, ...(p.msg ? { reasonMsg: p.msg } : {}), ...(p.titleMsg ? { titleMsg: p.titleMsg } : {}), at: p.at };
  }
}

/** A task's error as thrown to main.ts (which prints it in the run's language): its catalog message when it has one. */
export function taskError(info: { error?: string; errorMsg?: Message }, fallback: Message): Error {
  if (info.errorMsg) return Object.assign(new Error(info.error ?? ''), { msg: info.errorMsg });
  return info.error ? new Error(info.error) : new MessageError(fallback);
}

/** A power state in the run's language. */
export function powerWord(state: string): string {
  const known = ['running', 'off', 'absent', 'suspended'] as const;
  const k = known.find((x) => x === state);
  return say(k ? (`out.power.${k}` as const) : 'out.power.unknown');
}

/** The lab's folder and state under the labs folder setting. */
async function home(labs: LabService, resolved: ResolvedLab) {
  return labHome(resolved.name, await labs.settings());
}

/** One task's events on the bus: the provider it runs on (reported once), and its step events. */
function followEvents(events: EventBus, onProvider: (provider: string) => void, onStep: (s: EventPayloads['lab:step']) => void) {
  let taskId: string | undefined;
  let announced = false;
  const off = events.subscribe((channel, payload) => {
    if (channel === 'task:update') {
      const t = payload as EventPayloads['task:update'];
      if (t.id === taskId && t.provider && !announced) {
        announced = true;
        onProvider(t.provider);
      }
    } else if (channel === 'lab:step') {
      const s = payload as EventPayloads['lab:step'];
      if (s.taskId === taskId) onStep(s);
    }
  });
  return { track: (id: string) => (taskId = id), off };
}

export async function upCommand(
  file: string | undefined,
  flags: { provider?: string; stage?: string; concurrency?: string; verbose?: boolean; json?: boolean; 'reconfigure-vmnet8'?: boolean },
  signal: AbortSignal,
): Promise<number> {
  const stage = flags.stage ?? 'all';
  if (stage !== 'vms' && stage !== 'all') throw new UsageError(say('out.up.stageFlag', { value: stage }));
  const concurrency = flags.concurrency === undefined ? 4 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new UsageError(say('out.up.concurrencyFlag', { value: String(flags.concurrency) }));
  const provider = providerFlag(flags.provider);
  const { code, resolved } = await loadLab(file, provider);
  if (!resolved) return code;
  const { labs, events } = cliLabService();
  const { lab } = await home(labs, resolved);
  let total = buildStepsCount(resolved, stage, provider);
  const print = progressPrinter(() => total, flags);
  const task = followEvents(
    events,
    (p) => {
      total = buildStepsCount(resolved, stage, p);
      if (!flags.json) process.stderr.write(`${say('out.up.bringing', { lab: lab.id, provider: p, vms: resolved.nodes.length, stage: msg(stage === 'vms' ? 'out.up.stageVms' : 'out.up.stageAll'), dir: lab.dir })}\n`);
    },
    (s) => print(stepEventOf(s)),
  );
  try {
    const taskId = task.track(labs.up(resolved, { provider, stage, concurrency, reconfigureVmnet8: flags['reconfigure-vmnet8'], blueprintFile: file }));
    const { info, result } = await followTask<ApplyResult>(labs, taskId, signal);
    if (!result) {
      if (info.state === 'canceled') {
        process.stderr.write(`${say('out.up.canceledEarly')}\n`);
        return EXIT.failed;
      }
      throw taskError(info, msg('out.up.notStarted'));
    }
    const summary = say('out.up.summary', { changed: result.changed.length, unchanged: result.unchanged.length, failed: result.failed.length, skipped: result.skipped.length, seconds: (result.ms / 1000).toFixed(1) });
    if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else if (result.canceled) process.stderr.write(`${say('out.up.canceled', { summary })}\n`);
    else if (result.ok) process.stderr.write(`${style.green(say('out.up.ok'), process.stderr)}: ${summary}.\n`);
    else process.stderr.write(`${style.red(say('out.up.incomplete'))}: ${summary}. ${say('out.up.incompleteHint')}\n`);
    return result.ok ? EXIT.ok : EXIT.failed;
  } finally {
    task.off();
    await labs.close();
  }
}

export async function downCommand(file: string | undefined, flags: { provider?: string }, signal: AbortSignal): Promise<number> {
  const provider = providerFlag(flags.provider);
  const { code, resolved } = await loadLab(file, provider);
  if (!resolved) return code;
  const { labs, events } = cliLabService();
  const { lab, state } = await home(labs, resolved);
  if (!state && !provider) {
    process.stderr.write(`${say('out.down.nothing', { lab: lab.id, dir: lab.dir })}\n`);
    return EXIT.ok;
  }
  const task = followEvents(
    events,
    (p) => process.stderr.write(`${say('out.down.destroying', { lab: lab.id, provider: p })}\n`),
    (s) => process.stderr.write(`  ${s.msg ? sayMessage(s.msg) : s.text}\n`),
  );
  try {
    const taskId = task.track(labs.down(resolved, { provider }));
    const { info } = await followTask(labs, taskId, signal);
    if (info.state === 'canceled') {
      process.stderr.write(`${say('out.down.canceled', { lab: lab.id })}\n`);
      return EXIT.failed;
    }
    if (info.state !== 'done') throw taskError(info, msg('out.down.failed'));
    process.stderr.write(`${say('out.down.done', { lab: lab.id, dir: lab.dir })}\n`);
    return EXIT.ok;
  } finally {
    task.off();
    await labs.close();
  }
}

export async function statusCommand(file: string | undefined, flags: { provider?: string; json?: boolean }): Promise<number> {
  const provider = providerFlag(flags.provider);
  const { code, resolved } = await loadLab(file, provider);
  if (!resolved) return code;
  const { labs } = cliLabService();
  const st = await labs.labStatus(resolved, provider);
  if (!st) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ lab: resolved.name, provider: null, vms: resolved.nodes.map((n) => ({ name: n.hostname, state: 'absent', addresses: [], expected: true })) }, null, 2)}\n`);
    else process.stdout.write(`${say('out.status.notUp', { lab: resolved.name })}\n`);
    return EXIT.ok;
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
  else {
    const header = [say('out.status.colVm'), say('out.status.colState'), say('out.status.colAddresses'), ''];
    const rows = st.vms.map((v) => [v.name, powerWord(v.state), v.addresses.join(', ') || '-', v.expected ? '' : say('out.status.notInBlueprint')]);
    process.stdout.write(`${say('out.status.header', { lab: st.lab, provider: st.provider })}\n${table(header, rows)}\n`);
  }
  return EXIT.ok;
}

/** The refusal `drill` and `watch` give for a lab that is not up (unless a provider is named). */
export async function requireUp(labs: LabService, resolved: ResolvedLab, file: string | undefined, provider: ProviderKind | undefined): Promise<boolean> {
  const { state } = await home(labs, resolved);
  if (state || provider) return true;
  process.stderr.write(`${say('out.notUp', { lab: resolved.name, file: file ?? 'FILE' })}\n`);
  return false;
}
