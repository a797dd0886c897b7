/**
 * The worker's side: one BullMQ `Worker` per served queue. Each job runs as a payload of the
 * worker's runtime (a {@link JobRun}, see job-run.ts), under the server in `tree()`. Before a job
 * starts, and while it runs, the server checks that its caller is still there (its heartbeat key)
 * and has not cancelled it (a key, and a pub/sub message it listens to); either stops the job's
 * task, and the job fails without a retry. The check before a job starts is one `MGET` for all the
 * jobs that start in the same turn of the event loop. When the server itself stops,
 * it hands its running jobs back to the queue (`job.moveToWait()`), so another worker runs them.
 */
import { RunnerStopping, isCancellation, type Flavour, type Logger } from '@cobald/kernel';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { RemoteFailure } from './errors.js';
import { bullmqConnection } from './connection.js';
import { notJson } from './json-value.js';
import { JobRun } from './job-run.js';
import { RedisOutageLog } from './redis-outage.js';
import { callerKey, cancelChannel, cancelKey, gone, type JobData, type JobResult } from './keys.js';
import type { ServePayload } from './serve-queue.js';

const host = hostname();

/**
 * How a job was stopped before it ended, by the server (a stop of the runtime is none of these):
 * its caller cancelled it, its caller is gone, or this worker lost it (its lock could not be
 * renewed: Redis lost the job, or it stalled here and another worker has it now).
 */
export type StopReason = 'cancelled' | 'orphaned' | 'lost';

/** A failure written so that the caller rebuilds it; BullMQ does not retry it. */
function failure(fields: Omit<RemoteFailure, 'host'>): UnrecoverableError {
  return new UnrecoverableError(JSON.stringify({ ...fields, host } satisfies RemoteFailure));
}

