/**
 * The caller's side: a `{ queue, task }` payload becomes a BullMQ job, and its `run()` settles
 * with the job's outcome. One `Queue` and one `QueueEvents` per queue used, shared by every
 * payload of the runner: results arrive as the queue's `completed` and `failed` events (no
 * extra Redis command per job). A heartbeat key with a TTL of `callerLease` says the caller is
 * still there; a cancelled payload withdraws its waiting job, or has its running job cancelled
 * through a key and a pub/sub message that the worker watches. A sweep asks Redis, now and then,
 * for jobs whose events were missed (Redis restarted, the events stream trimmed).
 */
import { cancelled, type Logger, type RunContext } from '@cobald/kernel';
import { Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { JobFailed, JobLost, RemoteTaskFailed, UnknownTask, parseFailure, rebuildError } from './errors.js';
import { bullmqConnection } from './connection.js';
import { notJson } from './json-value.js';
import { QueueStatsReporter } from './queue-stats.js';
import { RedisOutageLog } from './redis-outage.js';
import { alive, callerKey, cancelChannel, cancelKey, gone, type JobData, type JobResult } from './keys.js';
import type { QueueTask } from './queue-task.js';

/** How long a cancel key stays: long enough for a job that was running on a worker that died to be seen again. */
const cancelKeyTtl = 24 * 3600_000;
/**
 * How often the sweep asks Redis about jobs whose outcome has not arrived (one read per such
 * job), and how old they must be; after a reconnect, it asks about every job at once.
 */
const sweepEvery = 30_000;
/** How long finished jobs stay in Redis (BullMQ removes them when later jobs finish). */
const keepCompleted = { age: 3600 };
const keepFailed = { age: 24 * 3600 };

/** One job a payload waits for. */
interface Pending {
  readonly queue: string;
  readonly task: string;
  readonly jobId: string;
  readonly context: RunContext;
  readonly since: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Resolves once the job was added (or adding it failed). */
  added: Promise<unknown>;
  /** Whether Redis has taken the job. */
  isAdded: boolean;
  cancelling: boolean;
  /** Whether a worker took the job (its `active` event arrived). */
  active: boolean;
}

/** A queue this caller uses. */
interface QueueClient {
  readonly queue: Queue;
  /** Set once its events are listened to. */
  events: QueueEvents | undefined;
  ready: Promise<void>;
}

/** What a caller needs to know. */
export interface CallerOptions {
  readonly redis: RedisOptions;
  readonly prefix: string;
  readonly lease: number;
  readonly logger: Logger;
}

export class Caller {
  /** This caller's id, unique across hosts: its heartbeat key and the prefix of its job ids. */
  readonly id = `${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly #options: CallerOptions;
  readonly #redis: Redis;
  readonly #queues = new Map<string, QueueClient>();
  readonly #pending = new Map<string, Pending>();
  #alive: Promise<void>;
  #count = 0;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;
  readonly #cancels: Pending[] = [];
  readonly #removals: Pending[] = [];
  #removing = false;
  readonly #stats = new QueueStatsReporter(() => this.queues);

  constructor(options: CallerOptions) {
    this.#options = options;
    this.#redis = new Redis(options.redis);
    new RedisOutageLog(options.logger, 'bullmq caller').watch(this.#redis);
    // After a reconnect (Redis restarted), the heartbeat comes back at once, and every job
    // waited for is looked for: events may have been missed, or the jobs lost.
    let connected = false;
    this.#redis.on('ready', () => {
      void this.#beat().catch(() => {});
      if (connected) setTimeout(() => void this.#sweepLost(0), 1_000).unref();
      connected = true;
    });
    this.#alive = this.#beat();
    this.#alive.catch(() => {});
    this.#heartbeat = setInterval(() => void this.#beat().catch(() => {}), Math.max(100, Math.floor(options.lease / 3)));
    this.#sweep = setInterval(() => void this.#sweepLost(), sweepEvery);
    this.#heartbeat.unref();
    this.#sweep.unref();
  }

  /** The queues this caller has used, for the monitor. */
  get queues(): ReadonlyMap<string, Queue> {
    return new Map([...this.#queues].map(([name, client]) => [name, client.queue]));
  }

  /** Add the job and settle with its outcome; `signal` aborts when the payload must stop. */
  run(payload: QueueTask, given: readonly unknown[], context: RunContext, signal: AbortSignal): Promise<unknown> {
    if (this.#closed) return Promise.reject(cancelled(context));
    const { queue, task } = payload;
    const args = payload.args ? [...payload.args, ...given] : given;
    const problem = notJson(args, 'args');
    if (problem) {
      return Promise.reject(new TypeError(`the args of task '${task}' of queue '${queue}' travel as JSON through Redis, but ${problem}`));
    }
    if (signal.aborted) return Promise.reject(cancelled(context));
    return new Promise((resolve, reject) => {
      const jobId = `${this.id}-${++this.#count}`;
      const pending: Pending = {
        queue,
        task,
        jobId,
        context,
        since: Date.now(),
        resolve: (value) => {
          if (this.#pending.delete(jobId)) resolve(value);
        },
        reject: (error) => {
          if (this.#pending.delete(jobId)) reject(error);
        },
        added: Promise.resolve(),
        isAdded: false,
        cancelling: false,
        active: false,
      };
      this.#pending.set(jobId, pending);
      pending.added = this.#add(pending, args).catch((error: unknown) => pending.reject(error));
      signal.addEventListener('abort', () => this.#cancel(pending), { once: true });
    });
  }

  async #add(pending: Pending, args: readonly unknown[]): Promise<void> {
    const client = this.#queueFor(pending.queue);
    await Promise.all([client.ready, this.#alive]);
    const data: JobData = { args, caller: this.id, lease: this.#options.lease };
    await client.queue.add(pending.task, data, {
      jobId: pending.jobId,
      attempts: 1,
      removeOnComplete: keepCompleted,
      removeOnFail: keepFailed,
    });
    pending.isAdded = true;
  }

  /**
   * Cancel the job: its cancel key (read by a worker before it starts a job) and a message to
   * the workers (a worker running it stops it). Cancels are sent in batches, one pipeline per
   * turn of the event loop, so that a shutdown with thousands of jobs waiting costs Redis a
   * few round trips. A job not known to run settles at once and is removed from Redis in the
   * background; one that runs settles once its worker reports that it ended (or the caller's
   * grace period is over).
   */
  #cancel(pending: Pending): void {
    if (pending.cancelling || !this.#pending.has(pending.jobId)) return;
    pending.cancelling = true;
    this.#cancels.push(pending);
    if (this.#cancels.length === 1) setImmediate(() => void this.#sendCancels());
  }

  async #sendCancels(): Promise<void> {
    const batch = this.#cancels.splice(0);
    await Promise.all(batch.map((pending) => pending.added));
    const sent = batch.filter((pending) => this.#pending.has(pending.jobId));
    if (!sent.length) return;
    const { prefix } = this.#options;
    try {
      const pipeline = this.#redis.pipeline();
      for (const { jobId } of sent) pipeline.set(cancelKey(prefix, jobId), '1', 'PX', cancelKeyTtl);
      pipeline.publish(cancelChannel(prefix), sent.map(({ jobId }) => jobId).join(' '));
      await pipeline.exec();
    } catch (error) {
      this.#options.logger.warn({ err: error }, `bullmq caller: could not cancel ${sent.length} job(s): ${(error as Error).message}`);
      for (const pending of sent) pending.reject(cancelled(pending.context, error));
      return;
    }
    for (const pending of sent) {
      if (pending.active) continue;
      pending.reject(cancelled(pending.context));
      this.#removals.push(pending);
    }
    void this.#remove();
  }

  /** Remove withdrawn jobs from Redis, a few at a time; a worker withdraws any left (their cancel key). */
  async #remove(): Promise<void> {
    if (this.#removing) return;
    this.#removing = true;
    try {
      while (this.#removals.length) {
        const batch = this.#removals.splice(0, 32);
        await Promise.allSettled(batch.map(({ queue, jobId }) => this.#queueFor(queue).queue.remove(jobId)));
      }
    } finally {
      this.#removing = false;
    }
  }

  #queueFor(name: string): QueueClient {
    let client = this.#queues.get(name);
    if (!client) {
      const { redis, prefix, logger } = this.#options;
      const queue = new Queue(name, { connection: bullmqConnection(redis), prefix });
      const label = `bullmq caller: queue '${name}'`;
      new RedisOutageLog(logger, label).watchBullmq(queue, queue.getBackend().client, (error) =>
        logger.warn({ err: error }, `${label}: ${error.message}`),
      );
      const made: QueueClient = { queue, events: undefined, ready: Promise.resolve() };
      made.ready = Promise.all([queue.waitUntilReady(), this.#listen(name)]).then(([, events]) => {
        made.events = events;
      });
      this.#queues.set(name, made);
      client = made;
    }
    return client;
  }

  /** Listen to the queue's events from its newest one on, so none of a job added after this is missed. */
  async #listen(name: string): Promise<QueueEvents> {
    const { redis, prefix } = this.#options;
    const newest = (await this.#redis.xrevrange(`${prefix}:${name}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const events = new QueueEvents(name, { connection: bullmqConnection(redis), prefix, lastEventId: newest });
    const { logger } = this.#options;
    const label = `bullmq caller: events of '${name}'`;
    new RedisOutageLog(logger, label).watchBullmq(events, events.getBackend().client, (error) =>
      logger.warn({ err: error }, `${label}: ${error.message}`),
    );
    events.on('active', ({ jobId }) => {
      const pending = this.#pending.get(jobId);
      if (pending) pending.active = true;
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      const pending = this.#pending.get(jobId);
      if (pending) this.#completed(pending, returnvalue as unknown as JobResult | null);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const pending = this.#pending.get(jobId);
      if (pending) this.#failed(pending, failedReason);
    });
    await events.waitUntilReady();
    return events;
  }

  #completed(pending: Pending, result: JobResult | null): void {
    if (pending.cancelling) pending.reject(cancelled(pending.context));
    else pending.resolve(result?.value);
  }

  #failed(pending: Pending, reason: string): void {
    if (pending.cancelling) return pending.reject(cancelled(pending.context));
    const { queue, task, jobId } = pending;
    const failure = parseFailure(reason);
    if (failure?.cobald === 'failure') pending.reject(new RemoteTaskFailed(queue, task, failure.host, jobId, rebuildError(failure)));
    else if (failure?.cobald === 'unknown-task') pending.reject(new UnknownTask(queue, task, failure.host, failure.tasks ?? []));
    else pending.reject(new JobFailed(queue, task, jobId, failure?.message ?? reason));
  }

  /** Ask Redis about jobs waited for longer than `age` ms: their events may have been missed. */
  async #sweepLost(age = sweepEvery): Promise<void> {
    const before = Date.now() - age;
    for (const pending of [...this.#pending.values()]) {
      if (pending.since > before) continue;
      try {
        const { queue } = this.#queueFor(pending.queue);
        const job = await queue.getJob(pending.jobId);
        if (!this.#pending.has(pending.jobId)) continue;
        if (!job) {
          // Still being added (Redis was away) is not lost; gone after it was added is.
          if (pending.isAdded) pending.reject(new JobLost(pending.queue, pending.task, pending.jobId));
        } else if (job.finishedOn) {
          if (job.failedReason !== undefined && job.failedReason !== null && (await job.isFailed()))
            this.#failed(pending, job.failedReason);
          else if (await job.isCompleted()) this.#completed(pending, job.returnvalue as JobResult | null);
        }
      } catch (error) {
        this.#options.logger.warn({ err: error }, `bullmq caller: could not check job ${pending.jobId}`);
      }
    }
  }

  async #beat(): Promise<void> {
    if (this.#closed) return;
    await this.#redis.set(callerKey(this.#options.prefix, this.id), alive, 'PX', this.#options.lease);
  }

  /**
   * Say this caller is gone (workers withdraw its jobs as they come to them), withdraw or cancel
   * what it still waits for, wait no longer than `timeout` for that, release every connection.
   */
  async close(timeout: number): Promise<void> {
    this.#closed = true;
    this.#stats.close();
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweep);
    const { prefix, lease } = this.#options;
    // Kept for a lease: after that, every job of this caller is older than its lease, and a
    // missing heartbeat withdraws it just the same.
    if (this.#pending.size) await this.#redis.set(callerKey(prefix, this.id), gone, 'PX', lease).catch(() => {});
    else await this.#redis.del(callerKey(prefix, this.id)).catch(() => {});
    for (const pending of this.#pending.values()) this.#cancel(pending);
    const end = Date.now() + timeout;
    while ((this.#pending.size || this.#removing) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const pending of [...this.#pending.values()]) pending.reject(cancelled(pending.context));
    const clients = [...this.#queues.values()];
    await Promise.allSettled(clients.map((client) => client.ready));
    await Promise.allSettled(clients.flatMap((client) => [client.queue.close(), client.events?.close()]));
    this.#redis.disconnect();
  }
}
