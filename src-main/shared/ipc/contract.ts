/**
 * The one IPC contract between the renderer and the backend, for both
 * transports (Electron IPC and web mode's HTTP + WebSocket).
 *
 * - Requests are `domain:verb` channels. Each has a zod schema for its
 *   payload, checked in the backend before any handler runs (the renderer is
 *   untrusted), and a TypeScript result type.
 * - Events flow from the backend to the renderer on event channels.
 * - Results cross as `{ ok: true, data }` or `{ ok: false, error }`.
 *
 * Browser-safe: the renderer imports the types and channel names from here.
 */
import { z } from 'zod';
import type { Issue } from '../blueprint/issues';
import type { Message } from '../i18n';
import type { LabPlan } from '../blueprint/plan';
import { DRILLS } from '../blueprint/schema';
import type { DrillReport } from '../drills/report';
import type { DashboardState, MonitorDelta } from '../monitor/types';

const MAX_TEXT = 4 * 1024 * 1024;
const blueprintText = z.string().max(MAX_TEXT, 'The blueprint is larger than 4 MiB.');
const empty = z.strictObject({});

/** Payload schemas, one per request channel. */
export const requestSchemas = {
  'app:info': empty,
  /** `provider`: its rules are errors, the other provider's warnings (both warnings without one). */
  'blueprint:validate': z.strictObject({ text: blueprintText, provider: z.enum(['vmware', 'linux', 'incus']).optional() }),
  'blueprint:plan': z.strictObject({ text: blueprintText, provider: z.enum(['vmware', 'linux', 'incus']).optional() }),
  'blueprint:export': z.strictObject({ text: blueprintText, format: z.enum(['yaml', 'json']) }),
  /** `format` svg: the topology picture (with `lang`'s words) beside the Mermaid text. */
  'blueprint:graph': z.strictObject({ text: blueprintText, format: z.enum(['mermaid', 'svg']).optional(), lang: z.enum(['en', 'ko']).optional() }),
  'blueprint:list-shipped': empty,
  'blueprint:read-shipped': z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,64}$/) }),
  /** Desktop: native open dialog. Web: not available (the renderer uploads). */
  'file:open': z.strictObject({ path: z.string().max(4096).optional() }),
  /** Desktop: write to `path` (or ask with a save dialog). Web: not available (the renderer downloads). */
  'file:save': z.strictObject({ path: z.string().max(4096).optional(), text: blueprintText, suggestedName: z.string().max(255).optional() }),
  'file:recent': empty,
  /** Is the blueprint's lab up on this computer, and on which provider? */
  'lab:status': z.strictObject({ text: blueprintText }),
  /** Start provisioning (a task; progress arrives as `task:update` and `lab:step` events). */
  /** `reconfigureVmnet8`: the user said yes to changing the host's vmnet8 to the blueprint's NAT subnet (restored by `lab:down`). */
  'lab:up': z.strictObject({ text: blueprintText, provider: z.enum(['vmware', 'linux', 'incus']).optional(), stage: z.enum(['vms', 'all']).optional(), reconfigureVmnet8: z.boolean().optional() }),
  'lab:down': z.strictObject({ text: blueprintText }),
  'task:cancel': z.strictObject({ id: z.string().max(64) }),
  'task:list': empty,
  /** Start watching a running lab: one `monitor:state` snapshot (again on every call), then `monitor:delta`s. */
  'monitor:start': z.strictObject({ text: blueprintText }),
  'monitor:stop': z.strictObject({ lab: z.string().max(64) }),
  /** Run a drill (a task); the report arrives with `drill:finished`. */
  /** `forcePromotion`: db-primary-down promotes even when acknowledged rows would be lost (`halab drill --force-promotion`). `lang`: the language of the report.md/report.html written beside report.json (`halab drill --lang`). */
  'drill:run': z.strictObject({ text: blueprintText, drill: z.enum(DRILLS), forcePromotion: z.boolean().optional(), lang: z.enum(['en', 'ko']).optional() }),
  'drill:reports': z.strictObject({ lab: z.string().regex(/^[a-z0-9-]{1,63}$/) }),
  /** `lang`: Markdown/HTML rendered again from report.json in that language (else the files as the drill wrote them). */
  'drill:report': z.strictObject({ lab: z.string().regex(/^[a-z0-9-]{1,63}$/), id: z.string().regex(/^[A-Za-z0-9-]{1,100}$/), format: z.enum(['json', 'md', 'html']), lang: z.enum(['en', 'ko']).optional() }),
  'settings:get': empty,
  /** Save settings. Host values are checked first; a bad one is refused with `invalid-setting` naming the field. `null` clears a value (back to auto-discovery or the default). */
  'settings:set': z.strictObject({
    theme: z.enum(['light', 'dark', 'system']).optional(),
    language: z.enum(['en', 'ko']).optional(),
    vmrunPath: z.string().max(4096).nullable().optional(),
    /** OS name (e.g. `ubuntu-22.04`) → template `.vmx`; replaces the whole map. */
    templates: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/), z.string().min(1).max(4096)).optional(),
    sshUser: z.string().max(32).nullable().optional(),
    labsDir: z.string().max(4096).nullable().optional(),
    vmwareEtcDir: z.string().max(4096).nullable().optional(),
  }),
  /** Check host values as they are typed (nothing is saved): one line per field, and vmrun's version. */
  'settings:check': z.strictObject({
    vmrunPath: z.string().max(4096).nullable().optional(),
    templates: z.record(z.string().max(64), z.string().max(4096)).optional(),
    sshUser: z.string().max(64).nullable().optional(),
    labsDir: z.string().max(4096).nullable().optional(),
    vmwareEtcDir: z.string().max(4096).nullable().optional(),
  }),
  /** Desktop: a native file/folder picker. Web: `not-available` (the renderer shows a path field). */
  'file:pick': z.strictObject({ purpose: z.enum(['template-vmx', 'ova', 'folder', 'vmrun']) }),
  /** `halab doctor`: every check, one line each. `text` adds the blueprint's checks (templates, RAM, vmnet8). */
  'doctor:run': z.strictObject({ text: blueprintText.optional(), provider: z.enum(['vmware', 'linux', 'incus']).optional(), quick: z.boolean().optional() }),
  /** What `up` would meet on this host before anything runs (e.g. the host's vmnet8 subnet against the blueprint's). */
  'lab:preflight': z.strictObject({ text: blueprintText, provider: z.enum(['vmware', 'linux', 'incus']).optional() }),
  /** `halab template create` as a task. `from`: a local .ova file or an http(s) URL; default: Ubuntu's cloud image URL. */
  'template:create': z.strictObject({ os: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/), from: z.string().max(4096).optional() }),
  /** `halab report`: the document a student hands in (topology, plan, last provisioning, every drill report), in `lang`; PDF through headless Chromium. */
  'report:handIn': z.strictObject({ text: blueprintText, lang: z.enum(['en', 'ko']), format: z.enum(['html', 'md', 'pdf']), fileName: z.string().max(255).optional() }),
} as const;

