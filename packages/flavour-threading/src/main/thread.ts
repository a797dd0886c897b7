/**
 * In the main thread: one worker thread of a pool, from its start to its exit. It sends runs
 * (through the thread's mailbox, or its port for what does not fit), takes the answers, stops a
 * run (its signal aborts; after its grace period the thread is terminated), and says how each
 * run ended. Which runs go to which thread is the pool's business (pool.ts).
 */
import { channel as channelOf } from 'node:diagnostics_channel';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '@cobald/kernel';
import { WorkerCrashed } from '../errors.js';
import { answerCancelled, answerClean, answerOk, answerOnPort, Mailbox, onPort, slotCount, type TakenAnswer } from '../shared/mailbox.js';
import type { FromWorker, PayloadSource, RunData, ToWorker, WorkerStartData } from '../shared/messages.js';
import { fromThrown, type Thrown } from '../shared/thrown.js';
import { guardExit, releaseExitGuard } from './stuck-threads.js';

/**
 * One payload run, as the pool and its threads see it.
 *
 * @example
 * pool.submit({ id, kind: 'execute', name, grace: 3000, args, source: () => toPayloadSource(payload, name), unsendable, done, fail, cancel });
 */
export interface Job {
  /** The payload's id (its RunContext's), to cancel it by. */
  readonly id: number;
  readonly kind: 'adopt' | 'execute';
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
 * A run has ended. `clean`: the payload left nothing behind in its thread, which may run the
 * next. `cancelled`: its scope had been cancelled.
 *
 * @example
 * const done: RunDone = { ok: true, value: 3, clean: true, cancelled: false };
 */
export type RunDone = { readonly clean: boolean; readonly cancelled: boolean } & (
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Thrown }
);

/** A job sent to a thread, under the run id it has there. */
export interface Run {
  readonly job: Job;
  readonly id: number;
  /** Asked to stop: its signal aborted, its grace period running. */
  stopping: boolean;
}

/** What a thread is for: executes (at most `maxWorkers` at once) or adopts. */
export type Role = 'execute' | 'adopt';
export type ThreadState = 'starting' | 'idle' | 'busy' | 'exiting';

/** How threads are started and what they report to. */
export interface ThreadConfig {
  readonly entry: URL;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly forwardChannels: readonly string[];
  readonly logger: Logger;
  /** Milliseconds a thread may take to start before it is terminated; no limit when undefined. */
  readonly startTimeout: number | undefined;
  /** Milliseconds a terminated thread may take to exit before it is reported as stuck. */
  readonly stuckAfter: number;
}

/** What a thread tells its pool. */
export interface ThreadEvents {
  /** It has started and takes runs. */
  ready(thread: Thread): void;
  /** `run` ended with `answer` (its job is not settled yet: the pool does it). */
  answered(thread: Thread, run: Run, answer: RunDone): void;
  /** It has taken what answers there were; the pool may send it more. */
  drained(thread: Thread): void;
  /** It has exited (or is stuck) while `starting` or after; `back` are the runs it never began, `ran` the one it had begun. */
  exited(thread: Thread, code: number, back: Job[], ran: Job | undefined, starting: boolean): void;
}

/**
 * The channel on which messages that payloads post on their thread's parent port are passed
 * on: `{ payload, message }`, `payload` being the name of the payload the thread runs (or ran
 * last). They are not the pool's (it has a port of its own), and have no other effect.
 */
export const payloadMessages = channelOf('cobald:threading:message');

/** The most payloads a thread keeps by number; more travel with each run. */
const maxSources = 1024;
/** The names of recent runs a thread remembers, to blame an uncaught error on. */
const rememberedNames = 8;

/**
 * One worker thread.
 *
 * @example
 * const thread = new Thread(config, 'execute', events);
 * // once ready: thread.send([job]);
 */
