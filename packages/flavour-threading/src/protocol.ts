/**
 * The messages between the main thread and a worker thread of the threading flavour (thrown
 * values travel in them encoded, see thrown.ts). Every
 * run carries an id and every answer names the run it answers. A lone payload travels as one
 * {@link RunRequest}; when executed payloads queue up, the pool sends a thread a
 * {@link RunBatch} of them in one message (one message per run costs more than the run of a
 * small payload). A thread still runs one payload at a time, in order, answering each as it
 * ends, and stops at the first that leaves it unclean: the pool then runs the rest elsewhere.
 * Values travel by structured clone, so everything here is plain data.
 */
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
 * Main → worker: run a payload. The worker answers with exactly one {@link RunDone}.
 *
 * @example
 * worker.postMessage({ type: 'run', id: 1, payload: source, args: [1, 2] } satisfies RunRequest);
 */
export interface RunRequest {
  readonly type: 'run';
  /** Unique per worker; the answer carries it back. */
  readonly id: number;
  readonly payload: PayloadSource;
  readonly args: readonly unknown[];
}

/**
 * All messages the main thread sends.
 *
 * @example
 * port.on('message', (message: ToWorker) => { if (message.type === 'run') void run(message); else void runAll(message.runs); });
 */
export type ToWorker = RunRequest | RunBatch;

/**
 * Main → worker: run these payloads one after another, in order, each answered by its own
 * {@link RunDone}. Their ids follow each other. The worker stops at a run that leaves it unclean
 * (or crashes it) and answers none after it; the pool sends those to another thread.
 *
 * @example
 * worker.postMessage({ type: 'batch', runs: [first, second] } satisfies RunBatch);
 */
export interface RunBatch {
  readonly type: 'batch';
  readonly runs: readonly RunRequest[];
}

/**
 * Worker → main: a run has ended. `clean` says whether the worker is as good as new, that is
 * the payload left no timer, socket or other active resource behind; only then is it reused.
 *
 * @example
 * parentPort.postMessage({ type: 'done', id: 1, ok: true, value: 3, clean: true } satisfies RunDone);
 */
export type RunDone =
  | { readonly type: 'done'; readonly id: number; readonly ok: true; readonly value: unknown; readonly clean: boolean }
  | { readonly type: 'done'; readonly id: number; readonly ok: false; readonly error: Thrown; readonly clean: boolean };

/**
 * Worker → main: the worker has loaded its entry and takes runs.
 *
 * @example
 * parentPort.postMessage({ type: 'ready' } satisfies WorkerReady);
 */
export interface WorkerReady {
  readonly type: 'ready';
}

/**
 * All messages a worker sends.
 *
 * @example
 * worker.on('message', (message: FromWorker) => (message.type === 'ready' ? onReady() : onDone(message)));
 */
export type FromWorker = RunDone | WorkerReady | WorkerDiagnostic;

/**
 * Worker → main: a message published in the worker on a `node:diagnostics_channel` channel
 * named in the threading option `forwardChannels`. The main thread publishes it on the channel
 * of the same name if that has subscribers there. It is sent before the run's answer.
 *
 * @example
 * parentPort.postMessage({ type: 'diagnostic', channel: 'app:jobs', message: { done: 3 } } satisfies WorkerDiagnostic);
 */
export interface WorkerDiagnostic {
  readonly type: 'diagnostic';
  readonly channel: string;
  readonly message: unknown;
}

/**
 * What a worker thread is started with (its `workerData`).
 *
 * @example
 * new Worker(entry, { workerData: { forwardChannels: ['app:jobs'] } satisfies WorkerStartData });
 */
export interface WorkerStartData {
  /** The diagnostics channels whose messages the worker forwards to the main thread. */
  readonly forwardChannels: readonly string[];
}
