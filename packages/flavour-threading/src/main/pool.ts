/**
 * The worker threads of one threading runner, and which run goes to which thread.
 *
 * Design (check it against the code below):
 *
 * 1. Two queues, executes and adopts (run-queue.ts: a cancellation takes a run out by its id,
 *    so cancelling N queued runs is O(N)). Executes use at most `maxWorkers` threads at once;
 *    an adopted payload gets a thread of its own for as long as it runs.
 * 2. Idle threads wait in one list per role, the most recently used last. An execute takes an
 *    idle execute thread, or an idle adopt thread; an adopt takes only an idle adopt thread and
 *    otherwise a new one (a few start at a time, and while threads run adopts only once none of
 *    them has taken a waiting adopt for {@link adoptSpawnDelay} ms): adopts never take threads
 *    kept warm for executes, and a burst of short adopts is served by the warm ones. A thread
 *    goes back to the idle list it was started for.
 * 3. A thread that executes is sent more runs than the one it runs (an even share of the queue,
 *    at most {@link maxDepth}), and topped up whenever it answers, so that it never waits for
 *    the main thread. Runs and answers travel through the thread's mailbox (shared memory; see
 *    shared/mailbox.ts), the port carrying only what does not fit.
 * 4. No run waits behind a slow one while a thread is idle: an idle thread takes back the later
 *    half of the runs a busy thread has not begun (their claim slots: the worker claims a run
 *    before it begins it, the pool revokes one it has not, and exactly one of them wins, so no
 *    run executes twice or is lost).
 * 5. A run that left something behind in its thread (thread.ts, worker/leftovers.ts) is that
 *    thread's last: the thread is terminated and the runs it had not begun go back to the front
 *    of the queue. An error that kills a thread is blamed on the run it came from.
 * 6. Stopping a run: one not begun leaves the queue (or is revoked) and settles as cancelled;
 *    one running has its signal aborted and its grace period to return, then its thread is
 *    terminated, and it settles as cancelled once the thread has exited. Under a ServiceRunner
 *    the kernel has abandoned it by then (with a warning): the kernel starts its abandon timer
 *    before it asks the runner to cancel, with the same timeout, so its timer fires first,
 *    before the thread's exit can be reported (kernel/test/cut-short.test.ts).
 * 7. Closing: queued runs are cancelled, running ones stopped as in 6, idle threads terminated;
 *    a thread that cannot be terminated (blocked in a synchronous call) is reported, and cannot
 *    keep the process from exiting (stuck-threads.ts).
 */
import type { Logger } from '@cobald/kernel';
import { WorkerCrashed } from '../errors.js';
import type { PoolStats } from '../types.js';
import { RunQueue } from './run-queue.js';
import { Thread, type Job, type Role, type Run, type RunDone, type ThreadEvents } from './thread.js';

export type { Job, RunDone } from './thread.js';

/**
 * How a pool runs its threads.
 *
 * @example
 * const config: PoolConfig = { maxWorkers: 4, maxIdle: 4, maxStarting: 4, resourceLimits: undefined, entry, logger };
 */
export interface PoolConfig {
  /** The threads that executes may use at once. */
  readonly maxWorkers: number;
  /** Threads kept warm while idle, for executes and for adopts each. */
  readonly maxIdle: number;
  /** Threads that may be starting at once for adopts. */
  readonly maxStarting: number;
  readonly resourceLimits: import('node:worker_threads').ResourceLimits | undefined;
  /** The worker entry: dist/worker/entry.js. */
  readonly entry: URL;
  readonly logger: Logger;
  /** The diagnostics channels that workers forward to the main thread; none by default. */
  readonly forwardChannels?: readonly string[];
  /** Milliseconds a thread may take to start before it is terminated; no limit by default. */
  readonly startTimeout?: number;
  /** Milliseconds a terminated thread may take to exit before it is reported as stuck. Default 2000. */
  readonly stuckAfter?: number;
}

/** The most runs a thread that executes is sent ahead of its answers. */
const maxDepth = 64;
/** Milliseconds adopts wait for a warm thread before threads are started for them, while threads run adopts. */
const adoptSpawnDelay = 2;