export type RequestChannel = keyof typeof requestSchemas;
export type RequestPayload<C extends RequestChannel> = z.input<(typeof requestSchemas)[C]>;

export interface ValidateResult {
  ok: boolean;
  issues: Issue[];
  summary?: { vms: number; networks: number; vips: string[] };
}

export interface AppInfo {
  version: string;
  /** 'desktop' inside Electron, 'web' in a browser through `halab serve`. */
  mode: 'desktop' | 'web';
  platform: string;
  hostMemoryMiB: number;
  /** Screens whose backend has landed. */
  features: { provision: boolean; dashboard: boolean; drills: boolean };
}

/**
 * The settings file (`settings.json` in the data folder), shared by the
 * window, web mode and the CLI. Host values may be overridden by the
 * environment (HALAB_VMRUN, HALAB_TEMPLATE_<OS>, HALAB_SSH_USER,
 * HALAB_LABS_DIR, HALAB_VMWARE_ETC_DIR); `settings:check` says which are.
 */
export interface Settings {
  theme: 'light' | 'dark' | 'system';
  language: 'en' | 'ko';
  /** Unset: discovered (setting → HALAB_VMRUN → registry/PATH → default install paths). */
  vmrunPath?: string;
  /** OS name → template `.vmx`. */
  templates: Record<string, string>;
  /** The guest account provisioning logs in as on VMware (default `root`, what the cloud-init user-data keeps open; the Linux lab is always root). */
  sshUser?: string;
  /** Where labs live (default: ~/.local/share/halab/labs, /var/lib/halab/labs for root). */
  labsDir?: string;
  /** VMware's config folder on a Linux host (default /etc/vmware). */
  vmwareEtcDir?: string;
}

