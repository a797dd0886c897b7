/**
 * What the main thread and a worker thread say to each other on the thread's own port (a
 * `MessageChannel` made for the pool, apart from `parentPort`, which is the payloads'): what
 * does not fit in the thread's shared mailbox (mailbox.ts) (a payload's source, arguments and results that are
 * not small values, errors), a cancellation, and the worker's news (ready, a crash, a forwarded
 * diagnostics message). Values travel by structured clone.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Thrown } from './thrown.js';

/**
 * A payload as the worker receives it: what to load and how to call it.
 *
 * - `function`: the source text of a self-contained function, compiled in the worker.
 * - `module`: an export of an ES module, imported in the worker.
 * - `service`: a class exported by an ES module; the worker makes an instance from `state`
 *   and calls its `run()`.
 *
 * @example
 * const source: PayloadSource = { kind: 'function', name: 'add', source: '(a, b) => a + b' };
 */
export type PayloadSource =
  | { readonly kind: 'function'; readonly name: string; readonly source: string }
  | { readonly kind: 'module'; readonly name: string; readonly url: string; readonly export: string }
  | {
      readonly kind: 'service';
      readonly name: string;
      readonly url: string;
      readonly export: string;
      readonly state: Readonly<Record<string, unknown>>;
    };

/**
 * Main → worker: what run `id` needs beyond its mailbox slot. `payload` is sent when the thread
 * does not know it by number yet (`define`: keep it under that number); `args` when they are not
 * all small values.
 *
 * @example
 * port.postMessage({ type: 'run', id: 1, payload: source, define: 1, args: [{ big: true }] } satisfies RunData);
 */
export interface RunData {
  readonly type: 'run';
  readonly id: number;
  readonly payload?: PayloadSource;
  readonly define?: number;
  readonly args?: readonly unknown[];
}

/**
 * Main → worker: the runtime stops run `id`: its cancel scope aborts (`currentSignal()` in the
 * payload), and the payload has its grace period to return before the thread is terminated.
 *
 * @example
 * port.postMessage({ type: 'cancel', id: 7 } satisfies CancelRun);
 */
export interface CancelRun {
  readonly type: 'cancel';
  readonly id: number;
}

/** All messages the main thread sends on a thread's port. */
export type ToWorker = RunData | CancelRun;

/**
 * Worker → main: the value (or the encoded error, when the answer is not ok) of the answer to
 * run `id`, whose mailbox slot says it is here.
 *
 * @example
 * port.postMessage({ type: 'answer', id: 3, value: { rows: [] } } satisfies AnswerData);
 */
export interface AnswerData {
  readonly type: 'answer';
  readonly id: number;
  readonly value: unknown;
}

/**
 * Worker → main: an uncaught error is ending this thread, and it came from run `id` (the run
 * in whose async context it was thrown, or the last one begun): it is that run's failure,
 * even when that run has answered already. The thread answers nothing after it.
 *
 * @example
 * port.postMessage({ type: 'crash', id: 3, error: toThrown(err) } satisfies WorkerCrash);
 */
export interface WorkerCrash {
  readonly type: 'crash';
  readonly id: number;
  readonly error: Thrown;
}

/**
 * Worker → main: the worker has loaded its entry and takes runs.
 *
 * @example
 * port.postMessage({ type: 'ready' } satisfies WorkerReady);
 */
export interface WorkerReady {
  readonly type: 'ready';
}

/**
 * Worker → main: a message published in the worker on a `node:diagnostics_channel` channel
 * named in the threading option `forwardChannels`. The main thread publishes it on the channel
 * of the same name if that has subscribers there, before the answer of the run that published it.
 *
 * @example
 * port.postMessage({ type: 'diagnostic', channel: 'app:jobs', message: { done: 3 } } satisfies WorkerDiagnostic);
 */
export interface WorkerDiagnostic {
  readonly type: 'diagnostic';
  readonly channel: string;
  readonly message: unknown;
}

/** All messages a worker sends on its port. */
export type FromWorker = AnswerData | WorkerCrash | WorkerReady | WorkerDiagnostic;

/**
 * What a worker thread is started with (its `workerData`; `port` is transferred).
 *
 * @example
 * new Worker(entry, { workerData: { mailbox: mailbox.buffer, port, forwardChannels: [] } satisfies WorkerStartData, transferList: [port] });
 */
export interface WorkerStartData {
  /** The thread's mailbox (mailbox.ts). */
  readonly mailbox: SharedArrayBuffer;
  /** The worker's end of the thread's port. */
  readonly port: MessagePort;
  /** The diagnostics channels whose messages the worker forwards to the main thread. */
  readonly forwardChannels: readonly string[];
}
