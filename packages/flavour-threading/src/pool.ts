/**
 * The worker threads of one threading runner: started on demand, reused while warm, and
 * bounded where it matters.
 *
 * - Executed payloads share at most `maxWorkers` threads and wait in a queue beyond that. An
 *   adopted payload gets a thread of its own for as long as it runs (it may run forever). Adopts
 *   never hold up executes: a thread kept warm for executes is never given to an adopt, and the
 *   threads started for adopts (a few at a time) do not delay the ones started for executes.
 * - Queued executes travel to a thread in batches, and a thread that answers is sent more
 *   before it runs out, so that it never waits for the main thread; but none waits behind a
 *   slow one while a thread is idle: an idle thread takes back the runs a busy thread has not
 *   begun (their claim slots, see protocol.ts) and runs them.
 * - A thread is reused only when nothing of its last payload can still fail in it; a thread
 *   whose payload crashed it, or left timers, sockets or other handles behind, is terminated.
 *   An uncaught error in a thread is blamed on the payload it came from.
 * - A payload that is stopped has its signal aborted and its grace period to return; then its
 *   thread is terminated. A thread that cannot be terminated (blocked in a synchronous call) is
 *   reported, no longer keeps the process alive, and cannot keep it from exiting (see
 *   stuck-threads.ts).
 */
import { randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger, RunKind } from '@cobald/kernel';
import { WorkerCrashed } from './errors.js';
import {
  decodeAnswer,
  encodeRun,
  maxUnanswered,
  newClaims,
  openSlot,
  revokeSlot,
  type FromWorker,
  type PayloadSource,
  type RunDone,
  type ToWorker,
  type WorkerStartData,
} from './protocol.js';
import { Queue } from './queue.js';
import { guardExit, releaseExitGuard } from './stuck-threads.js';
import { fromThrown, type Thrown } from './thrown.js';
import type { PoolStats } from './types.js';

/**
 * One payload run, as the pool sees it.
 *
 * @example
 * pool.submit({ id, kind: 'execute', name, grace: 3000, args, source: () => toPayloadSource(payload, name), unsendable, done, fail, cancel });
 */
export interface Job {
  /** The payload's id (its RunContext's), to cancel it by. */
  readonly id: number;
  readonly kind: RunKind;
  readonly name: string;
  /** Milliseconds the payload has to return once its signal aborts, before its thread is terminated. */
  readonly grace: number;
  readonly args: readonly unknown[];
  /** The payload as a thread runs it, made when a thread is free for it; throws if the payload cannot be sent. */
  source(): PayloadSource;
  /** The error for a payload and arguments that could not be cloned to the thread. */
  unsendable(source: PayloadSource, error: unknown): unknown;
  /** The thread answered. */
  done(answer: RunDone): void;
  /** The run failed without an answer (its thread died, its message could not be sent). */
  fail(error: unknown): void;
  /** The run was stopped: taken out of the queue, or its thread terminated. */
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
  /** Threads kept warm while idle, for executes and for adopts each. */
  readonly maxIdle: number;
  /** Threads that may be starting at once for adopts. */
  readonly maxStarting: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** The worker entry: dist/worker.js. */
  readonly entry: URL;
  readonly logger: Logger;
  /** The diagnostics channels that workers forward to the main thread; none by default. */
  readonly forwardChannels?: readonly string[];
  /** Milliseconds a thread may take to start before it is terminated; no limit by default. */
  readonly startTimeout?: number;
  /** Milliseconds a terminated thread may take to exit before it is reported as stuck. Default 2000. */
  readonly stuckAfter?: number;
}

/**
 * The channel on which messages that payloads post on their thread's parent port are passed
 * on: `{ payload, message }`, `payload` being the name of the payload the thread runs (or ran
 * last). They are not the pool's, and have no other effect.
 */
export const payloadMessages = channel('cobald:threading:message');

/** What a thread is for: executes (at most `maxWorkers` at once) or adopts. */
type Role = 'execute' | 'adopt';
type ThreadState = 'starting' | 'idle' | 'busy' | 'exiting';

/** A job sent to a thread, under the run id it has there. */
interface Run {
  readonly job: Job;
  readonly id: number;
  /** Asked to stop: its signal aborted when it begins, or has. */
  cancelling: boolean;
}

