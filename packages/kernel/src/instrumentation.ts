/**
 * What the runtime publishes through `node:diagnostics_channel`, for tracing, metrics and logs.
 * Nothing is built or published unless someone subscribes.
 *
 * - `cobald:payload`, a tracing channel: `start`, `end`, `asyncStart`, `asyncEnd` and `error`
 *   for every run of a payload, with a {@link PayloadTrace} as context (the `error` event's
 *   context has `error`, `asyncEnd`'s has `result`).
 * - `cobald:restart`: a {@link RestartEvent} when a payload is restarted.
 * - `cobald:runtime`: a {@link RuntimeEvent} when a runner is ready, begins stopping, or stopped.
 *
 * @example
 * import { tracingChannel, subscribe } from 'node:diagnostics_channel';
 * tracingChannel('cobald:payload').subscribe({
 *   start: (ctx) => console.log('start', ctx.name),
 *   asyncEnd: (ctx) => console.log('end', ctx.name),
 *   error: (ctx) => console.log('error', ctx.name, ctx.error),
 * });
 * subscribe('cobald:runtime', (event) => console.log('runtime', event.state));
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { RunKind } from './flavour.js';

/** The context of one run of a payload on `cobald:payload`. */
export interface PayloadTrace {
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: RunKind;
  /** Whether it is a service's `run()`. */
  readonly service: boolean;
  /** How often it was restarted before this run. */
  readonly restarts: number;
  /**
   * When this run began, on the clock of `performance.now()` (milliseconds, fractional): so
   * that a subscriber can time runs without a clock reading of its own at `start`.
   */
  readonly startedAt: number;
  /**
   * Whether the runtime has asked it to stop (read it on `error`): an `AbortError` then, or any
   * error for which `isCancellation()` holds, is a cancellation, not a failure.
   */
  readonly stopping: boolean;
  /** The supervisor it runs under, or the payload whose execute() it is; absent at the top of the tree. */
  readonly parent?: ParentInfo | undefined;
  /** Set by the channel on `error`. */
  error?: unknown;
  /** Set by the channel on `asyncEnd`. */
  result?: unknown;
}

/** A restart, on `cobald:restart`. */
export interface RestartEvent {
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  /** The count of restarts including this one. */
  readonly restarts: number;
  /** Milliseconds until it runs again. */
  readonly delay: number;
  /** What it ended with: its error, an `OrphanedReturn`, or undefined for a clean end. */
  readonly reason: unknown;
  /** The supervisor that restarts it; absent for a payload adopted on its own. */
  readonly parent?: ParentInfo | undefined;
}

/** The node a payload runs under: a supervisor (`flavour: 'supervisor'`), or the payload that called execute(). */
export interface ParentInfo {
  readonly id: number;
  readonly name: string;
}

/** A change of a runner's state, on `cobald:runtime`. */
export interface RuntimeEvent {
  readonly state: 'running' | 'stopping' | 'stopped';
  /** On `stopped`: the failure that stopped it, if any. */
  readonly failure?: unknown;
}

/** What a trace is made from: a node of the kernel (node.ts), without importing it. */
export interface Traced {
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: RunKind;
  readonly service: boolean;
  readonly restarts: number;
  readonly state: string;
  readonly parent: { readonly id: number; readonly name: string } | undefined;
  trace: PayloadTrace | undefined;
}

export const payloadChannel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
export const restartChannel = channel('cobald:restart');
export const runtimeChannel = channel('cobald:runtime');

export function publishRuntime(event: RuntimeEvent): void {
  if (runtimeChannel.hasSubscribers) runtimeChannel.publish(event);
}

/**
 * Begin a traced run of `node`'s payload: publish `start` (stores bound to it hold inside
 * `run`), call `run`, publish `end`. The events are those of `TracingChannel.tracePromise()`,
 * published by hand, and the run's end is published by whoever watches its outcome anyway:
 * the trace waits on `node.trace` to be taken with {@link takeTrace} right after this returns,
 * and is ended with {@link endTrace} when the run settles. `tracePromise()` would chain a
 * promise of its own to every run, which costs a monitor watching a busy runtime dearly
 * (on Node 20 each promise runs the async hooks of AsyncLocalStorage).
 */
export function beginTrace<T, A, B, C, This, N extends Traced>(
  node: N,
  run: (this: This, a: A, b: B, c: C, node: N) => Promise<T>,
  thisArg: This,
  a: A,
  b: B,
  c: C,
): Promise<T> {
  const trace = new Trace(node);
  node.trace = trace;
  const { start } = payloadChannel;
  try {
    if (storesBound(start)) return start.runStores(trace, run, thisArg, a, b, c, node);
    start.publish(trace);
    return run.call(thisArg, a, b, c, node);
  } catch (error) {
    node.trace = undefined;
    trace.error = error;
    payloadChannel.error.publish(trace);
    throw error;
  } finally {
    payloadChannel.end.publish(trace);
  }
}

/**
 * Whether stores are bound to `channel` (`bindStore`), so that a run must go through
 * `runStores()`; without, publishing is all it does, and it costs a closure and an array per
 * run. `_stores` is Node's own field (Node 20 to 26 have it); where it is missing, the answer is yes.
 */
function storesBound(channel: object): boolean {
  const stores = (channel as { _stores?: { readonly size: number } })._stores;
  return stores === undefined || stores.size > 0;
}

/** The trace {@link beginTrace} left on `node`, if any; it is taken off, so only one watcher ends it. */
export function takeTrace(node: Traced): PayloadTrace | undefined {
  const { trace } = node;
  if (trace) node.trace = undefined;
  return trace;
}

/** Publish the end of a traced run: `asyncStart` and `asyncEnd`, after `error` when it failed. */
export function endTrace(trace: PayloadTrace | undefined, failed: boolean, outcome: unknown): void {
  if (!trace) return;
  if (failed) {
    trace.error = outcome;
    payloadChannel.error.publish(trace);
  } else trace.result = outcome;
  payloadChannel.asyncStart.publish(trace);
  payloadChannel.asyncEnd.publish(trace);
}

/** A {@link PayloadTrace}: one shape for all of them, and `stopping` read from the node when asked. */
class Trace implements PayloadTrace {
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: RunKind;
  readonly service: boolean;
  readonly restarts: number;
  readonly startedAt = performance.now();
  readonly parent: ParentInfo | undefined;
  // Declared, not defined: a subscriber tells a failed run by `'error' in trace`.
  declare error?: unknown;
  declare result?: unknown;
  readonly #node: Traced;

  constructor(node: Traced) {
    this.#node = node;
    this.id = node.id;
    this.name = node.name;
    this.flavour = node.flavour;
    this.kind = node.kind;
    this.service = node.service;
    this.restarts = node.restarts;
    this.parent = node.parent && { id: node.parent.id, name: node.parent.name };
  }

  get stopping(): boolean {
    return this.#node.state === 'stopping';
  }
}
