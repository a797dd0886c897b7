/**
 * The threading flavour's runner: the kernel's {@link FlavourRunner} contract (run a payload,
 * settle once, close everything) on top of a {@link WorkerPool}. It turns payloads into
 * messages, answers into results or rethrown errors, and stops into cancellations.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cancelled, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import type { PayloadSource } from '../shared/messages.js';
import { fromThrown } from '../shared/thrown.js';
import type { PoolStats, ThreadingTypes } from '../types.js';
import { readOptions } from './options.js';
import { explainUnsendable, toPayloadSource } from './payload-source.js';
import { WorkerPool, type Job, type RunDone } from './pool.js';

/**
 * Where monitors ask for the pools' numbers: a query published there is `{ pools: [] }`, and
 * every open runner pushes its {@link PoolStats} onto it. Nothing is done unless one asks.
 */
const statsQuery = 'cobald:threading:stats';

/** Where the worker entry is: the built file, from src/main/ (under jest) and from dist/main/ alike. */
const workerEntry = new URL('../../dist/worker/entry.js', import.meta.url);

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
  readonly #answerStats = (query: unknown): void => void (query as { pools: PoolStats[] }).pools.push(this.#pool.stats());
  readonly #gracePeriod: number;

  constructor(host: FlavourHost) {
    const { maxWorkers, resourceLimits, forwardChannels, startTimeout } = readOptions(host.options);
    this.#gracePeriod = host.gracePeriod;
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
    subscribe(statsQuery, this.#answerStats);
  }

  run(payload: ThreadingTypes['payload'], args: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closing) return Promise.reject(cancelled(context));
    return new Promise((resolve, reject) => this.#pool.submit(new PayloadJob(payload, args, context, this.#gracePeriod, resolve, reject)));
  }

  /**
   * Stop one payload: take it out of the queue, or abort its signal (`currentSignal()` in the
   * worker) and give it its `shutdownTimeout` (or the grace period) to return, then terminate
   * its thread. Its `run()` settles as cancelled, unless it returns or fails first (a
   * ServiceRunner abandons it, with a warning, when its time is up).
   */
  cancel(context: RunContext): void {
    this.#pool.cancel(context.id);
  }

  /**
   * Stop everything: queued payloads settle as cancelled, running ones are stopped as by
   * {@link cancel}, and every thread ends.
   */
  async close(): Promise<void> {
    this.#closing = true;
    unsubscribe(statsQuery, this.#answerStats);
    await this.#pool.close();
  }

  /** A snapshot of this runner's worker threads: how many started, run, wait. */
  stats(): PoolStats {
    return this.#pool.stats();
  }
}

/** One payload run of a {@link ThreadingRunner}, as its pool takes it: settles its `run()` once. */
class PayloadJob implements Job {
  readonly id: number;
  readonly kind: RunContext['kind'];
  readonly name: string;
  readonly grace: number;
  #settled = false;

  constructor(
    readonly payload: ThreadingTypes['payload'],
    readonly args: readonly unknown[],
    readonly context: RunContext,
    gracePeriod: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.id = context.id;
    this.kind = context.kind;
    this.name = context.name;
    this.grace = context.shutdownTimeout ?? gracePeriod;
  }

  source(): PayloadSource {
    return toPayloadSource(this.payload, this.name);
  }

  unsendable(source: PayloadSource, error: unknown): unknown {
    return explainUnsendable(source, this.args, error);
  }

  done(answer: RunDone): void {
    if (this.#settled) return;
    this.#settled = true;
    if (answer.ok) this.resolve(answer.value);
    // An AbortError once its signal aborted: the payload stopped as asked.
    else if (answer.cancelled && answer.error.kind === 'error' && answer.error.name === 'AbortError') this.reject(cancelled(this.context));
    else this.reject(fromThrown(answer.error));
  }

  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.reject(error);
  }

  cancel(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.reject(cancelled(this.context));
  }
}