/**
 * The threads of one runner. Submit jobs; close to stop everything.
 *
 * @example
 * const pool = new WorkerPool({ maxWorkers: 4, maxIdle: 4, maxStarting: 4, resourceLimits: undefined, entry, logger });
 * pool.submit(job);
 * await pool.close();
 */
export class WorkerPool implements ThreadEvents {
  readonly #config: PoolConfig;
  readonly #threadConfig: ConstructorParameters<typeof Thread>[0];
  readonly #threads = new Set<Thread>();
  /** Idle threads by role, the most recently used last. */
  readonly #idle: Record<Role, Thread[]> = { execute: [], adopt: [] };
  readonly #executes = new RunQueue<Job>((job) => job.id);
  readonly #adopts = new RunQueue<Job>((job) => job.id);
  /** Where each sent job is, by its id. */
  readonly #sent = new Map<number, Thread>();
  /** Threads busy with executes (at most `maxWorkers`). */
  readonly #executing = new Set<Thread>();
  /** Threads busy with adopts. */
  readonly #adopting = new Set<Thread>();
  /** Adopts handed to a warm thread so far, and the timer that starts threads for adopts when that stops growing. */
  #adoptsTaken = 0;
  #adoptSpawn: NodeJS.Timeout | undefined;
  readonly #starting: Record<Role, number> = { execute: 0, adopt: 0 };
  /** Threads whose last run left something behind: they take nothing more. */
  readonly #spent = new WeakSet<Thread>();
  #started = 0;
  #peakExecuting = 0;
  #closed = false;

