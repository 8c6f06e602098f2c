/**
 * The composition root of the backend: one object that answers every IPC
 * request, whatever the transport (Electron IPC or web mode). Payloads are
 * validated here against the contract before any handler sees them.
 */
import { platform } from 'node:os';
import { isRequestChannel, requestSchemas, type IpcResult } from '../shared/ipc/contract';
import { hostMemoryMiB } from './blueprint-files';
import { EventBus } from './events';
import { BackendError, type Dialogs, type HandlerMap } from './handler-types';
import { blueprintHandlers } from './handlers/blueprint';
import { fileHandlers } from './handlers/files';
import { hostHandlers } from './handlers/host';
import { labHandlers } from './handlers/labs';
import { reportHandlers } from './handlers/report';
import { LabService } from './lab-service';
import { defaultDataDir, SettingsStore } from './settings-store';
import { checkHostSettings, type HostValues } from '../lab/host-settings';
import { msg, render, type Message } from '../shared/i18n';
import { messageOf } from '../shared/i18n/message-error';

const FIELD_NAMES: Record<string, Message> = { vmrunPath: msg('be.field.vmrunPath'), sshUser: msg('be.field.sshUser'), labsDir: msg('be.field.labsDir'), vmwareEtcDir: msg('be.field.vmwareEtcDir') };

/** `settings:set` saves no host value whose check is an error (`invalid-setting`, naming the field and what to do). */
async function refuseBadHostValues(patch: HostValues, dataDir: string): Promise<void> {
  const only = (['vmrunPath', 'templates', 'sshUser', 'labsDir', 'vmwareEtcDir'] as const).filter((k) => patch[k] !== undefined && patch[k] !== null);
  if (!only.length) return;
  const check = await checkHostSettings(patch, { dataDir, only });
  const bad = check.fields.find((f) => f.level === 'error');
  if (!bad) return;
  const name = bad.field.startsWith('template:') ? msg('be.field.template', { os: bad.field.slice('template:'.length) }) : (FIELD_NAMES[bad.field] ?? bad.field);
  const title = bad.titleMsg ?? bad.title;
  const detail = bad.detailMsg ?? bad.detail;
  const fix = bad.fixMsg ?? bad.fix;
  throw new BackendError(fix ? msg('be.notSavedFix', { name, title, detail, fix }) : msg('be.notSaved', { name, title, detail }), 'invalid-setting');
}

export interface BackendOptions {
  mode: 'desktop' | 'web';
  version: string;
  /** Folder for settings and recent files. */
  dataDir?: string;
  /** Native dialogs (desktop only). */
  dialogs?: Dialogs;
}

export interface Backend {
  readonly events: EventBus;
  /** Stop monitors and cancel running tasks. */
  close(): Promise<void>;
  /** Validate and dispatch one request. Never throws: errors come back as `{ ok: false }`. */
  invoke(channel: string, payload: unknown): Promise<IpcResult<unknown>>;
}

export function createBackend(opts: BackendOptions): Backend {
  const events = new EventBus();
  const dataDir = opts.dataDir ?? defaultDataDir();
  const settings = new SettingsStore(dataDir);
  const labs = new LabService(events, { dataDir });
  const handlers: HandlerMap = {
    'app:info': async () => ({
      version: opts.version,
      mode: opts.mode,
      platform: platform(),
      hostMemoryMiB: hostMemoryMiB(),
      features: { provision: true, dashboard: true, drills: true },
    }),
    ...blueprintHandlers,
    ...fileHandlers(settings, opts.dialogs),
    ...labHandlers(labs),
    ...hostHandlers({ dataDir, labs, events }),
    ...reportHandlers({ dataDir, version: opts.version }),
    'settings:get': () => settings.get(),
    'settings:set': async (patch) => {
      await refuseBadHostValues(patch, dataDir);
      return settings.set(patch);
    },
  };

  async function invoke(channel: string, payload: unknown): Promise<IpcResult<unknown>> {
    if (!isRequestChannel(channel)) {
      const m = msg('be.unknownChannel', { channel });
      return { ok: false, error: { name: 'IpcError', code: 'unknown-channel', message: render('en', m), msg: m } };
    }
    const parsed = requestSchemas[channel].safeParse(payload ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          name: 'IpcError',
          code: 'invalid-payload',
          message: render('en', msg('be.invalidPayload', { channel })),
          msg: msg('be.invalidPayload', { channel }),
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(payload)', message: i.message })),
        },
      };
    }
    try {
      const handler = handlers[channel] as (p: unknown) => Promise<unknown>;
      return { ok: true, data: await handler(parsed.data) };
    } catch (e) {
      const err = e as Error;
      // A catalog message (BackendError, MessageError, a step's error) crosses as `msg`; the renderer shows it in its language.
      const m = messageOf(e);
      return { ok: false, error: { name: err.name || 'Error', code: e instanceof BackendError ? e.code : 'internal', message: err.message, ...(m ? { msg: m } : {}) } };
    }
  }

  return { events, invoke, close: () => labs.close() };
}
