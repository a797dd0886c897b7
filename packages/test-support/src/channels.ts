/** Recorders of what the runtime publishes on its diagnostics channels while a test runs. */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import type { PayloadTrace, RestartEvent } from '@cobald/kernel';

/** One `cobald:payload` event of one payload. */
export interface PayloadEvent {
  event: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
  id: number;
  name: string;
  flavour: string;
  kind: string;
  service: boolean;
  restarts: number;
  /** On `error`: whether the runtime had asked the payload to stop. */
  stopping?: boolean;
  result?: unknown;
  error?: unknown;
}

const payloadChannel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');

/**
 * Recorders whose subscriptions end after each test: pass jest's `afterEach`.
 *
 * @example
 * const { restartEvents, endedRuns } = channelRecorders(afterEach);
 * it('…', () => { const restarts = restartEvents(); … });
 */
export function channelRecorders(afterEach: (fn: () => void) => void) {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  /** Every message published on channel `name`. */
  function listen<T = unknown>(name: string): T[] {
    const messages: T[] = [];
    const listener = (message: unknown) => void messages.push(message as T);
    subscribe(name, listener);
    cleanups.push(() => unsubscribe(name, listener));
    return messages;
  }

  /** The `cobald:payload` events (`start`, `asyncEnd` and `error` by default) of payloads whose names start with `prefix`. */
  function record(prefix: string, events: readonly PayloadEvent['event'][] = ['start', 'asyncEnd', 'error']): PayloadEvent[] {
    const seen: PayloadEvent[] = [];
    const on = (event: PayloadEvent['event']) => (context: PayloadTrace) => {
      if (!context.name.startsWith(prefix)) return;
      const { id, name, flavour, kind, service, restarts } = context;
      const entry: PayloadEvent = { event, id, name, flavour, kind, service, restarts };
      if (event === 'asyncEnd' && 'result' in context) entry.result = context.result;
      if (event === 'error') Object.assign(entry, { error: context.error, stopping: context.stopping });
      seen.push(entry);
    };
    const handlers = Object.fromEntries(events.map((event) => [event, on(event)]));
    payloadChannel.subscribe(handlers as never);
    cleanups.push(() => payloadChannel.unsubscribe(handlers as never));
    return seen;
  }

  return {
    listen,
    record,
    /** Every `cobald:restart` event. */
    restartEvents: (): RestartEvent[] => listen<RestartEvent>('cobald:restart'),
    /** The names of payloads whose run ended (`asyncEnd`), in order. */
    endedRuns(): string[] {
      const ended: string[] = [];
      const handlers = { asyncEnd: (context: PayloadTrace) => void ended.push(context.name) };
      payloadChannel.subscribe(handlers as never);
      cleanups.push(() => payloadChannel.unsubscribe(handlers as never));
      return ended;
    },
    /** Run `cleanup` after the test, with the subscriptions. */
    defer: (cleanup: () => void) => void cleanups.push(cleanup),
  };
}