export class Thread {
  readonly worker: Worker;
  readonly #port: MessagePort;
  readonly #mailbox = new Mailbox();
  readonly #config: ThreadConfig;
  readonly #events: ThreadEvents;
  state: ThreadState = 'starting';
  /** What it does now, and what it was started for (it goes back to that when free). */
  role: Role;
  readonly home: Role;
  /** Runs sent and not answered (the first may be running), in order; revoked ones are taken out. */
  readonly runs: Run[] = [];
  #lastId = 0;
  /** The payloads this thread keeps by number. */
  readonly #sources = new Map<PayloadSource, number>();
  #lastSource = 0;
  /** Answer values that came on the port, by run id, until their mailbox slot is taken. */
  readonly #answerData = new Map<number, unknown>();
  #waiting = false;
  /** The error the thread reported, or that ended it. */
  #error: unknown;
  /** The run an uncaught error that is ending the thread came from, with the error. */
  #crash: { readonly id: number; readonly error: Thrown } | undefined;
  readonly #recent: { id: number; name: string }[] = [];
  /** Set once the thread exited or was reported stuck. */
  #gone = false;
  #markGone!: () => void;
  /** Resolves once the thread has exited, or has been reported stuck. */
  readonly gone = new Promise<void>((resolve) => (this.#markGone = resolve));
  #startLimit: NodeJS.Timeout | undefined;
  /** Terminates the thread when {@link #graceRun}, being stopped, has not returned within its grace period. */
  #graceLimit: NodeJS.Timeout | undefined;
  #graceRun: Run | undefined;
  /** Whether the thread has said it is ready. */
  #ready = false;
  /** Whether the thread was terminated by the pool (retired, or a run's grace period ran out). */
  #terminated = false;
  readonly #onAnswer = (): void => {
    this.#waiting = false;
    this.#drain();
  };

  constructor(config: ThreadConfig, role: Role, events: ThreadEvents) {
    this.#config = config;
    this.#events = events;
    this.role = role;
    this.home = role;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.worker = new Worker(config.entry, {
      resourceLimits: config.resourceLimits,
      // The payloads' output goes where the process's goes.
      stdout: false,
      stderr: false,
      workerData: { mailbox: this.#mailbox.buffer, port: port2, forwardChannels: config.forwardChannels } satisfies WorkerStartData,
      transferList: [port2],
    });
    port1.on('message', (message: FromWorker) => {
      this.#receive(message);
      this.#drain();
    });
    port1.on('messageerror', (error) => this.#unreadable(error));
    // Whether the process may exit is the worker's to say (referenced while busy).
    port1.unref();
    this.worker.on('message', (message: unknown) => {
      if (!payloadMessages.hasSubscribers) return;
      const name = this.runs[0]?.job.name ?? this.#recent[this.#recent.length - 1]?.name ?? 'unknown';
      payloadMessages.publish({ payload: name, message });
    });
    this.worker.on('error', (error) => {
      this.#error ??= error;
    });
    this.worker.on('exit', (code) => {
      releaseExitGuard(this.worker);
      this.#exited(code);
    });
    const { startTimeout } = config;
    if (startTimeout !== undefined) {
      this.#startLimit = setTimeout(() => {
        this.#error ??= new Error(`the worker thread did not start within ${startTimeout} ms (threading option startTimeout)`);
        this.terminate();
      }, startTimeout).unref();
    }
  }

  /** How many more runs it may be sent now: its mailbox holds a bounded number. */
  capacity(): number {
    const oldest = this.runs.length > 0 ? this.runs[0]!.id - 1 : this.#lastId;
    const floor = Math.min(oldest, this.#mailbox.runsTaken());
    return slotCount - 1 - (this.#lastId - floor);
  }

  /**
   * Send `jobs`, to run after what it was sent before, in order; the runs sent. A job whose
   * payload or arguments cannot be sent fails at once, alone.
   */
  send(jobs: readonly Job[]): Run[] {
    const mailbox = this.#mailbox;
    const sent: Run[] = [];
    for (const job of jobs) {
      let source: PayloadSource;
      try {
        source = job.source();
      } catch (error) {
        job.fail(error);
        continue;
      }
      const id = this.#lastId + 1;
      const known = this.#sources.get(source);
      if (known === undefined || !mailbox.writeRun(id, known, 0, job.args)) {
        const data: { -readonly [K in keyof RunData]: RunData[K] } = { type: 'run', id, args: job.args };
        let define = 0;
        if (known === undefined) {
          data.payload = source;
          if (source.kind !== 'service' && this.#sources.size < maxSources) data.define = define = this.#lastSource + 1;
        }
        try {
          this.#port.postMessage(data satisfies ToWorker);
        } catch (error) {
          job.fail(job.unsendable(source, error));
          continue;
        }
        mailbox.posted();
        if (define !== 0) this.#sources.set(source, (this.#lastSource = define));
        mailbox.writeRun(id, known ?? define, onPort, undefined);
      }
      this.#lastId = id;
      const run: Run = { job, id, stopping: false };
      this.runs.push(run);
      sent.push(run);
    }
    if (sent.length === 0) return sent;
    mailbox.publishRuns(this.#lastId);
    this.#wait();
    return sent;
  }

  /** Take back `run`, which the thread has not begun; false if it has (or has answered it). */
  revoke(run: Run): boolean {
    if (!this.#mailbox.revoke(run.id)) return false;
    this.runs.splice(this.runs.indexOf(run), 1);
    return true;
  }

  /**
   * Take back up to `count` of the runs it has not begun, the last ones first; their jobs, in
   * their order.
   */
  revokeLast(count: number): Job[] {
    const taken: Job[] = [];
    while (taken.length < count && this.runs.length > 0) {
      const run = this.runs[this.runs.length - 1]!;
      if (!this.#mailbox.revoke(run.id)) break;
      this.runs.pop();
      taken.unshift(run.job);
    }
    return taken;
  }

  /**
   * Stop `run`, which it has begun: its signal aborts and it has its grace period to return;
   * then the thread is terminated, and the run settles as cancelled once the thread has exited.
   */
  stop(run: Run): void {
    if (run.stopping) return;
    run.stopping = true;
    this.#post({ type: 'cancel', id: run.id });
    const { grace } = run.job;
    // A grace period beyond what a timer can count is waiting for as long as it takes.
    if (!(grace <= 2 ** 31 - 1)) return;
    clearTimeout(this.#graceLimit);
    this.#graceRun = run;
    this.#graceLimit = setTimeout(() => {
      this.#graceLimit = undefined;
      if (this.runs.includes(run)) this.terminate();
    }, grace);
  }

  /** The thread is free: it waits, unreferenced (it never keeps the process alive then). */
  release(): void {
    this.state = 'idle';
    this.worker.unref();
  }

  /** The thread has runs: it keeps the process alive until they end. */
  occupy(role: Role): void {
    this.state = 'busy';
    this.role = role;
    this.worker.ref();
  }

  /** End the thread; it reports its exit (or, after `stuckAfter`, that it is stuck). */
  terminate(): void {
    if (this.#terminated || this.#gone) return;
    this.#terminated = true;
    if (this.state !== 'busy') this.state = 'exiting';
    clearTimeout(this.#startLimit);
    this.worker.terminate().catch(() => {});
    const { stuckAfter } = this.#config;
    setTimeout(() => {
      if (this.#gone) return;
      // Terminating waits for JavaScript to run again; a thread blocked in a system call (a
      // read of a FIFO, execSync, a blocking addon) never does.
      const name = this.runs[0]?.job.name ?? this.#recent[this.#recent.length - 1]?.name ?? 'unknown';
      this.#config.logger.warn(
        { payload: name, threadId: this.worker.threadId },
        `the worker thread of threading payload '${name}' could not be stopped: it did not end ${stuckAfter} ms ` +
          `after it was terminated, so it is blocked in a synchronous call (a read that waits, execSync, a blocking ` +
          `addon). It no longer keeps the process alive; Node.js cannot exit while it is blocked, so if it still is ` +
          `when the process exits, the process exits then without waiting for it, with its own exit code`,
      );
      this.worker.unref();
      guardExit(this.worker, name);
      this.#exited(1);
    }, stuckAfter).unref();
  }

  #post(message: ToWorker): void {
    try {
      this.#port.postMessage(message);
      this.#mailbox.posted();
      this.#mailbox.ring();
    } catch {
      // A thread that has exited: its exit settles what it ran.
    }
  }

  /** Wait for answers while runs are out. */
  #wait(): void {
    if (this.#waiting || this.runs.length === 0 || this.#gone) return;
    const answered = this.#mailbox.whenAnswered();
    this.#waiting = true;
    // Never at once: whoever sent the runs is not done yet.
    if (answered === undefined) queueMicrotask(this.#onAnswer);
    else void answered.then(this.#onAnswer);
  }

  /**
   * Take every answer published, after the port's messages (what a run posted there, such as a
   * forwarded diagnostics message or its answer's value, came before its answer), and report them.
   */
  #drain(): void {
    if (this.#gone) return;
    const mailbox = this.#mailbox;
    const answers: TakenAnswer[] = [];
    for (let answer = mailbox.takeAnswer(); answer; answer = mailbox.takeAnswer()) answers.push(answer);
    for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) {
      this.#receive(received.message as FromWorker);
    }
    for (const answer of answers) this.#answered(answer);
    if (answers.length > 0) this.#events.drained(this);
    this.#wait();
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case 'answer':
        this.#answerData.set(message.id, message.value);
        return;
      case 'diagnostic': {
        // Published in the worker, also just before it was terminated: it happened.
        const target = channelOf(message.channel);
        if (target.hasSubscribers) target.publish(message.message);
        return;
      }
      case 'crash':
        this.#crash = { id: message.id, error: message.error };
        return;
      case 'ready':
        if (this.state !== 'starting' || this.#error !== undefined) return;
        this.#ready = true;
        clearTimeout(this.#startLimit);
        this.#events.ready(this);
    }
  }

  #answered({ id, flags, value }: TakenAnswer): void {
    const index = this.runs.findIndex((run) => run.id === id);
    if (index < 0) return;
    const [run] = this.runs.splice(index, 1) as [Run];
    this.#remember(id, run.job.name);
    if (flags & answerOnPort) {
      value = this.#answerData.get(id);
      this.#answerData.delete(id);
    }
    if (this.#graceRun === run) {
      clearTimeout(this.#graceLimit);
      this.#graceLimit = undefined;
      this.#graceRun = undefined;
    }
    const clean = (flags & answerClean) !== 0;
    const cancelled = (flags & answerCancelled) !== 0;
    const answer: RunDone =
      flags & answerOk ? { ok: true, value, clean, cancelled } : { ok: false, error: value as Thrown, clean, cancelled };
    this.#events.answered(this, run, answer);
  }

  /** An answer that could not be received: its run cannot end otherwise, and the thread is not to be trusted. */
  #unreadable(error: Error): void {
    const run = this.runs[0];
    this.terminate();
    run?.job.fail(new Error(`the answer of threading payload '${run.job.name}' could not be received: ${error.message}`, { cause: error }));
  }

  #exited(code: number): void {
    if (this.#gone) return;
    // What it answered before it went still counts.
    this.#drain();
    this.#gone = true;
    clearTimeout(this.#startLimit);
    clearTimeout(this.#graceLimit);
    this.#mailbox.wakeWaiter();
    const state = this.state;
    this.state = 'exiting';
    const crash = this.#crash;
    const error = this.#error ?? (crash ? fromThrown(crash.error) : undefined);
    const culprit = crash === undefined ? undefined : this.#nameOf(crash.id);
    const back: Job[] = [];
    let ran: Run | undefined;
    for (const run of this.runs.splice(0)) {
      if (this.#mailbox.revoke(run.id)) back.push(run.job);
      else ran ??= run;
    }
    if (ran) {
      if (ran.stopping && this.#terminated) ran.job.cancel();
      else {
        const earlier = crash !== undefined && crash.id !== ran.id && culprit !== undefined;
        if (earlier) this.#blame(culprit, error, code);
        ran.job.fail(new WorkerCrashed(ran.job.name, code, false, error, earlier ? culprit : undefined));
      }
    } else if (state !== 'starting' && (crash !== undefined || (this.#error !== undefined && !this.#terminated))) {
      // Idle, or retired after its payload answered: something that payload left behind threw.
      this.#blame(culprit ?? this.#recent[this.#recent.length - 1]?.name ?? 'unknown', error, code);
    } else if (state === 'idle' && !this.#terminated) {
      this.#config.logger.warn({ code }, `an idle threading worker thread exited with code ${code}`);
    }
    this.#markGone();
    this.#events.exited(this, code, back, ran?.job, !this.#ready);
  }

  /** The error that kept the thread from starting, if any. */
  get error(): unknown {
    return this.#error;
  }

  /** Report an uncaught error that payload `name` left in its thread after it had answered. */
  #blame(name: string, error: unknown, code: number): void {
    this.#config.logger.error(
      { err: error, code, payload: name },
      `threading payload '${name}' had ended, but an uncaught error it left behind crashed its worker thread: ${String(error)}`,
    );
  }

  #remember(id: number, name: string): void {
    if (this.#recent.length >= rememberedNames) this.#recent.shift();
    this.#recent.push({ id, name });
  }

  #nameOf(id: number): string | undefined {
    return this.runs.find((run) => run.id === id)?.job.name ?? this.#recent.find((entry) => entry.id === id)?.name;
  }
}