export class QueueServer {
  readonly #payload: ServePayload;
  readonly #logger: Logger;
  readonly #running = new Map<string, JobRun>();
  /** When each caller of a running job was first seen without its heartbeat. */
  readonly #missingSince = new Map<string, number>();
  #worker: Worker | undefined;
  #commands: Redis | undefined;
  #subscriber: Redis | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #checking = false;
  #checkedAt = 0;
  /** The jobs waiting for their check before they start (see #check). */
  readonly #checks: {
    readonly jobId: string;
    readonly caller: string;
    readonly resolve: (values: readonly [string | null, string | null]) => void;
    readonly reject: (error: unknown) => void;
  }[] = [];

  readonly #flavour: Flavour;

  /** `flavour` is this package's, for the payloads the jobs run as. */
  constructor(payload: ServePayload, logger: Logger, flavour: Flavour) {
    this.#payload = payload;
    this.#logger = logger;
    this.#flavour = flavour;
  }

  /** The jobs running now. */
  get running(): ReadonlyMap<string, JobRun> {
    return this.#running;
  }

  /** Serve until `signal` aborts; then hand running jobs back and release everything. */
  async serve(signal: AbortSignal): Promise<void> {
    const { queue, redis, prefix, concurrency, lockDuration, stalledInterval } = this.#payload;
    this.#commands = new Redis(redis);
    this.#subscriber = new Redis(redis);
    new RedisOutageLog(this.#logger, `bullmq worker of '${queue}' (commands)`, { queue }).watch(this.#commands);
    new RedisOutageLog(this.#logger, `bullmq worker of '${queue}' (cancels)`, { queue }).watch(this.#subscriber);
    this.#subscriber.on('message', (_channel: string, jobIds: string) => {
      for (const jobId of jobIds.split(' ')) this.#stop(jobId, 'cancelled');
    });
    try {
      await this.#subscriber.subscribe(cancelChannel(prefix));
      if (signal.aborted) return;
      // A processor of two parameters: BullMQ makes an AbortController per job only for one that
      // takes its third (the job's signal, aborted by `worker.cancelJob()`); this server stops
      // its jobs itself (#stop), so that controller would be work per job for nothing.
      const worker = new Worker(queue, (job: Job, token?: string) => this.#process(job, token!), {
        connection: bullmqConnection(redis),
        prefix,
        concurrency,
        name: `${host}-${process.pid}`,
        ...(lockDuration === undefined ? {} : { lockDuration }),
        ...(stalledInterval === undefined ? {} : { stalledInterval }),
      });
      this.#worker = worker;
      new RedisOutageLog(this.#logger, `bullmq worker of '${queue}'`, { queue }).watchBullmq(
        worker,
        worker.getBackend().client,
        (error) => {
          const unlocked = /^could not renew lock for job (\S+)$/.exec(error.message)?.[1];
          const run = unlocked === undefined ? undefined : this.#running.get(unlocked);
          // A job handed back has no lock to renew; any other job whose lock is gone is no longer
          // this worker's: its task stops, rather than hold a slot for a job nobody waits for here.
          if (run?.handedBack) return;
          if (run) this.#stop(unlocked!, 'lost');
          this.#logger.warn({ err: error, queue }, `bullmq worker of '${queue}': ${error.message}`);
        },
      );
      this.#leaseTimer = setInterval(() => void this.#checkCallers(), 250);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      await this.#shutdown();
    }
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#leaseTimer);
    const worker = this.#worker;
    // Give the running jobs back first: another worker may start them while these stop (their
    // signals have aborted; the runtime waits for their tasks, as for any payload, and abandons
    // one that ignores its signal). Then BullMQ need not wait for their processors.
    await worker?.pause(true).catch(() => {});
    await Promise.allSettled([...this.#running.values()].map((run) => run.handBack()));
    await worker?.close(true).catch(() => {});
    await Promise.allSettled([this.#commands?.quit(), this.#subscriber?.quit()]);
  }

  async #process(job: Job, token: string): Promise<JobResult> {
    const { queue, tasks, runner, flavour } = this.#payload;
    const task = job.name;
    const data = job.data as JobData;
    const payload = tasks.get(task);
    if (payload === undefined) {
      throw failure({ cobald: 'unknown-task', queue, task, message: `queue '${queue}' has no task '${task}'`, tasks: [...tasks.keys()] });
    }
    const run = new JobRun(job, token, runner, { payload, flavour, name: task }, this.#flavour);
    this.#running.set(job.id!, run);
    try {
      const [cancelledFlag, heartbeat] = await this.#check(job.id!, data.caller);
      if (cancelledFlag !== null) run.stop('cancelled');
      else if (heartbeat === gone) run.stop('orphaned');
      // A caller that has just come back (Redis restarted) may not have beaten yet: only a job
      // older than its lease is withdrawn for a missing heartbeat.
      else if (heartbeat === null && job.timestamp < Date.now() - data.lease) run.stop('orphaned');
      if (this.#stopping) {
        await run.handBack();
        throw new WaitingError();
      }
      const outcome = await run.start(data.args);
      return this.#settle(run, outcome);
    } finally {
      // After a lost lock the same job may have been fetched again, here, and run anew: an old
      // run that ends late must not drop the entry of the run that replaced it.
      if (this.#running.get(job.id!) === run) this.#running.delete(job.id!);
    }
  }

  /**
   * The job's cancel key and its caller's heartbeat, read before the job starts: one `MGET` for
   * all the jobs that ask in the same turn of the event loop (BullMQ hands a worker several jobs
   * at once), so that the check costs one command and one write, not two of each per job.
   */
  #check(jobId: string, caller: string): Promise<readonly [string | null, string | null]> {
    return new Promise((resolve, reject) => {
      this.#checks.push({ jobId, caller, resolve, reject });
      if (this.#checks.length === 1) setImmediate(() => void this.#sendChecks());
    });
  }

  async #sendChecks(): Promise<void> {
    const batch = this.#checks.splice(0);
    const { prefix } = this.#payload;
    const keys = new Map<string, number>();
    const slot = (key: string): number => {
      let index = keys.get(key);
      if (index === undefined) keys.set(key, (index = keys.size));
      return index;
    };
    const wanted = batch.map(({ jobId, caller }) => [slot(cancelKey(prefix, jobId)), slot(callerKey(prefix, caller))] as const);
    try {
      const values = await this.#commands!.mget([...keys.keys()]);
      batch.forEach(({ resolve }, i) => resolve([values[wanted[i]![0]] ?? null, values[wanted[i]![1]] ?? null]));
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }

  /** What the job's processor returns or throws, given how its payload ended. */
  async #settle(run: JobRun, outcome: { value: unknown } | { error: unknown }): Promise<JobResult> {
    const { queue } = this.#payload;
    const task = run.job.name;
    const reason: StopReason | undefined = run.stopReason;
    if (reason === 'cancelled') throw failure({ cobald: 'cancelled', queue, task, message: 'cancelled by its caller' });
    if (reason === 'lost')
      throw failure({ cobald: 'withdrawn', queue, task, message: 'this worker lost the job (its lock could not be renewed)' });
    if (reason === 'orphaned') {
      throw failure({ cobald: 'withdrawn', queue, task, message: `withdrawn: its caller ${(run.job.data as JobData).caller} is gone` });
    }
    const stopped = 'error' in outcome && (isCancellation(outcome.error) || outcome.error instanceof RunnerStopping);
    if (run.handedBack || this.#stopping || stopped) {
      await run.handBack();
      throw new WaitingError();
    }
    if ('error' in outcome) {
      const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      throw failure({ cobald: 'failure', queue, task, name: error.name, message: error.message, stack: error.stack });
    }
    const problem = outcome.value === undefined ? undefined : notJson(outcome.value, 'the value');
    if (problem) {
      throw failure({
        cobald: 'failure',
        queue,
        task,
        name: 'TypeError',
        message: `task '${task}' returned a value that cannot travel as JSON: ${problem}`,
      });
    }
    return { value: outcome.value };
  }

  /** Stop a running job of this worker, for its caller. */
  #stop(jobId: string, reason: StopReason): void {
    const run = this.#running.get(jobId);
    run?.stop(reason);
  }

  /**
   * Stop the running jobs whose caller's heartbeat has been missing for half a lease. Looked at
   * every quarter of the shortest lease among them (at least every 250 ms, at most every 5 s).
   */
  async #checkCallers(): Promise<void> {
    const byCaller = new Map<string, JobRun[]>();
    let shortest = Infinity;
    for (const run of this.#running.values()) {
      const { caller, lease } = run.job.data as JobData;
      byCaller.set(caller, [...(byCaller.get(caller) ?? []), run]);
      shortest = Math.min(shortest, lease);
    }
    if (!byCaller.size) return this.#missingSince.clear();
    const started = Date.now();
    if (this.#checking || started - this.#checkedAt < Math.min(5_000, shortest / 4)) return;
    this.#checking = true;
    try {
      await this.#checkHeartbeats(byCaller);
    } finally {
      this.#checking = false;
      this.#checkedAt = started;
    }
  }

  async #checkHeartbeats(byCaller: ReadonlyMap<string, readonly JobRun[]>): Promise<void> {
    const { prefix } = this.#payload;
    const callers = [...byCaller.keys()];
    let heartbeats: unknown[];
    try {
      const pipeline = this.#commands!.pipeline();
      for (const caller of callers) pipeline.get(callerKey(prefix, caller));
      heartbeats = ((await pipeline.exec()) ?? []).map(([, value]) => value);
    } catch {
      return; // Redis is away: nobody can be declared gone now
    }
    const now = Date.now();
    callers.forEach((caller, index) => {
      const heartbeat = heartbeats[index];
      if (heartbeat !== null && heartbeat !== gone) return void this.#missingSince.delete(caller);
      const since = heartbeat === gone ? -Infinity : (this.#missingSince.get(caller) ?? now);
      this.#missingSince.set(caller, since);
      const runs = byCaller.get(caller)!;
      const lease = (runs[0]!.job.data as JobData).lease;
      if (now - since >= lease / 2) for (const run of runs) this.#stop(run.job.id!, 'orphaned');
    });
    for (const caller of this.#missingSince.keys()) if (!byCaller.has(caller)) this.#missingSince.delete(caller);
  }
}
