/**
 * The threading flavour's runner: the kernel's {@link FlavourRunner} contract (run a payload,
 * settle once, close everything) on top of a {@link WorkerPool}. It turns payloads into
 * messages, answers into results or rethrown errors, and shutdown into cancellations.
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { cancelled, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { explainUnsendable, toPayloadSource } from './payload-source.js';
import { WorkerPool, type PoolStats } from './pool.js';
import { fromThrown } from './protocol.js';
import type { ThreadingTypes } from './threading.js';

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
   * threads kept warm, and of threads started at once (at least 2) while payloads wait for
   * one. Default: `os.availableParallelism()`.
   */
  readonly maxWorkers?: number;
  /** The `resourceLimits` of every worker thread (heap sizes, stack size), as `new Worker` takes them. */
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

/** Where the worker entry is: the built file, from src/ (under jest) and from dist/ alike. */
const workerEntry = new URL('../dist/worker.js', import.meta.url);

/**
 * Runs threading payloads for one accepting `ServiceRunner`. The kernel makes it through the
 * flavour; make one yourself only to drive it directly, as tests do.
 *
 * @example
 * const runner = threading.createRunner(createFlavourHost({ options: { maxWorkers: 2 } }));
 * const context = { id: 1, name: 'add', flavour: 'threading', kind: 'execute' } as const;
 * console.log(await runner.run((a: number, b: number) => a + b, [1, 2], context)); // 3
 * console.log(runner.stats().started); // 1
 * await runner.close();
 */
export class ThreadingRunner implements FlavourRunner<ThreadingTypes> {
  readonly #pool: WorkerPool;
  #closing = false;

  constructor(host: FlavourHost) {
    const { maxWorkers, resourceLimits, forwardChannels, startTimeout } = readOptions(host.options);
    this.#pool = new WorkerPool({
      maxWorkers,
      maxIdle: maxWorkers,
      maxStarting: Math.max(2, maxWorkers),
      resourceLimits,
      entry: workerEntry,
      logger: host.logger,
      forwardChannels,
      startTimeout,
    });
  }

  run(payload: ThreadingTypes['payload'], args: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closing) return Promise.reject(cancelled(context));
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        outcome();
      };
      this.#pool.submit({
        id: context.id,
        kind: context.kind,
        name: context.name,
        message: () => ({ payload: toPayloadSource(payload, context.name), args }),
        unsendable: (message, error) => explainUnsendable(message.payload, message.args, error),
        done: (answer) => settle(() => (answer.ok ? resolve(answer.value) : reject(fromThrown(answer.error)))),
        fail: (error) => settle(() => reject(error)),
        cancel: () => settle(() => reject(cancelled(context))),
      });
    });
  }

  /**
   * Stop one payload: terminate its worker thread, or take it out of the queue; its `run()`
   * settles as cancelled. Threads cannot be asked to stop, so this is abrupt, as in cobald.
   */
  cancel(context: RunContext): void {
    this.#pool.cancel(context.id);
  }

  /** Terminate every worker thread; running and queued payloads settle as cancelled. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#pool.close();
  }

  /** A snapshot of this runner's worker threads: how many started, run, wait. */
  stats(): PoolStats {
    return this.#pool.stats();
  }
}

function readOptions(options: Readonly<Record<string, unknown>>): {
  maxWorkers: number;
  resourceLimits: ResourceLimits | undefined;
  forwardChannels: readonly string[];
  startTimeout: number;
} {
  const known = ['maxWorkers', 'resourceLimits', 'forwardChannels', 'startTimeout'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`unknown option '${key}' of the threading flavour (known: ${known.join(', ')})`);
    }
  }
  const { maxWorkers = availableParallelism(), resourceLimits } = options as ThreadingOptions;
  if (!Number.isSafeInteger(maxWorkers) || maxWorkers < 1) {
    throw new TypeError(`threading option 'maxWorkers' must be an integer >= 1, got ${String(maxWorkers)}`);
  }
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
    throw new TypeError("threading option 'resourceLimits' must be an object, as new Worker() takes it");
  }
  const { forwardChannels = [] } = options as ThreadingOptions;
  if (!Array.isArray(forwardChannels) || !forwardChannels.every((name) => typeof name === 'string' && name !== '')) {
    throw new TypeError("threading option 'forwardChannels' must be an array of diagnostics channel names");
  }
  const { startTimeout = 30_000 } = options as ThreadingOptions;
  if (!(typeof startTimeout === 'number' && startTimeout > 0 && Number.isFinite(startTimeout))) {
    throw new TypeError(`threading option 'startTimeout' must be a number of milliseconds > 0, got ${String(startTimeout)}`);
  }
  return { maxWorkers, resourceLimits, forwardChannels: [...new Set(forwardChannels)], startTimeout };
}
