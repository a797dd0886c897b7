/**
 * The bullmq flavour: a payload is a task of a BullMQ queue on Redis, `{ queue, task }`, run by
 * whichever worker daemon serves the queue (`serveQueue()`), on this host or another. The caller
 * supervises it as any payload: `execute()` settles with its value or error, a cancelled payload
 * withdraws or stops its job, and a caller that is gone has its jobs stopped after its
 * `callerLease`.
 */
import { defineFlavour, registerFlavour, type Flavour, type FlavourRunner, type PayloadTypes } from '@cobald/kernel';
import { isJobPayload } from './job-run.js';
import { validateQueueTask, type QueueTask } from './queue-task.js';
import { BullmqRunner } from './runner.js';
import { isServePayload } from './serve-queue.js';
import { version } from './version.js';

/**
 * The payload types of the bullmq flavour: a {@link QueueTask}; its args and result are JSON
 * values, checked when they are sent.
 *
 * @example
 * const size = (await runtime.execute({ queue: 'images', task: 'resize' }, { flavour: bullmq, args: ['a.png', 800] })) as number;
 */
export interface BullmqTypes extends PayloadTypes {
  readonly payload: QueueTask;
  readonly args: readonly unknown[];
  readonly result: unknown;
}

/**
 * The bullmq flavour. Importing this package (or `@cobald/flavour-bullmq/register`) registers it,
 * so `{ flavour: 'bullmq' }` works too.
 *
 * Options, as `new ServiceRunner({ flavours: { bullmq: { connection, callerLease, prefix } } })`:
 * `connection` (ioredis options or a redis:// URL; default `REDIS_URL`, else
 * `redis://127.0.0.1:6379`), `callerLease` (ms, default 30000: how long this caller may be silent
 * before its jobs count as orphaned), `prefix` (BullMQ's key prefix, default `'bull'`).
 *
 * @example
 * import { ServiceRunner } from '@cobald/kernel';
 * import { bullmq } from '@cobald/flavour-bullmq';
 *
 * const runner = new ServiceRunner({ flavours: { bullmq: { connection: { path: '/run/redis/redis.sock' }, callerLease: 10_000 } } });
 * const accepting = runner.accept();
 * const size = await runner.execute({ queue: 'images', task: 'resize' }, { flavour: bullmq, args: ['a.png', 800] });
 */
export const bullmq: Flavour<BullmqTypes> = defineFlavour<BullmqTypes>({
  name: 'bullmq',
  version,
  kernel: '^0.1.0',
  validate(payload) {
    if (isServePayload(payload) || isJobPayload(payload)) return;
    validateQueueTask(payload);
  },
  nameOf(payload) {
    if (isServePayload(payload)) return `serve ${payload.queue}`;
    if (isJobPayload(payload)) return 'job';
    return `${payload.queue}/${payload.task}`;
  },
  createRunner: (host): FlavourRunner<BullmqTypes> => new BullmqRunner(host, bullmq),
  /** A service's `run()` returns the `{ queue, task }` that is the service. */
  bindService(instance) {
    const payload = instance.run();
    validateQueueTask(payload);
    return payload;
  },
});

registerFlavour(bullmq);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    bullmq: typeof bullmq;
  }
}