interface Thread {
  readonly worker: Worker;
  readonly tag: string;
  readonly claims: Int32Array;
  state: ThreadState;
  role: Role;
  /** The run it runs (or is about to begin: the first of a batch not answered yet). */
  current: Run | undefined;
  /** Runs sent after `current`, not begun as far as we know, in order. */
  pending: Run[];
  lastId: number;
  /** The payloads this thread keeps by number (sent once, named after that). */
  readonly sources: Map<PayloadSource, number>;
  lastSource: number;
  /** Whether it is counted among the threads busy with executes. */
  executing: boolean;
  /** The names of its recent runs, to blame for an uncaught error that comes from one (see {@link nameOf}). */
  readonly names: string[];
  readonly nameIds: number[];
  /** The error the thread reported before it exited, if any. */
  error: unknown;
  /** The run an uncaught error that is ending the thread came from, with the error. */
  crash: { readonly id: number; readonly error: Thrown } | undefined;
  readonly exited: Promise<void>;
  markExited(): void;
  /** Terminates it if it is still starting when the start timeout is over. */
  startLimit: NodeJS.Timeout | undefined;
  /** Terminates it when the run being cancelled has not returned within its grace period. */
  graceLimit: NodeJS.Timeout | undefined;
  /** Reports it as stuck if it has not exited some time after it was terminated. */
  stuckLimit: NodeJS.Timeout | undefined;
}

/** The most executes sent to a thread in one message. */
const maxBatch = 64;
/** A thread busy with executes is sent more once fewer than this many wait on it. */
const refillBelow = maxBatch / 2;
/** The names of runs a thread remembers, for blame: those in flight and some answered. */
const rememberedNames = maxUnanswered + 16;
/** Milliseconds after its grace period that a run whose thread was terminated settles (see #stop). */
const lateSettle = 100;
/** The name of run `id` of `thread`, if it is recent enough to be remembered. */
function nameOf(thread: Thread, id: number): string | undefined {
  return thread.nameIds[id % rememberedNames] === id ? thread.names[id % rememberedNames] : undefined;
}
/** The most payloads a thread keeps by number; more travel with each run. */
const maxSources = 1024;

/**
 * The threads of one runner. Submit jobs; close to stop everything.
 *
 * @example
 * const pool = new WorkerPool({ maxWorkers: 4, maxIdle: 4, maxStarting: 4, resourceLimits: undefined, entry, logger });
 * pool.submit(job);
 * await pool.close();
 */