/** One line of a check (settings, doctor, preflight): what was found and what to do. */
export interface CheckLine {
  /** Stable id, e.g. `vmrun`, `template:ubuntu-22.04`, `vmnet8-subnet`. */
  id: string;
  level: 'ok' | 'warning' | 'error';
  title: string;
  detail: string;
  fix?: string;
  /** The same as catalog messages (code + args), for each front end to render in its own language; absent on lines not yet in the catalog. */
  titleMsg?: Message;
  detailMsg?: Message;
  fixMsg?: Message;
}

export interface SettingsCheck {
  vmrun: { path?: string; version?: string; source: 'setting' | 'env' | 'discovered' | 'none' };
  /** One per field checked (`vmrunPath`, `template:<os>`, `sshUser`, `labsDir`, `vmwareEtcDir`). */
  fields: (CheckLine & { field: string })[];
  /** Environment variables overriding the file right now. */
  overrides: string[];
}

export interface DoctorReport {
  provider: 'vmware' | 'linux' | 'incus';
  ok: boolean;
  lines: CheckLine[];
}

/** A blueprint VMnet whose subnet differs from the host's existing VMnet of that name (vmnet8 in practice). */
export interface VmnetClash {
  vmnet: string;
  blueprintSubnet: string;
  hostSubnet: string;
  /** What a reconfigure would affect, e.g. other VMs using vmnet8. */
  message: string;
  /** The same from the message catalog (rendered in the reader's language). */
  msg?: Message;
}

export interface PreflightResult {
  provider: 'vmware' | 'linux' | 'incus' | null;
  clashes: VmnetClash[];
  lines: CheckLine[];
}

/** Result types, one per request channel. */
export interface RequestResults {
  'app:info': AppInfo;
  'blueprint:validate': ValidateResult;
  'blueprint:plan': { ok: boolean; issues: Issue[]; plan?: LabPlan };
  'blueprint:export': { text: string };
  'blueprint:graph': { mermaid: string; svg?: string };
  'blueprint:list-shipped': { id: string; title: string; file: string }[];
  'blueprint:read-shipped': { id: string; text: string };
  'file:open': { path: string; text: string } | null;
  'file:save': { path: string } | null;
  'file:recent': string[];
  'settings:get': Settings;
  'settings:set': Settings;
  'settings:check': SettingsCheck;
  'file:pick': { path: string } | null;
  'doctor:run': DoctorReport;
  'lab:preflight': PreflightResult;
  'template:create': { taskId: string };
  'lab:status': LabStatusResult;
  'lab:up': { taskId: string };
  'lab:down': { taskId: string };
  'task:cancel': { canceled: boolean };
  'task:list': TaskInfo[];
  'monitor:start': { lab: string };
  'monitor:stop': { stopped: boolean };
  'drill:run': { taskId: string };
  'drill:reports': DrillReportSummary[];
  'drill:report': { text: string; report?: DrillReport };
  'report:handIn': HandInFile;
}