  constructor(config: PoolConfig) {
    this.#config = config;
    this.#threadConfig = {
      entry: config.entry,
      resourceLimits: config.resourceLimits,
      forwardChannels: config.forwardChannels ?? [],
      logger: config.logger,
      startTimeout: config.startTimeout,
      stuckAfter: config.stuckAfter ?? 2000,
    };
  }

  /** Run `job` on a free thread, or queue it until one is free. */
  submit(job: Job): void {
    (job.kind === 'adopt' ? this.#adopts : this.#executes).push(job);
    this.#pump();
  }

  stats(): PoolStats {
    let busy = 0;
    let sent = 0;
    for (const thread of this.#threads) {
      if (thread.state !== 'busy') continue;
      busy++;
      sent += Math.max(0, thread.runs.length - 1);
    }
    return {
      workers: this.#threads.size,
      starting: this.#starting.execute + this.#starting.adopt,
      idle: this.#idle.execute.length + this.#idle.adopt.length,
      busy,
      executing: this.#executing.size,
      // Runs sent to a thread ahead of the one it runs wait as well.
      queued: this.#adopts.length + this.#executes.length + sent,
      started: this.#started,
      peakExecuting: this.#peakExecuting,
    };
  }

  /**
   * Stop the job of payload `id`: a queued one (or one sent, not begun) settles as cancelled; a
   * running one has its signal aborted and its grace period to return, then its thread is
   * terminated. Does nothing for a payload that is not here.
   */
  cancel(id: number): void {
    const queued = this.#executes.remove(id) ?? this.#adopts.remove(id);
    if (queued) {
      queued.cancel();
      return;
    }
    const thread = this.#sent.get(id);
    if (!thread) return;
    const run = thread.runs.find((candidate) => candidate.job.id === id);
    if (!run) {
      this.#sent.delete(id);
      return;
    }
    if (thread.revoke(run)) {
      this.#sent.delete(id);
      run.job.cancel();
      if (thread.runs.length === 0) {
        this.#free(thread);
        this.#pump();
      }
    } else thread.stop(run);
  }

  /**
   * Stop everything: queued jobs settle as cancelled, running ones are stopped as by
   * {@link cancel} (each with its grace period), idle threads are terminated. Resolves once
   * every thread has exited or has been reported as stuck.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#adoptSpawn);
    for (const job of this.#adopts.drain()) job.cancel();
    for (const job of this.#executes.drain()) job.cancel();
    const gone: Promise<void>[] = [];
    for (const thread of this.#threads) {
      gone.push(thread.gone);
      if (thread.state !== 'busy') {
        thread.terminate();
        continue;
      }
      for (const run of [...thread.runs].reverse()) {
        if (thread.revoke(run)) {
          this.#sent.delete(run.job.id);
          run.job.cancel();
        } else thread.stop(run);
      }
      if (thread.runs.length === 0) thread.terminate();
    }
    this.#idle.execute.length = 0;
    this.#idle.adopt.length = 0;
    await Promise.all(gone);
  }

  // --- what threads report (ThreadEvents) ---

  ready(thread: Thread): void {
    this.#starting[thread.role]--;
    if (this.#closed) thread.terminate();
    else {
      this.#free(thread);
      this.#pump();
    }
  }

  answered(thread: Thread, run: Run, answer: RunDone): void {
    this.#sent.delete(run.job.id);
    if (!answer.clean && !this.#spent.has(thread)) {
      this.#spent.add(thread);
      this.#config.logger.debug(
        { payload: run.job.name },
        `payload '${run.job.name}' left timers, sockets or other handles active in its worker thread: the thread is terminated, not reused`,
      );
    }
    run.job.done(answer);
  }

  drained(thread: Thread): void {
    if (this.#spent.has(thread)) {
      this.#retire(thread);
      this.#pump();
    } else if (thread.runs.length === 0) {
      this.#free(thread);
      this.#pump();
    } else if (this.#executing.has(thread) && this.#executes.length > 0 && !this.#closed) this.#fill(thread);
  }

  exited(thread: Thread, code: number, back: Job[], ran: Job | undefined, starting: boolean): void {
    this.#threads.delete(thread);
    this.#unidle(thread);
    this.#executing.delete(thread);
    this.#adopting.delete(thread);
    if (ran) this.#sent.delete(ran.id);
    for (const job of back) this.#sent.delete(job.id);
    if (starting) this.#starting[thread.role]--;
    if (this.#closed) {
      for (const job of back) job.cancel();
      return;
    }
    this.#requeue(back);
    if (starting) {
      // Nobody ran on it, but whoever waits first would have: that run fails, so that a thread
      // that cannot start (a bad entry, resourceLimits too small) never means a hang.
      const job = (thread.role === 'adopt' ? this.#adopts : this.#executes).shift();
      if (job) job.fail(new WorkerCrashed(job.name, code, true, thread.error));
      else this.#config.logger.error({ err: thread.error, code }, `a threading worker thread failed to start (exit code ${code})`);
    }
    this.#pump();
  }

  // --- scheduling ---

  /** Hand free threads to waiting jobs, top up busy ones, start threads for the rest, trim the idle. */
  #pump(): void {
    if (this.#closed) return;
    const { maxWorkers, maxStarting, maxIdle } = this.#config;
    const executes = this.#executes;
    while (executes.length > 0 && this.#executing.size < maxWorkers) {
      const thread = this.#idle.execute.pop() ?? this.#idle.adopt.pop();
      if (!thread) break;
      this.#occupy(thread, 'execute');
      this.#fill(thread);
      if (thread.runs.length === 0) this.#free(thread);
    }
    if (executes.length > 0) {
      for (const thread of this.#executing) if (thread.runs.length < maxDepth / 2) this.#fill(thread);
    } else this.#share();
    while (this.#adopts.length > 0 && this.#idle.adopt.length > 0) {
      const thread = this.#idle.adopt.pop()!;
      this.#occupy(thread, 'adopt');
      this.#adoptsTaken++;
      this.#track(thread, thread.send([this.#adopts.shift()!]));
      if (thread.runs.length === 0) this.#free(thread);
    }
    const executeDemand = Math.min(executes.length, maxWorkers - this.#executing.size);
    while (this.#starting.execute < executeDemand) this.#spawn('execute');
    if (this.#adopts.length > 0 && this.#starting.adopt < maxStarting) {
      // While threads run adopts, one of them may be free in a moment: a new thread (tens of
      // ms to start) only once none has taken a waiting adopt for a while.
      if (this.#adopting.size === 0) this.#spawnForAdopts();
      else this.#spawnForAdoptsLater();
    }
    for (const idle of [this.#idle.execute, this.#idle.adopt]) {
      while (idle.length > maxIdle) this.#retire(idle.shift()!);
    }
  }

  /**
   * Send a thread that executes its share of the queue: as many as make it hold an even share
   * of what waits, at most {@link maxDepth} and what its mailbox holds; at least one.
   */
  #fill(thread: Thread): void {
    const executes = this.#executes;
    const share = Math.ceil(executes.length / this.#config.maxWorkers);
    const count = Math.min(executes.length, thread.capacity(), maxDepth - thread.runs.length, Math.max(1, share));
    if (count <= 0) return;
    const jobs: Job[] = [];
    while (jobs.length < count) jobs.push(executes.shift()!);
    this.#track(thread, thread.send(jobs));
  }

  /**
   * While a thread that executes may use is idle and a busy thread has runs it has not begun,
   * the idle one takes back the later half of them and runs them: runs sent ahead never make a
   * payload wait that an idle thread could run.
   */
  #share(): void {
    while (this.#executing.size < this.#config.maxWorkers && this.#idle.execute.length + this.#idle.adopt.length > 0) {
      let victim: Thread | undefined;
      for (const thread of this.#executing) {
        if (thread.runs.length > Math.max(1, victim?.runs.length ?? 0)) victim = thread;
      }
      if (!victim) return;
      const taken = victim.revokeLast(Math.floor(victim.runs.length / 2));
      if (taken.length === 0) return;
      const thread = (this.#idle.execute.pop() ?? this.#idle.adopt.pop())!;
      this.#occupy(thread, 'execute');
      this.#track(thread, thread.send(taken));
      if (thread.runs.length === 0) this.#free(thread);
    }
  }

  #spawnForAdopts(): void {
    const demand = Math.min(this.#adopts.length, this.#config.maxStarting);
    while (this.#starting.adopt < demand) this.#spawn('adopt');
  }

  #spawnForAdoptsLater(): void {
    if (this.#adoptSpawn !== undefined) return;
    const taken = this.#adoptsTaken;
    this.#adoptSpawn = setTimeout(() => {
      this.#adoptSpawn = undefined;
      if (this.#closed || this.#adopts.length === 0) return;
      if (this.#adoptsTaken === taken) this.#spawnForAdopts();
      this.#pump();
    }, adoptSpawnDelay).unref();
  }

  #track(thread: Thread, runs: readonly Run[]): void {
    for (const run of runs) this.#sent.set(run.job.id, thread);
  }

  #spawn(role: Role): void {
    const thread = new Thread(this.#threadConfig, role, this);
    this.#threads.add(thread);
    this.#starting[role]++;
    this.#started++;
  }

  #occupy(thread: Thread, role: Role): void {
    thread.occupy(role);
    if (role === 'execute') {
      this.#executing.add(thread);
      this.#peakExecuting = Math.max(this.#peakExecuting, this.#executing.size);
    } else this.#adopting.add(thread);
  }

  /** A thread with no runs: idle, in the list of its role (or ended, when the pool is closed). */
  #free(thread: Thread): void {
    this.#executing.delete(thread);
    this.#adopting.delete(thread);
    if (this.#closed) {
      thread.terminate();
      return;
    }
    if (thread.state === 'idle' || thread.state === 'exiting') return;
    // A thread of adopts that executes borrowed is warm for adopts again.
    thread.role = thread.home;
    thread.release();
    this.#idle[thread.role].push(thread);
  }

  /** End a thread that takes nothing more; the runs it has not begun go back to the queue. */
  #retire(thread: Thread): void {
    this.#unidle(thread);
    this.#executing.delete(thread);
    this.#adopting.delete(thread);
    const back = thread.revokeLast(thread.runs.length);
    for (const job of back) this.#sent.delete(job.id);
    this.#requeue(back);
    thread.terminate();
  }

  /** Put jobs that a thread never began back at the front of their queue, in their order. */
  #requeue(jobs: readonly Job[]): void {
    this.#executes.unshift(jobs.filter((job) => job.kind !== 'adopt'));
    this.#adopts.unshift(jobs.filter((job) => job.kind === 'adopt'));
  }

  #unidle(thread: Thread): void {
    const idle = this.#idle[thread.role];
    const index = idle.indexOf(thread);
    if (index >= 0) idle.splice(index, 1);
  }
}
