/**
 * Backend → renderer events. The Electron shell and the web server each
 * subscribe once and forward every event to their clients.
 */
import type { EventChannel, EventPayloads } from '../shared/ipc/contract';

export type EventSink = <E extends EventChannel>(channel: E, payload: EventPayloads[E]) => void;

export class EventBus {
  private readonly sinks = new Set<EventSink>();

  /** Subscribe; returns the unsubscribe function. */
  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  emit<E extends EventChannel>(channel: E, payload: EventPayloads[E]): void {
    for (const sink of this.sinks) {
      try {
        sink(channel, payload);
      } catch {
        // A broken client must not stop events reaching the others.
      }
    }
  }
}
