/**
 * The public types of the threading flavour: what it runs ({@link ThreadingPayload},
 * {@link ModulePayload}), how payload types are inferred ({@link ThreadingTypes}), its options
 * ({@link ThreadingOptions}) and the snapshot of its threads ({@link PoolStats}). Types only,
 * so that every other file can import them without importing each other.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { PayloadTypes } from '@cobald/kernel';

/**
 * A payload that is an export of an ES module: the worker imports `module` and calls the
 * export named `export` (the default export when omitted) with the arguments.
 *
 * `module` is a URL (`file:`, `data:`, `node:`; a `URL` object or its string), an absolute
 * file path, or a bare package specifier (resolved from this package's location). Relative
 * specifiers are refused: resolve them first with `new URL('./jobs.mjs', import.meta.url)`.
 *
 * @example
 * await runtime.execute({ module: new URL('./jobs.mjs', import.meta.url), export: 'resize' },
 *   { flavour: threading, args: [imageBytes, 640] });
 */
export interface ModulePayload {
  readonly module: string | URL;
  readonly export?: string;
}

/**
 * What the threading flavour runs: a self-contained function (sent as its source text), or
 * an export of an ES module.
 *
 * @example
 * const payloads: ThreadingPayload[] = [(n: number) => n * 2, { module: new URL('./jobs.mjs', import.meta.url) }];
 */
export type ThreadingPayload = ((...args: any[]) => unknown) | ModulePayload;

/**
 * The payload types of the threading flavour: a function's arguments and awaited result are
 * inferred; a module payload takes any arguments and gives `unknown`.
 *
 * @example
 * const n: number = await runtime.execute((a: number, b: number) => a + b, { flavour: threading, args: [1, 2] });
 */
export interface ThreadingTypes extends PayloadTypes {
  readonly payload: ThreadingPayload;
  readonly args: this['input'] extends (...args: infer A) => unknown ? A : readonly unknown[];
  readonly result: this['input'] extends (...args: any[]) => infer R ? Awaited<R> : unknown;
}

/**
 * The options of the threading flavour, given per runner:
 * `new ServiceRunner({ flavours: { threading: { maxWorkers: 4 } } })`.
 *
 * @example
 * const runner = new ServiceRunner({
 *   flavours: { threading: { maxWorkers: 2, resourceLimits: { maxOldGenerationSizeMb: 256 } } satisfies ThreadingOptions },
 * });
 */
export interface ThreadingOptions {
  /**
   * How many worker threads executed payloads may use at once; more wait in a queue. Adopted
   * payloads each get a thread of their own and do not count. Also the number of idle
   * threads kept warm for executes, and of threads started at once (at least 2) for adopts.
   * Default: `os.availableParallelism()`.
   */
  readonly maxWorkers?: number;
  /**
   * The `resourceLimits` of every worker thread (heap sizes, stack size), as `new Worker` takes
   * them. `maxOldGenerationSizeMb` must be at least 4: below about 2.5 MB, V8 on Node 22 and later
   * aborts the whole process when a thread starts. A thread needs about 8 MB to start at all.
   * `stackSizeMb` must be at least 0.5: below about 0.25 MB a thread that starts ends the whole
   * process on every Node.js line.
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * Names of `node:diagnostics_channel` channels whose messages, published by payloads in the
   * worker threads, are published again on the channel of the same name in the main thread
   * (when it has subscribers there), so that instrumentation inside payloads reaches the main
   * thread's tracing, metrics and logs. Messages travel by structured clone; ones that cannot
   * be cloned are dropped. Default: none.
   */
  readonly forwardChannels?: readonly string[];
  /**
   * Milliseconds a worker thread may take to start; one that takes longer is terminated, and
   * the payload that waited for it fails with a `WorkerCrashed` that says so, rather than
   * waiting forever. Default 30000 (a thread starts in milliseconds; thousands at once on two
   * cores take seconds each).
   */
  readonly startTimeout?: number;
}

/**
 * A snapshot of a threading runner's threads.
 *
 * @example
 * const { started, busy } = runner.stats(); // threads started so far, threads running a payload
 */
export interface PoolStats {
  /** Threads alive (starting, idle or busy). */
  readonly workers: number;
  readonly starting: number;
  readonly idle: number;
  readonly busy: number;
  /** Threads busy with executed payloads (at most `maxWorkers`). */
  readonly executing: number;
  /** Payloads waiting for a thread, also those sent to a thread in a batch that it has not begun. */
  readonly queued: number;
  /** Threads started since the pool was made. */
  readonly started: number;
  /** The most threads that ever ran executed payloads at once. */
  readonly peakExecuting: number;
}
