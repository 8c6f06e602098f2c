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
import type { LabPlan } from '../blueprint/plan';

const MAX_TEXT = 4 * 1024 * 1024;
const blueprintText = z.string().max(MAX_TEXT, 'The blueprint is larger than 4 MiB.');
const empty = z.strictObject({});

/** Payload schemas, one per request channel. */
export const requestSchemas = {
  'app:info': empty,
  'blueprint:validate': z.strictObject({ text: blueprintText }),
  'blueprint:plan': z.strictObject({ text: blueprintText }),
  'blueprint:export': z.strictObject({ text: blueprintText, format: z.enum(['yaml', 'json']) }),
  'blueprint:graph': z.strictObject({ text: blueprintText }),
  'blueprint:list-shipped': empty,
  'blueprint:read-shipped': z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,64}$/) }),
  /** Desktop: native open dialog. Web: not available (the renderer uploads). */
  'file:open': z.strictObject({ path: z.string().max(4096).optional() }),
  /** Desktop: write to `path` (or ask with a save dialog). Web: not available (the renderer downloads). */
  'file:save': z.strictObject({ path: z.string().max(4096).optional(), text: blueprintText, suggestedName: z.string().max(255).optional() }),
  'file:recent': empty,
  'settings:get': empty,
  'settings:set': z.strictObject({
    theme: z.enum(['light', 'dark', 'system']).optional(),
    language: z.enum(['en', 'ko']).optional(),
  }),
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

export interface Settings {
  theme: 'light' | 'dark' | 'system';
  language: 'en' | 'ko';
}

/** Result types, one per request channel. */
export interface RequestResults {
  'app:info': AppInfo;
  'blueprint:validate': ValidateResult;
  'blueprint:plan': { ok: boolean; issues: Issue[]; plan?: LabPlan };
  'blueprint:export': { text: string };
  'blueprint:graph': { mermaid: string };
  'blueprint:list-shipped': { id: string; title: string; file: string }[];
  'blueprint:read-shipped': { id: string; text: string };
  'file:open': { path: string; text: string } | null;
  'file:save': { path: string } | null;
  'file:recent': string[];
  'settings:get': Settings;
  'settings:set': Settings;
}

/** Event channels from the backend. */
export interface EventPayloads {
  /** A `> command` line or a step's log line. */
  'log:line': { at: number; source: string; line: string };
  /** Progress of a long task (provisioning, a drill). */
  'task:update': { id: string; title: string; state: 'running' | 'done' | 'failed' | 'canceled'; progress?: number; step?: string; error?: string };
}
export type EventChannel = keyof EventPayloads;
export const EVENT_CHANNELS: EventChannel[] = ['log:line', 'task:update'];

export interface IpcError {
  name: string;
  message: string;
  /** e.g. `invalid-payload`, `unknown-channel`, `not-available`. */
  code: string;
  /** Per-field problems for invalid payloads. */
  issues?: { path: string; message: string }[];
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
