/**
 * The messages between the main thread and a worker thread of the threading flavour (thrown
 * values travel in them encoded, see thrown.ts). They go over the worker's parent port, which
 * payloads may use as well: every message of the pool carries the thread's `tag`, and messages
 * without it are not the pool's. Every run carries an id and every answer names the run it
 * answers.
 *
 * One message per run costs more than the run of a small payload, on both sides. So runs travel
 * in {@link RunMessage}s of one or many, a thread may be sent more before it is done with the
 * last ones (it queues them), a payload's source travels to a thread once and is named by a
 * number after that, and a thread sends the answers it has ready together in one
 * {@link RunAnswers}. A thread still runs one payload at a time, in order, and stops at the
 * first that leaves it unclean. Before it begins a run it claims the run's slot in shared memory
 * ({@link claimSlot}); the pool may revoke the slots of runs not begun ({@link revokeSlot}) and
 * give them to an idle thread, so that no run waits behind a slow one while a thread is free.
 * Values travel by structured clone.
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

/** Messages of the pool: each carries the tag its thread was started with. */
interface Tagged {
  readonly tag: string;
}

/**
 * One run, in a {@link RunMessage} (where it travels flat, see {@link encodeRun}). The worker
 * answers it exactly once (in a {@link RunAnswers}), unless its claim slot was revoked before it
 * began, or the thread dies ({@link WorkerCrash}). `payload` is the payload itself, or the number
 * under which an earlier run defined it for this thread; `define` asks the thread to keep this
 * run's payload under that number.
 *
 * @example
 * const first: RunRequest = { id: 1, payload: source, define: 1, args: [1, 2] };
 * const second: RunRequest = { id: 2, payload: 1, args: [3, 4] };
 */
export interface RunRequest {
  /** Unique per worker, increasing; the answer carries it back. */
  readonly id: number;
  readonly payload: PayloadSource | number;
  readonly define?: number;
  readonly args: readonly unknown[];
}

/**
 * Main → worker: run these payloads one after another, in order, after any sent before. The
 * worker stops at a run that leaves it unclean (or crashes it) and begins none after it.
 *
 * @example
 * worker.postMessage({ tag, type: 'runs', runs: [first, second] } satisfies RunMessage);
 */
export interface RunMessage extends Tagged {
  readonly type: 'runs';
  /** The runs, one after another as {@link encodeRun} writes them. */
  readonly runs: readonly unknown[];
}

/*
 * Runs and answers travel as flat arrays of plain values: a structured clone of an object per
 * run costs several times more (measured, 64 per message, Node 20: 1.9 µs per run as objects,
 * 0.25 µs flat), and the main thread's share of that is what limits many runs in flight.
 */

/**
 * Append run `request` to `out`: its id, its payload (or the payload's number), the number to
 * keep the payload under (0: none), the number of arguments, and the arguments.
 *
 * @example
 * const runs: unknown[] = [];
 * encodeRun(runs, { id: 1, payload: 3, args: ['a'] }); // runs: [1, 3, 0, 1, 'a']
 */
export function encodeRun(out: unknown[], request: RunRequest): void {
  out.push(request.id, request.payload, request.define ?? 0, request.args.length);
  for (const arg of request.args) out.push(arg);
}

/**
 * The runs of a {@link RunMessage}, as {@link encodeRun} wrote them.
 *
 * @example
 * decodeRuns([1, 3, 0, 1, 'a']); // [{ id: 1, payload: 3, args: ['a'] }]
 */
export function decodeRuns(runs: readonly unknown[]): RunRequest[] {
  const requests: RunRequest[] = [];
  for (let i = 0; i < runs.length;) {
    const id = runs[i] as number;
    const payload = runs[i + 1] as PayloadSource | number;
    const define = runs[i + 2] as number;
    const count = runs[i + 3] as number;
    const args = runs.slice(i + 4, i + 4 + count);
    requests.push(define === 0 ? { id, payload, args } : { id, payload, define, args });
    i += 4 + count;
  }
  return requests;
}

/**
 * Main → worker: the runtime stops run `id`: its cancel scope aborts (`currentSignal()` in the
 * payload), and the payload has its grace period to return before the thread is terminated.
 *
 * @example
 * worker.postMessage({ tag, type: 'cancel', id: 7 } satisfies CancelRun);
 */
export interface CancelRun extends Tagged {
  readonly type: 'cancel';
  readonly id: number;
}

/**
 * All messages the main thread sends.
 *
 * @example
 * const message: ToWorker = { tag, type: 'cancel', id: 7 };
 */
export type ToWorker = RunMessage | CancelRun;

/**
 * A run has ended. `clean` says whether the worker is as good as new, that is the payload left
 * no timer (also an unreferenced one), socket or other active resource behind; only then is it
 * reused. `cancelled` says whether the run's scope had been cancelled.
 *
 * @example
 * const done: RunDone = { id: 1, ok: true, value: 3, clean: true, cancelled: false };
 */
export type RunDone = { readonly id: number; readonly clean: boolean; readonly cancelled: boolean } & (
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Thrown }
);

/**
 * Worker → main: runs that have ended, in the order they ended, three values each (see
 * {@link encodeAnswer}). A thread sends an answer as soon as it has nothing more to run, and
 * otherwise gathers those of quick runs, for at most {@link maxAnswerDelay} ms or
 * {@link maxAnswers} answers.
 *
 * @example
 * const answers: unknown[] = [];
 * encodeAnswer(answers, done);
 * parentPort.postMessage({ tag, type: 'answers', answers } satisfies RunAnswers);
 */