export class WorkerPool {
  readonly #config: PoolConfig;
  readonly #threads = new Set<Thread>();
  /** Idle threads by role, the most recently used last. */
  readonly #idle: Record<Role, Thread[]> = { execute: [], adopt: [] };
  readonly #adopts = new Queue<Job>();
  readonly #executes = new Queue<Job>();
  readonly #starting: Record<Role, number> = { execute: 0, adopt: 0 };
  /** Threads busy with executes. */
  #executing = 0;
  #started = 0;
  #peakExecuting = 0;
  #closed = false;
  /** Runs terminated at the end of their grace period that settle once their thread has exited. */
  readonly #late = new Set<Promise<void>>();

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
      starting: this.#starting.execute + this.#starting.adopt,
      idle: this.#idle.execute.length + this.#idle.adopt.length,
      busy,
      executing: this.#executing,
      // Runs sent to a thread in a batch but not begun wait as well.
      queued: this.#adopts.length + this.#executes.length + sent,
      started: this.#started,
      peakExecuting: this.#peakExecuting,
    };
  }

  /**
   * Stop the job of payload `id`: a queued one (or one sent in a batch, not begun) leaves the
   * queue and settles as cancelled; a running one has its signal aborted and its grace period
   * to return, then its thread is terminated. Does nothing for a payload that is not here.
   */
  cancel(id: number): void {
    const byId = (job: Job): boolean => job.id === id;
    const queued = this.#adopts.remove(byId) ?? this.#executes.remove(byId);
    if (queued) {
      queued.cancel();
      return;
    }
    for (const thread of this.#threads) {
      if (thread.state !== 'busy') continue;
      if (thread.current?.job.id === id) {
        this.#stop(thread, thread.current);
        return;
      }
      const index = thread.pending.findIndex((run) => run.job.id === id);
      if (index < 0) continue;
      const run = thread.pending[index]!;
      if (revokeSlot(thread.claims, run.id)) {
        thread.pending.splice(index, 1);
        run.job.cancel();
      } else {
        // The thread has begun it already: it is the next to answer.
        this.#post(thread, { tag: thread.tag, type: 'cancel', id: run.id });
        run.cancelling = true;
      }
      return;
    }
  }

  /**
   * Stop everything: queued jobs settle as cancelled, running ones are stopped as by
   * {@link cancel} (each with its grace period), idle threads are terminated. Resolves once
   * every thread has exited or has been reported as stuck.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of [...this.#adopts.drain(), ...this.#executes.drain()]) job.cancel();
    const exits: Promise<void>[] = [];
    for (const thread of this.#threads) {
      exits.push(thread.exited);
      if (thread.state !== 'busy' || !thread.current) {
        this.#retire(thread);
        continue;
      }
      for (const run of thread.pending.splice(0)) {
        if (revokeSlot(thread.claims, run.id)) run.job.cancel();
        else thread.pending.push(run);
      }
      this.#stop(thread, thread.current);
    }
    this.#idle.execute.length = 0;
    this.#idle.adopt.length = 0;
    await Promise.all(exits);
    await Promise.all(this.#late);
  }

  /** Hand free threads to waiting jobs, share out batches, start threads for the rest, trim the idle. */
  #pump(): void {
    if (this.#closed) return;
    const { maxWorkers, maxStarting, maxIdle } = this.#config;
    while (this.#executes.length > 0 && this.#executing < maxWorkers) {
      const thread = this.#idle.execute.pop() ?? this.#idle.adopt.pop();
      if (!thread) break;
      this.#dispatch(thread, 'execute', this.#batch(this.#executes.shift()!));
    }
    if (this.#executes.length === 0) this.#shareBatches();
    while (this.#adopts.length > 0 && this.#idle.adopt.length > 0) {
      this.#dispatch(this.#idle.adopt.pop()!, 'adopt', [this.#adopts.shift()!]);
    }
    const executeDemand = Math.min(this.#executes.length, maxWorkers - this.#executing);
    while (this.#starting.execute < executeDemand) this.#spawn('execute');
    const adoptDemand = Math.min(this.#adopts.length, Math.max(2, maxStarting));
    while (this.#starting.adopt < adoptDemand) this.#spawn('adopt');
    for (const idle of [this.#idle.execute, this.#idle.adopt]) {
      while (idle.length > maxIdle) this.#retire(idle.shift()!);
    }
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

  /**
   * While a thread that executes may use is idle and a busy thread has runs it has not begun,
   * the idle one takes back the later half of them and runs them: a batch never makes a payload
   * wait that an idle thread could run.
   */
  #shareBatches(): void {
    while (this.#executing < this.#config.maxWorkers && this.#idle.execute.length + this.#idle.adopt.length > 0) {
      let victim: Thread | undefined;
      for (const thread of this.#threads) {
        if (thread.state === 'busy' && thread.pending.length > (victim?.pending.length ?? 0)) victim = thread;
      }
      if (!victim) return;
      const share = Math.ceil(victim.pending.length / 2);
      const taken: Job[] = [];
      while (taken.length < share) {
        const run = victim.pending[victim.pending.length - 1]!;
        if (!revokeSlot(victim.claims, run.id)) break;
        victim.pending.pop();
        taken.unshift(run.job);
      }
      if (taken.length === 0) return;
      this.#dispatch((this.#idle.execute.pop() ?? this.#idle.adopt.pop())!, 'execute', taken);
    }
  }

  #spawn(role: Role): void {
    const tag = randomUUID();
    const claims = newClaims();
    const worker = new Worker(this.#config.entry, {
      resourceLimits: this.#config.resourceLimits,
      // The payloads' output goes where the process's goes.
      stdout: false,
      stderr: false,
      workerData: { tag, claims, forwardChannels: this.#config.forwardChannels ?? [] } satisfies WorkerStartData,
    });
    let markExited!: () => void;
    const thread: Thread = {
      worker,
      tag,
      claims,
      state: 'starting',
      role,
      current: undefined,
      pending: [],
      lastId: 0,
      sources: new Map(),
      lastSource: 0,
      executing: false,
      names: [],
      nameIds: [],
      error: undefined,
      crash: undefined,
      exited: new Promise((resolve) => (markExited = resolve)),
      markExited: () => markExited(),
      startLimit: undefined,
      graceLimit: undefined,
      stuckLimit: undefined,
    };
    this.#threads.add(thread);
    this.#starting[role]++;
    this.#started++;
    worker.on('message', (message: unknown) => this.#onMessage(thread, message));
    worker.on('error', (error) => {
      thread.error ??= error;
    });
    worker.on('messageerror', (error) => {
      if (thread.state !== 'busy') return;
      // An answer that could not be received: its run cannot end otherwise.
      const run = this.#detach(thread);
      this.#retire(thread);
      run?.job.fail(
        new Error(`the answer of threading payload '${run.job.name}' could not be received: ${error.message}`, { cause: error }),
      );
      this.#pump();
    });
    const { startTimeout } = this.#config;
    if (startTimeout !== undefined) {
      thread.startLimit = setTimeout(() => {
        thread.error ??= new Error(`the worker thread did not start within ${startTimeout} ms (threading option startTimeout)`);
        void worker.terminate();
      }, startTimeout).unref();
    }
    worker.on('exit', (code) => this.#onExit(thread, code));
  }

  #onMessage(thread: Thread, received: unknown): void {
    if ((received as { tag?: unknown } | null)?.tag !== thread.tag) {
      // Posted by a payload on its parent port (progress, say): not the pool's.
      if (payloadMessages.hasSubscribers) {
        const name = thread.current?.job.name ?? nameOf(thread, thread.lastId);
        payloadMessages.publish({ payload: name, message: received });
      }
      return;
    }
    const message = received as FromWorker;
    switch (message.type) {
      case 'diagnostic': {
        // Published in the worker, also just before it was terminated: it happened.
        const target = channel(message.channel);
        if (target.hasSubscribers) target.publish(message.message);
        return;
      }
      case 'crash':
        thread.crash = { id: message.id, error: message.error };
        return;
      case 'ready':
        if (thread.state !== 'starting' || thread.error !== undefined) return;
        clearTimeout(thread.startLimit);
        this.#starting[thread.role]--;
        this.#release(thread);
        this.#pump();
        return;
      case 'answers':
        for (let i = 0; i < message.answers.length; i += 3) this.#onDone(thread, decodeAnswer(message.answers, i));
    }
  }

  #onDone(thread: Thread, message: RunDone): void {
    const run = thread.current;
    if (thread.state !== 'busy' || !run || message.id !== run.id) return;
    if (run.cancelling) {
      clearTimeout(thread.graceLimit);
      thread.graceLimit = undefined;
    }
    if (message.clean && thread.pending.length > 0 && !this.#closed) {
      // On to the next run it was sent, which the thread begins by itself.
      const next = thread.pending.shift()!;
      thread.current = next;
      if (next.cancelling) this.#stop(thread, next);
      this.#refill(thread);
      run.job.done(message);
      return;
    }
    this.#detach(thread);
    if (message.clean && !this.#closed) this.#release(thread);
    else {
      if (!message.clean) {
        this.#config.logger.debug(
          { payload: run.job.name },
          `payload '${run.job.name}' left timers, sockets or other handles active in its worker thread: the thread is terminated, not reused`,
        );
      }
      this.#retire(thread);
    }
    run.job.done(message);
    this.#pump();
  }

  #onExit(thread: Thread, code: number): void {
    clearTimeout(thread.startLimit);
    clearTimeout(thread.graceLimit);
    clearTimeout(thread.stuckLimit);
    releaseExitGuard(thread.worker);
    thread.markExited();
    this.#threads.delete(thread);
    this.#unidle(thread);
    const state = thread.state;
    thread.state = 'exiting';
    const crash = thread.crash;
    const error = thread.error ?? (crash ? fromThrown(crash.error) : undefined);
    const culprit = crash === undefined ? undefined : nameOf(thread, crash.id);
    if (state === 'starting') {
      this.#starting[thread.role]--;
      if (this.#closed) return;
      // Nobody ran on it, but whoever waits first would have: that run fails, so that a
      // thread that cannot start (a bad entry, resourceLimits too small) never means a hang.
      const job = thread.role === 'adopt' ? this.#adopts.shift() : this.#executes.shift();
      if (job) job.fail(new WorkerCrashed(job.name, code, true, thread.error));
      else this.#config.logger.error({ err: thread.error, code }, `a threading worker thread failed to start (exit code ${code})`);
    } else if (state === 'busy') {
      const run = this.#detach(thread)!;
      const earlier = crash !== undefined && crash.id !== run.id && culprit !== undefined;
      if (earlier) this.#blame(culprit, error, code);
      run.job.fail(new WorkerCrashed(run.job.name, code, false, error, earlier ? culprit : undefined));
    } else if (crash !== undefined || thread.error !== undefined) {
      // Idle, or retired after its payload answered: something that payload left behind threw.
      this.#blame(culprit ?? nameOf(thread, thread.lastId) ?? 'unknown', error, code);
    } else if (state === 'idle') {
      this.#config.logger.warn({ code }, `an idle threading worker thread exited with code ${code}`);
    }
    this.#pump();
  }

  /** Report an uncaught error that payload `name` left in its thread after it had answered. */
  #blame(name: string, error: unknown, code: number): void {
    this.#config.logger.error(
      { err: error, code, payload: name },
      `threading payload '${name}' had ended, but an uncaught error it left behind crashed its worker thread: ${String(error)}`,
    );
  }

  /**
   * Ask the thread to stop `run`: its signal aborts, and if it has not returned after its
   * grace period, its thread is terminated and it settles as cancelled once the thread has
   * exited (by then the kernel has abandoned it, see below).
   */
  #stop(thread: Thread, run: Run): void {
    if (run.cancelling && thread.graceLimit !== undefined) return;
    run.cancelling = true;
    this.#post(thread, { tag: thread.tag, type: 'cancel', id: run.id });
    const { grace } = run.job;
    // A grace period beyond what a timer can count is waiting for as long as it takes.
    if (!(grace <= 2 ** 31 - 1)) return;
    thread.graceLimit = setTimeout(() => {
      thread.graceLimit = undefined;
      if (thread.current !== run) return;
      this.#detach(thread);
      this.#retire(thread);
      // It did not stop within its time: whatever it was still doing (its cleanup) is cut
      // short. Under a ServiceRunner that is the kernel's to report: its timer for this payload
      // has the same timeout, set just after this one (in the same turn, so due at most a few
      // ms later, even on a loaded machine), and it abandons the payload with a warning, as it
      // does for any flavour. So the run settles only once its thread has exited and
      // {@link lateSettle} ms have passed; without a kernel, as cancelled.
      const late = Promise.all([thread.exited, new Promise((resolve) => setTimeout(resolve, lateSettle))]).then(() => run.job.cancel());
      this.#late.add(late);
      void late.then(() => this.#late.delete(late));
      this.#pump();
    }, grace);
  }

  /** Send `jobs` to `thread`, as `role`: one run, or a batch of executes that it runs one after another. */
  #dispatch(thread: Thread, role: Role, jobs: Job[]): void {
    thread.state = 'busy';
    thread.role = role;
    if (role === 'execute') {
      thread.executing = true;
      this.#executing++;
      this.#peakExecuting = Math.max(this.#peakExecuting, this.#executing);
    }
    thread.worker.ref();
    this.#send(thread, jobs);
    thread.current = thread.pending.shift();
    if (!thread.current) {
      // Nothing could be sent: each of them has failed.
      this.#detach(thread);
      this.#release(thread);
    }
  }

  /**
   * A thread busy with executes that has just answered, and has few runs left, is sent more
   * from the queue (its even share, at most a batch), so that it never waits for them.
   */
  #refill(thread: Thread): void {
    if (!thread.executing || thread.pending.length >= refillBelow || this.#executes.length === 0) return;
    if (this.#idle.execute.length + this.#idle.adopt.length > 0 && this.#executing < this.#config.maxWorkers) return;
    const unanswered = thread.lastId - thread.current!.id + 1;
    const size = Math.min(maxBatch, maxUnanswered - unanswered, Math.ceil(this.#executes.length / this.#config.maxWorkers));
    if (size <= 0) return;
    const jobs: Job[] = [];
    while (jobs.length < size && this.#executes.length > 0) jobs.push(this.#executes.shift()!);
    this.#send(thread, jobs);
  }

  /**
   * Send `jobs` to `thread` in one message, after what it was sent before: they join its
   * `pending` runs. A job whose payload cannot be sent fails; when the message cannot be cloned,
   * the jobs are sent one by one, to tell which one cannot.
   */
  #send(thread: Thread, jobs: Job[]): void {
    const runs: Run[] = [];
    const requests: unknown[] = [];
    const sent: PayloadSource[] = [];
    const defined: PayloadSource[] = [];
    for (const job of jobs) {
      let payload: PayloadSource;
      try {
        payload = job.source();
      } catch (error) {
        job.fail(error);
        continue;
      }
      const id = ++thread.lastId;
      openSlot(thread.claims, id);
      runs.push({ job, id, cancelling: false });
      sent.push(payload);
      const { args } = job;
      const known = thread.sources.get(payload);
      if (known !== undefined) encodeRun(requests, { id, payload: known, args });
      else if (payload.kind === 'service' || thread.sources.size >= maxSources) encodeRun(requests, { id, payload, args });
      else {
        const define = ++thread.lastSource;
        thread.sources.set(payload, define);
        defined.push(payload);
        encodeRun(requests, { id, payload, define, args });
      }
    }
    if (runs.length === 0) return;
    try {
      thread.worker.postMessage({ tag: thread.tag, type: 'runs', runs: requests } satisfies ToWorker);
    } catch (error) {
      // Nothing was sent: the thread knows none of the payloads defined here.
      for (const payload of defined) thread.sources.delete(payload);
      if (runs.length === 1) {
        const job = runs[0]!.job;
        job.fail(job.unsendable(sent[0]!, error));
        return;
      }
      for (const run of runs) this.#send(thread, [run.job]);
      return;
    }
    for (const run of runs) {
      thread.names[run.id % rememberedNames] = run.job.name;
      thread.nameIds[run.id % rememberedNames] = run.id;
      thread.pending.push(run);
    }
  }

  #post(thread: Thread, message: ToWorker): void {
    try {
      thread.worker.postMessage(message);
    } catch {
      // A thread that has exited: its exit settles what it ran.
    }
  }

  /**
   * Take the current run off a busy thread. The runs it was sent after that one and has not
   * begun go back to the front of the queue, for another thread.
   */
  #detach(thread: Thread): Run | undefined {
    const run = thread.current;
    thread.current = undefined;
    const back: Job[] = [];
    for (const waiting of thread.pending.splice(0)) {
      if (revokeSlot(thread.claims, waiting.id)) back.push(waiting.job);
      else
        waiting.job.fail(
          new WorkerCrashed(waiting.job.name, 1, false, new Error('its worker thread was terminated as it began the payload')),
        );
    }
    this.#executes.unshift(back);
    if (thread.executing) {
      thread.executing = false;
      this.#executing--;
    }
    if (thread.state === 'busy') thread.state = 'idle';
    return run;
  }

  /** The thread is free: it waits, unreferenced, in the idle list of its role. */
  #release(thread: Thread): void {
    thread.state = 'idle';
    thread.worker.unref();
    this.#idle[thread.role].push(thread);
  }

  #unidle(thread: Thread): void {
    const idle = this.#idle[thread.role];
    const index = idle.indexOf(thread);
    if (index >= 0) idle.splice(index, 1);
  }

  #retire(thread: Thread): void {
    if (thread.state === 'exiting') return;
    if (thread.state === 'starting') {
      this.#starting[thread.role]--;
      clearTimeout(thread.startLimit);
    }
    this.#unidle(thread);
    thread.state = 'exiting';
    thread.worker.terminate().catch(() => {});
    const stuckAfter = this.#config.stuckAfter ?? 2000;
    thread.stuckLimit = setTimeout(() => {
      // Terminating waits for JavaScript to run again; a thread blocked in a system call (a
      // read of a FIFO, execSync, a blocking addon) never does.
      const name = thread.current?.job.name ?? nameOf(thread, thread.lastId) ?? 'unknown';
      this.#config.logger.warn(
        { payload: name, threadId: thread.worker.threadId },
        `the worker thread of threading payload '${name}' could not be stopped: it did not end ${stuckAfter} ms ` +
          `after it was terminated, so it is blocked in a synchronous call (a read that waits, execSync, a blocking ` +
          `addon). It no longer keeps the process alive; Node.js cannot exit while it is blocked, so if it still is ` +
          `when the process exits, the process ends itself with SIGKILL`,
      );
      thread.worker.unref();
      guardExit(thread.worker, name);
      thread.markExited();
    }, stuckAfter).unref();
  }
}
