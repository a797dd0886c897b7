/**
 * The worker threads of one threading runner: started on demand, reused while warm, and
 * bounded where it matters. Executed payloads share at most `maxWorkers` threads and wait in
 * a queue beyond that; an adopted payload gets a thread of its own for as long as it runs
 * (it may run forever), so adopts never hold up executes. A thread is handed to whoever waits
 * when it becomes free, be it freshly started or just finished with a payload, so bursts of
 * short payloads are served by a few warm threads instead of a thread each. A thread whose
 * payload crashed it, left timers or sockets behind, or whose state is unknown is terminated,
 * never reused.
 */
import { channel } from 'node:diagnostics_channel';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger, RunKind } from '@cobald/kernel';
import { WorkerCrashed } from './errors.js';
import type { FromWorker, PayloadSource, RunDone, WorkerStartData } from './protocol.js';
import { Queue } from './queue.js';
import type { PoolStats } from './types.js';

/**
 * One payload run, as the pool sees it.
 *
 * @example
 * pool.submit({ id, kind: 'execute', name, message: () => ({ payload, args }), unsendable, done, fail, cancel });
 */
export interface Job {
  /** The payload's id (its RunContext's), to cancel it by. */
  readonly id: number;
  readonly kind: RunKind;
  readonly name: string;
  /** What to send, made when a thread is free for it; throws if the payload cannot be sent. */
  message(): { readonly payload: PayloadSource; readonly args: readonly unknown[] };
  /** The error for a message that could not be cloned to the thread. */
  unsendable(message: { readonly payload: PayloadSource; readonly args: readonly unknown[] }, error: unknown): unknown;
  /** The thread answered. */
  done(answer: RunDone): void;
  /** The run failed without an answer (its thread died, its message could not be sent). */
  fail(error: unknown): void;
  /** The pool closed before the run ended. */
  cancel(): void;
}

/**
 * How a pool runs its threads.
 *
 * @example
 * const config: PoolConfig = { maxWorkers: 4, maxIdle: 4, maxStarting: 4, resourceLimits: undefined, entry, logger };
 */
export interface PoolConfig {
  /** The threads that executes may use at once. */
  readonly maxWorkers: number;
  /** Threads kept warm while idle. */
  readonly maxIdle: number;
  /** Threads that may be starting at once. */
  readonly maxStarting: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** The worker entry: dist/worker.js. */
  readonly entry: URL;
  readonly logger: Logger;
  /** The diagnostics channels that workers forward to the main thread; none by default. */
  readonly forwardChannels?: readonly string[];
  /** Milliseconds a thread may take to start before it is terminated; no limit by default. */
  readonly startTimeout?: number;
}

type ThreadState = 'starting' | 'idle' | 'busy' | 'exiting';

interface Thread {
  readonly worker: Worker;
  state: ThreadState;
  /** The job it runs (or is about to: it is the first of a batch not answered yet). */
  job: Job | undefined;
  /** Executes sent in the same batch after `job`, in order; their run ids follow `runId`. */
  pending: Job[];
  runId: number;
  /** The name of the last payload it ran, to blame for a crash after its answer. */
  last: string | undefined;
  /** The error the thread reported before it exited, if any. */
  error: unknown;
  readonly exited: Promise<void>;
  /** Terminates it if it is still starting when the start timeout is over. */
  startLimit?: NodeJS.Timeout | undefined;
}

/**
 * The most executes sent to a thread in one message. Larger batches save messages but let one
 * slow payload hold up more of the queue behind it on its thread.
 */
const maxBatch = 64;

/**
 * The threads of one runner. Submit jobs; close to terminate everything.
 *
 * @example
 * const pool = new WorkerPool({ maxWorkers: 4, maxIdle: 4, maxStarting: 4, resourceLimits: undefined, entry, logger });
 * pool.submit(job);
 * await pool.close();
 */
export class WorkerPool {
  readonly #config: PoolConfig;
  readonly #threads = new Set<Thread>();
  /** Idle threads, the most recently used last. */
  readonly #idle: Thread[] = [];
  readonly #adopts = new Queue<Job>();
  readonly #executes = new Queue<Job>();
  #starting = 0;
  #executing = 0;
  #started = 0;
  #peakExecuting = 0;
  #closed = false;

  constructor(config: PoolConfig) {
    this.#config = config;
  }

  /** Run `job` on a free thread, or queue it until one is free. */
  submit(job: Job): void {
    if (job.kind === 'adopt') this.#adopts.push(job);
    else this.#executes.push(job);
    this.#pump();
  }

  stats(): PoolStats {
    let busy = 0;
    let sent = 0;
    for (const thread of this.#threads) {
      if (thread.state === 'busy') busy++;
      sent += thread.pending.length;
    }
    return {
      workers: this.#threads.size,
      starting: this.#starting,
      idle: this.#idle.length,
      busy,
      executing: this.#executing,
      // Runs sent to a thread in a batch but not begun wait as well.
      queued: this.#adopts.length + this.#executes.length + sent,
      started: this.#started,
      peakExecuting: this.#peakExecuting,
    };
  }

