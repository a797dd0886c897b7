/**
 * How a remote job fails on the caller: errors with stable names whose messages say which task
 * of which queue, on which worker host, and what to do.
 */

/** What a worker writes as a job's failed reason, so that the caller can rebuild the error. */
export interface RemoteFailure {
  /** Marks a reason written by this package. */
  readonly cobald: 'failure' | 'unknown-task' | 'cancelled' | 'withdrawn';
  readonly queue: string;
  readonly task: string;
  /** The worker's host name. */
  readonly host: string;
  /** The task's error: its name, message and stack as the worker saw them. */
  readonly name?: string;
  readonly message: string;
  readonly stack?: string;
  /** For `unknown-task`: the tasks that worker serves. */
  readonly tasks?: readonly string[];
}

/** Read a job's failed reason as a {@link RemoteFailure}, or `undefined` when BullMQ itself wrote it. */
export function parseFailure(reason: string): RemoteFailure | undefined {
  if (!reason.startsWith('{"cobald":')) return undefined;
  try {
    return JSON.parse(reason) as RemoteFailure;
  } catch {
    return undefined;
  }
}

/**
 * A task failed on a worker. `cause` is the task's own error rebuilt on this host: its `name`,
 * `message` and `stack` are the worker's.
 *
 * @example
 * try {
 *   await runtime.execute({ queue: 'images', task: 'resize' }, { flavour: bullmq, args: ['a.png', 800] });
 * } catch (error) {
 *   if (error instanceof RemoteTaskFailed) console.log(error.host, (error.cause as Error).stack);
 * }
 */
export class RemoteTaskFailed extends Error {
  override readonly name = 'RemoteTaskFailed';
  constructor(
    readonly queue: string,
    readonly task: string,
    /** The worker's host name. */
    readonly host: string,
    /** The BullMQ job's id. */
    readonly jobId: string,
    cause: Error,
  ) {
    super(`task '${task}' of queue '${queue}' failed on worker host ${host} (job ${jobId}): ${cause.name}: ${cause.message}`, { cause });
  }
}

/** No task of that name is served on that queue: the worker refused the job. */
export class UnknownTask extends Error {
  override readonly name = 'UnknownTask';
  constructor(
    readonly queue: string,
    readonly task: string,
    /** The worker's host name. */
    readonly host: string,
    /** The tasks that worker serves. */
    readonly tasks: readonly string[],
  ) {
    super(
      `queue '${queue}' has no task '${task}': the worker on host ${host} serves ${tasks.length ? tasks.map((name) => `'${name}'`).join(', ') : 'no task'}`,
    );
  }
}

/**
 * A job failed for a reason of BullMQ's own (it stalled more often than `maxStalledCount`
 * allows, its lock was lost), or was withdrawn by its worker.
 */
export class JobFailed extends Error {
  override readonly name = 'JobFailed';
  constructor(
    readonly queue: string,
    readonly task: string,
    readonly jobId: string,
    readonly reason: string,
  ) {
    super(`job ${jobId} (task '${task}' of queue '${queue}') failed: ${reason}`);
  }
}

/**
 * A job the caller waits for is no longer in Redis, neither waiting, running nor finished: Redis
 * lost it (restarted without persistence, failed over to a replica that had not seen it, flushed).
 */
export class JobLost extends Error {
  override readonly name = 'JobLost';
  constructor(
    readonly queue: string,
    readonly task: string,
    readonly jobId: string,
  ) {
    super(
      `job ${jobId} (task '${task}' of queue '${queue}') is gone from Redis before it finished: ` +
        'Redis lost it (restarted without persistence, failed over or flushed); it may or may not have run',
    );
  }
}

/** Rebuild a remote error from its name, message and stack. */
export function rebuildError(failure: RemoteFailure): Error {
  const error = new Error(failure.message);
  Object.defineProperty(error, 'name', { value: failure.name ?? 'Error', configurable: true, writable: true });
  error.stack = failure.stack ?? `${failure.name ?? 'Error'}: ${failure.message}`;
  return error;
}