/** The hand-in report as a file: `text` for HTML and Markdown, `base64` for PDF. */
export interface HandInFile {
  name: string;
  mime: string;
  text?: string;
  base64?: string;
  /** Drill reports left out because they were not readable (their paths). */
  skipped: string[];
}

export interface LabStatusResult {
  lab: string;
  /** null when the lab has not been brought up here. */
  provider: 'vmware' | 'linux' | 'incus' | null;
  vms: { name: string; state: string; addresses: string[] }[];
  /** Which providers can run here, with the reason when one cannot. */
  providers: { kind: 'vmware' | 'linux' | 'incus'; usable: boolean; reason?: string; fix?: string; reasonMsg?: Message; fixMsg?: Message }[];
}

export interface TaskInfo {
  id: string;
  title: string;
  kind: 'up' | 'down' | 'drill' | 'template';
  lab: string;
  /** The drill a `drill` task runs. */
  drill?: string;
  /** The provider the task runs on, once chosen. */
  provider?: 'vmware' | 'linux' | 'incus';
  state: 'running' | 'done' | 'failed' | 'canceled';
  progress?: number;
  step?: string;
  error?: string;
  /** The same texts from the message catalog, rendered in the reader's language (`title`, `step`, `error` stay English). */
  titleMsg?: Message;
  stepMsg?: Message;
  errorMsg?: Message;
}

export interface DrillReportSummary {
  id: string;
  drill: string;
  title: string;
  verdict: DrillReport['verdict'];
  startedAt: string;
  verdictText: string;
  /** `title` and `verdictText` as catalog messages (reports since issue 12), rendered in the reader's language. */
  titleMsg?: Message;
  verdictMsg?: Message;
}

/** Event channels from the backend. */
export interface EventPayloads {
  /** A `> command` line or a step's log line. */
  'log:line': { at: number; source: string; line: string };
  /** Progress of a long task (provisioning, a drill). */
  'task:update': TaskInfo;
  /** A provisioning step started, logged, finished or failed (per VM). */
  /** `changed` and `ms` come with `done` (the CLI prints them). */
  /** `msg`: `text` from the message catalog (the step's title, log line, error or skip reason), rendered in the reader's language; `text` stays English. */
  /** `titleMsg`: the step's title, with done, failed and skipped (a skipped step never started). */
  'lab:step': { taskId: string; type: 'start' | 'log' | 'done' | 'failed' | 'skipped'; step: string; vm?: string; text: string; at: number; changed?: boolean; ms?: number; msg?: Message; titleMsg?: Message };
  /** The whole state of a lab's monitor, sent when a reader starts watching; `monitor:delta`s follow on from its `seq`. */
  'monitor:state': DashboardState;
  /** What changed since the previous delta (new probes, log lines and events; changed cards). Sent at once for events and VIP changes, else every second. */
  'monitor:delta': MonitorDelta;
  'drill:finished': { taskId: string; lab: string; summary: DrillReportSummary };
}
export type EventChannel = keyof EventPayloads;
// The channel list lives in a zod-free module so the sandboxed preload can bundle it.
export { EVENT_CHANNELS } from './channels';

export interface IpcError {
  name: string;
  message: string;
  /** e.g. `invalid-payload`, `unknown-channel`, `not-available`. */
  code: string;
  /** Per-field problems for invalid payloads. */
  issues?: { path: string; message: string }[];
  /** `message` from the message catalog, rendered in the reader's language. */
  msg?: Message;
}

export type IpcResult<T> = { ok: true; data: T } | { ok: false; error: IpcError };

export function isRequestChannel(c: string): c is RequestChannel {
  return Object.prototype.hasOwnProperty.call(requestSchemas, c);
}

/**
 * What the preload exposes as `window.halab` (frozen), and what the web
 * transport implements over HTTP + WebSocket.
 */
export interface HalabBridge {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<IpcResult<RequestResults[C]>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayloads[E]) => void): () => void;
}
