/** The caller's payload: a task of a queue, `{ queue: 'images', task: 'resize' }`. */

/**
 * A task of a BullMQ queue, run by whichever worker serves the queue (see `serveQueue`).
 *
 * @example
 * const size = await runtime.execute({ queue: 'images', task: 'resize' }, { flavour: bullmq, args: ['a.png', 800] });
 */
export interface QueueTask {
  /** The queue's name (no ':'). */
  readonly queue: string;
  /** The task's name, as the workers' `tasks` list it. */
  readonly task: string;
  /**
   * Arguments that go first, before the `args` of `adopt`/`execute`: how a service, whose
   * `run()` returns its `{ queue, task }`, gives its task arguments.
   */
  readonly args?: readonly unknown[];
}

const expected = 'a bullmq payload is { queue: string, task: string, args?: unknown[] }';

/** Throw a `TypeError` that says what is wrong unless `payload` is a {@link QueueTask}. */
export function validateQueueTask(payload: unknown): asserts payload is QueueTask {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError(`${expected}, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`);
  }
  const { queue, task, args } = payload as Record<string, unknown>;
  checkQueueName(queue, expected);
  if (typeof task !== 'string' || task === '') throw new TypeError(`${expected}: 'task' must be a non-empty string`);
  if (args !== undefined && !Array.isArray(args)) throw new TypeError(`${expected}: 'args' must be an array`);
}

/** A queue's name: a non-empty string without ':', which BullMQ uses in its keys. */
export function checkQueueName(queue: unknown, where: string): asserts queue is string {
  if (typeof queue !== 'string' || queue === '') throw new TypeError(`${where}: 'queue' must be a non-empty string`);
  if (queue.includes(':')) throw new TypeError(`${where}: 'queue' must not contain ':' (BullMQ uses it in its keys), got '${queue}'`);
}