  /**
   * Cancel the job of payload `id`: a queued one leaves the queue, a running one's thread is
   * terminated (a thread cannot be asked to stop). Its run settles as cancelled. Does nothing
   * for a payload that is not here (any more).
   */
  cancel(id: number): void {
    const byId = (job: Job): boolean => job.id === id;
    const queued = this.#adopts.remove(byId) ?? this.#executes.remove(byId);
    if (queued) {
      queued.cancel();
      this.#pump();
      return;
    }
    for (const thread of this.#threads) {
      const waiting = thread.pending.find(byId);
      if (waiting) {
        // Sent in a batch but not begun: it settles as cancelled now; when the thread gets to
        // it, it runs and its answer is dropped. Only executes are batched, and the kernel
        // cancels single payloads only for services, which are adopted.
        waiting.cancel();
        return;
      }
      if (thread.state !== 'busy' || thread.job?.id !== id) continue;
      const job = this.#detach(thread)!;
      this.#retire(thread);
      job.cancel();
      this.#pump();
      return;
    }
  }

  /**
   * Cancel every queued and running job and terminate every thread (abruptly: a thread
   * cannot be asked to stop). Resolves once all threads have exited.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of [...this.#adopts.drain(), ...this.#executes.drain()]) job.cancel();
    const exits: Promise<void>[] = [];
    for (const thread of this.#threads) {
      const job = thread.job;
      thread.job = undefined;
      job?.cancel();
      for (const waiting of thread.pending.splice(0)) waiting.cancel();
      this.#retire(thread);
      exits.push(thread.exited);
    }
    this.#idle.length = 0;
    await Promise.all(exits);
  }

  /** Hand free threads to waiting jobs, start threads for the rest, trim the idle ones. */
  #pump(): void {
    if (this.#closed) return;
    while (this.#idle.length > 0) {
      const job = this.#nextJob();
      if (!job) break;
      this.#dispatch(this.#idle.pop()!, job.kind === 'execute' ? this.#batch(job) : [job]);
    }
    const demand = this.#adopts.length + Math.min(this.#executes.length, this.#config.maxWorkers - this.#executing);
    while (this.#starting < Math.min(demand, this.#config.maxStarting)) this.#spawn();
    while (this.#idle.length > this.#config.maxIdle) this.#retire(this.#idle.shift()!);
  }

  /** The next job a free thread may take: adopts first, executes while under `maxWorkers`. */
  #nextJob(): Job | undefined {
    if (this.#adopts.length > 0) return this.#adopts.shift();
    if (this.#executing < this.#config.maxWorkers) return this.#executes.shift();
    return undefined;
  }

  /**
   * `first` and the executes a thread takes with it in one message: an even share of the queue
   * among the threads executes may still use, at most {@link maxBatch}. A lone payload goes alone.
   */
  #batch(first: Job): Job[] {
    const jobs = [first];
    if (this.#executes.length === 0) return jobs;
    const threads = Math.max(1, this.#config.maxWorkers - this.#executing);
    const size = Math.min(maxBatch, Math.ceil((this.#executes.length + 1) / threads));
    while (jobs.length < size) jobs.push(this.#executes.shift()!);
    return jobs;
  }

  #spawn(): void {
    const worker = new Worker(this.#config.entry, {
      resourceLimits: this.#config.resourceLimits,
      // The payloads' output goes where the process's goes.
      stdout: false,
      stderr: false,
      workerData: { forwardChannels: this.#config.forwardChannels ?? [] } satisfies WorkerStartData,
    });
    let exited!: () => void;
    const thread: Thread = {
      worker,
      state: 'starting',
      job: undefined,
      pending: [],
      runId: 0,
      last: undefined,
      error: undefined,
      exited: new Promise((resolve) => (exited = resolve)),
    };
    this.#threads.add(thread);
    this.#starting++;
    this.#started++;
    worker.on('message', (message: FromWorker) => this.#onMessage(thread, message));
    worker.on('error', (error) => {
      thread.error ??= error;
    });
    worker.on('messageerror', (error) => {
      if (thread.state === 'exiting') return;
      // An answer that could not be received: its run cannot end otherwise.
      const job = this.#detach(thread);
      this.#retire(thread);
      job?.fail(new Error(`the answer of threading payload '${job.name}' could not be received: ${error.message}`, { cause: error }));
      this.#pump();
    });
    const { startTimeout } = this.#config;
    if (startTimeout !== undefined) {
      thread.startLimit = setTimeout(() => {
        thread.error ??= new Error(`the worker thread did not start within ${startTimeout} ms (threading option startTimeout)`);
        void worker.terminate();
      }, startTimeout).unref();
    }
    worker.on('exit', (code) => {
      clearTimeout(thread.startLimit);
      this.#onExit(thread, code);
      exited();
    });
  }

  #onMessage(thread: Thread, message: FromWorker): void {
    if (message.type === 'diagnostic') {
      // Published in the worker, also just before it was terminated: it happened.
      const target = channel(message.channel);
      if (target.hasSubscribers) target.publish(message.message);
      return;
    }
    if (thread.state === 'exiting') return;
    if (message.type === 'ready') {
      if (thread.state !== 'starting' || thread.error !== undefined) return;
      clearTimeout(thread.startLimit);
      this.#starting--;
      this.#release(thread);
      this.#pump();
      return;
    }
    const job = thread.job;
    if (thread.state !== 'busy' || !job || message.id !== thread.runId) return;
    if (message.clean && thread.pending.length > 0) {
      // On to the next run of its batch, which the thread begins by itself.
      const next = thread.pending.shift()!;
      thread.job = next;
      thread.last = next.name;
      thread.runId++;
      job.done(message);
      return;
    }
    this.#detach(thread);
    if (message.clean) this.#release(thread);
    else {
      this.#config.logger.debug({ payload: job.name }, `payload '${job.name}' left timers, sockets or other handles active in its worker thread: the thread is terminated, not reused`);
      this.#retire(thread);
    }
    job.done(message);
    this.#pump();
  }

  #onExit(thread: Thread, code: number): void {
    this.#threads.delete(thread);
    const index = this.#idle.indexOf(thread);
    if (index >= 0) this.#idle.splice(index, 1);
    const state = thread.state;
    thread.state = 'exiting';
    if (this.#closed) return;
    if (state === 'exiting') {
      // Retired after its payload answered, it crashed before it was gone: a timer the payload
      // left behind threw. The payload's outcome is given already; the crash must not vanish.
      if (thread.error !== undefined) {
        this.#config.logger.warn({ err: thread.error, code, payload: thread.last }, `the worker thread of threading payload '${thread.last}' crashed after the payload had ended: ${String(thread.error)}`);
      }
      return;
    }
    if (state === 'starting') {
      this.#starting--;
      // Nobody ran on it, but whoever waits first would have: that run fails, so that a
      // thread that cannot start (a bad entry, resourceLimits too small) never means a hang.
      const job = this.#nextJob();
      if (job) job.fail(new WorkerCrashed(job.name, code, true, thread.error));
      else this.#config.logger.error({ err: thread.error, code }, `a threading worker thread failed to start (exit code ${code})`);
    } else if (state === 'busy') {
      const job = this.#detach(thread);
      job?.fail(new WorkerCrashed(job.name, code, false, thread.error));
    } else {
      this.#config.logger.warn({ err: thread.error, code }, `an idle threading worker thread exited with code ${code}`);
    }
    this.#pump();
  }

  /** Send `jobs` to `thread`: one run, or a batch of executes that it runs one after another. */
  #dispatch(thread: Thread, jobs: Job[]): void {
    const runs: { job: Job; message: ReturnType<Job['message']> }[] = [];
    for (const job of jobs) {
      try {
        runs.push({ job, message: job.message() });
      } catch (error) {
        job.fail(error);
      }
    }
    if (runs.length === 0) {
      this.#release(thread);
      return;
    }
    const job = runs[0]!.job;
    thread.state = 'busy';
    thread.job = job;
    thread.pending = runs.slice(1).map((run) => run.job);
    thread.last = job.name;
    const first = thread.runId + 1;
    thread.runId = first;
    if (job.kind === 'execute') {
      this.#executing++;
      this.#peakExecuting = Math.max(this.#peakExecuting, this.#executing);
    }
    thread.worker.ref();
    const requests = runs.map(({ message }, i) => ({ type: 'run' as const, id: first + i, payload: message.payload, args: message.args }));
    try {
      thread.worker.postMessage(requests.length === 1 ? requests[0] : { type: 'batch', runs: requests });
    } catch (error) {
      if (runs.length > 1) {
        // One of them cannot be cloned; which one is told by sending them one by one: this one
        // now, the rest when the thread is free again.
        this.#executes.unshift(thread.pending.splice(0));
        this.#detach(thread);
        this.#release(thread);
        this.#idle.pop();
        this.#dispatch(thread, [job]);
        return;
      }
      this.#detach(thread);
      this.#release(thread);
      job.fail(job.unsendable(runs[0]!.message, error));
    }
  }

  /**
   * Take the job off a busy thread. The runs it was sent after that job never began: they go
   * back to the front of the queue, for another thread.
   */
  #detach(thread: Thread): Job | undefined {
    const job = thread.job;
    thread.job = undefined;
    if (thread.pending.length > 0) this.#executes.unshift(thread.pending.splice(0));
    if (job?.kind === 'execute') this.#executing--;
    return job;
  }

  /** The thread is free: it waits, unreferenced, in the idle list. */
  #release(thread: Thread): void {
    thread.state = 'idle';
    thread.worker.unref();
    this.#idle.push(thread);
  }

  #retire(thread: Thread): void {
    if (thread.state === 'exiting') return;
    if (thread.state === 'starting') this.#starting--;
    const index = this.#idle.indexOf(thread);
    if (index >= 0) this.#idle.splice(index, 1);
    thread.state = 'exiting';
    thread.worker.terminate().catch(() => {});
  }
}
