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
import type { PayloadNode } from './supervisor.js';

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

export const payloadChannel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
export const restartChannel = channel('cobald:restart');
export const runtimeChannel = channel('cobald:runtime');

export function publishRuntime(event: RuntimeEvent): void {
  if (runtimeChannel.hasSubscribers) runtimeChannel.publish(event);
}

/** Run `node`'s payload with `run`, traced on `cobald:payload`; for when someone subscribes. */
export function tracePayload<T>(node: PayloadNode, run: () => Promise<T>): Promise<T> {
  const trace: PayloadTrace = {
    id: node.id,
    name: node.name,
    flavour: node.flavour,
    kind: node.kind,
    service: node.service,
    restarts: node.restarts,
    parent: node.parent && { id: node.parent.id, name: node.parent.name },
    get stopping() {
      return node.state === 'stopping';
    },
  };
  return payloadChannel.tracePromise(run, trace);
}
