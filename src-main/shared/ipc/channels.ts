/**
 * The event channel names, without zod: the sandboxed preload bundles this
 * file (a sandboxed preload may require only `electron`).
 */
import type { EventChannel } from './contract';

export const EVENT_CHANNELS: readonly EventChannel[] = ['log:line', 'task:update', 'lab:step', 'monitor:state', 'monitor:delta', 'drill:finished'];