export interface RunAnswers extends Tagged {
  readonly type: 'answers';
  readonly answers: readonly unknown[];
}

const okFlag = 1;
const cleanFlag = 2;
const cancelledFlag = 4;

/**
 * Append `done` to `out`: its id, its flags (ok, clean, cancelled) and its value or error.
 *
 * @example
 * encodeAnswer(out, { id: 1, ok: true, value: 3, clean: true, cancelled: false }); // out: [1, 3, 3]
 */
export function encodeAnswer(out: unknown[], done: RunDone): void {
  const flags = (done.ok ? okFlag : 0) | (done.clean ? cleanFlag : 0) | (done.cancelled ? cancelledFlag : 0);
  out.push(done.id, flags, done.ok ? done.value : done.error);
}

/**
 * The answer at `index` of the values of a {@link RunAnswers}; the next is at `index + 3`.
 *
 * @example
 * for (let i = 0; i < answers.length; i += 3) onDone(decodeAnswer(answers, i));
 */
export function decodeAnswer(answers: readonly unknown[], index: number): RunDone {
  const id = answers[index] as number;
  const flags = answers[index + 1] as number;
  const clean = (flags & cleanFlag) !== 0;
  const cancelled = (flags & cancelledFlag) !== 0;
  return (flags & okFlag) !== 0
    ? { id, ok: true, value: answers[index + 2], clean, cancelled }
    : { id, ok: false, error: answers[index + 2] as Thrown, clean, cancelled };
}

/** The most answers a thread gathers in one {@link RunAnswers}. */
export const maxAnswers = 64;
/** The longest, in milliseconds, that a thread keeps an answer to send it with others. */
export const maxAnswerDelay = 1;

/**
 * Worker → main: an uncaught error is ending this thread, and it came from run `id` (the run
 * in whose async context it was thrown, or the last one begun): it is that run's failure,
 * even when that run has answered already. The thread answers nothing after it.
 *
 * @example
 * parentPort.postMessage({ tag, type: 'crash', id: 3, error: toThrown(err) } satisfies WorkerCrash);
 */
export interface WorkerCrash extends Tagged {
  readonly type: 'crash';
  readonly id: number;
  readonly error: Thrown;
}

/**
 * Worker → main: the worker has loaded its entry and takes runs.
 *
 * @example
 * parentPort.postMessage({ tag, type: 'ready' } satisfies WorkerReady);
 */
export interface WorkerReady extends Tagged {
  readonly type: 'ready';
}

/**
 * Worker → main: a message published in the worker on a `node:diagnostics_channel` channel
 * named in the threading option `forwardChannels`. The main thread publishes it on the channel
 * of the same name if that has subscribers there. It is sent before the run's answer.
 *
 * @example
 * parentPort.postMessage({ tag, type: 'diagnostic', channel: 'app:jobs', message: { done: 3 } } satisfies WorkerDiagnostic);
 */
export interface WorkerDiagnostic extends Tagged {
  readonly type: 'diagnostic';
  readonly channel: string;
  readonly message: unknown;
}

/**
 * All messages a worker sends.
 *
 * @example
 * worker.on('message', (message: FromWorker) => (message.type === 'ready' ? onReady() : onOther(message)));
 */
export type FromWorker = RunAnswers | WorkerCrash | WorkerReady | WorkerDiagnostic;

/**
 * What a worker thread is started with (its `workerData`).
 *
 * @example
 * new Worker(entry, { workerData: { tag, claims: newClaims(), forwardChannels: [] } satisfies WorkerStartData });
 */
export interface WorkerStartData {
  /** Marks the pool's messages in both directions. */
  readonly tag: string;
  /** The claim slots of the runs sent to this thread, shared with the main thread. */
  readonly claims: Int32Array;
  /** The diagnostics channels whose messages the worker forwards to the main thread. */
  readonly forwardChannels: readonly string[];
}

/**
 * Claim slots: one per run id modulo their number. The pool keeps the runs a thread has been
 * sent and not answered to fewer than {@link maxUnanswered}, so the ids of runs in flight never
 * share a slot.
 */
const slotCount = 256;
const open = 0;
const claimed = 1;
const revoked = 2;

/**
 * The claim slots of a new thread, in memory shared with it.
 *
 * @example
 * const claims = newClaims();
 */
export function newClaims(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(slotCount * Int32Array.BYTES_PER_ELEMENT));
}

/** The most runs a thread may have been sent and not answered (the one it runs included). */
export const maxUnanswered = slotCount - 1;

/**
 * Main thread: open run `id`'s slot before sending the run.
 *
 * @example
 * openSlot(thread.claims, id); worker.postMessage(request);
 */
export function openSlot(claims: Int32Array, id: number): void {
  Atomics.store(claims, id % slotCount, open);
}

/**
 * Worker: claim run `id` before beginning it; false if the main thread took it back.
 *
 * @example
 * if (!claimSlot(claims, request.id)) return;
 */
export function claimSlot(claims: Int32Array, id: number): boolean {
  return Atomics.compareExchange(claims, id % slotCount, open, claimed) === open;
}

/**
 * Main thread: take back run `id`, which the worker has not begun; false if it has begun it.
 *
 * @example
 * if (revokeSlot(thread.claims, id)) queue.push(job);
 */
export function revokeSlot(claims: Int32Array, id: number): boolean {
  return Atomics.compareExchange(claims, id % slotCount, open, revoked) === open;
}
