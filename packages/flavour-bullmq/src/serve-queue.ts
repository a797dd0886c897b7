/**
 * `serveQueue()`: what a worker daemon adopts to serve one queue. It checks its options once and
 * returns a supervisor with one child, the queue's server (a payload of this flavour), so that
 * `runtime.adopt(serveQueue({ … }))` needs no further options.
 */
import { isFlavour, runtime, supervisor, type Flavour, type ServiceRunner, type SupervisorSpec } from '@cobald/kernel';
import { redisOptions, type Connection } from './connection.js';
import { defaultPrefix } from './keys.js';
import { checkQueueName } from './queue-task.js';
import type { RedisOptions } from 'ioredis';

/**
 * What {@link serveQueue} takes.
 *
 * @example
 * const options: ServeQueueOptions = { queue: 'images', flavour: asyncio, tasks: { resize: async (file, width) => 0 } };
 */
export interface ServeQueueOptions {
  /** The queue to take jobs from. */
  readonly queue: string;
  /** The payloads that run the jobs, by task name; each a payload of `flavour`. */
  readonly tasks: Readonly<Record<string, unknown>>;
  /** The flavour of the tasks: any flavour (`asyncio`, `threading` with `{ module, export }` tasks, …), or its registered name. */
  readonly flavour: Flavour | string;
  /** Where Redis is: ioredis options or a redis:// URL. Default `REDIS_URL`, else `redis://127.0.0.1:6379`. */
  readonly connection?: Connection;
  /** How many jobs run at once. Default 1. */
  readonly concurrency?: number;
  /** BullMQ's `lockDuration` (ms): how long a worker that stopped answering keeps a job before it counts as stalled. */
  readonly lockDuration?: number;
  /** BullMQ's `stalledInterval` (ms): how often stalled jobs are looked for and handed to another worker. */
  readonly stalledInterval?: number;
  /** BullMQ's key prefix. Default `'bull'`; for Redis Cluster a hash tag, as `'{images}'`. */
  readonly prefix?: string;
  /** The runner whose payloads the jobs are. Default: the process-wide `runtime` (the one `cobald run` uses). */
  readonly runner?: ServiceRunner;
}

/** The server's payload: the checked options, recognised by the flavour. */
export interface ServePayload {
  readonly [serveBrand]: true;
  readonly queue: string;
  readonly tasks: ReadonlyMap<string, unknown>;
  readonly flavour: Flavour | string;
  readonly redis: RedisOptions;
  readonly concurrency: number;
  readonly lockDuration: number | undefined;
  readonly stalledInterval: number | undefined;
  readonly prefix: string;
  readonly runner: ServiceRunner;
}

export const serveBrand = Symbol.for('@cobald/flavour-bullmq/serve');

export const isServePayload = (payload: unknown): payload is ServePayload =>
  typeof payload === 'object' && payload !== null && (payload as Record<symbol, unknown>)[serveBrand] === true;

const known = new Set(['queue', 'tasks', 'flavour', 'connection', 'concurrency', 'lockDuration', 'stalledInterval', 'prefix', 'runner']);

/**
 * Serve a queue on this host: its jobs run as payloads of this runtime, one per job, named after
 * its task, under the queue's server in `tree()`. `currentSignal()` in a task aborts when its
 * caller cancels it or is gone, and when this daemon stops: then the job goes back to the queue
 * (not failed, not counted as an attempt) for another worker.
 *
 * @example
 * // worker.mjs, run with `cobald run worker.mjs`
 * import { serveQueue } from '@cobald/flavour-bullmq';
 * import { asyncio } from '@cobald/flavour-asyncio';
 * export default function configure(runtime) {
 *   runtime.adopt(serveQueue({ queue: 'images', connection: { path: '/run/redis/redis.sock' }, concurrency: 4,
 *     flavour: asyncio, tasks: { resize: async (file, width) => resizeImage(file, width, currentSignal()) } }));
 * }
 */
export function serveQueue(options: ServeQueueOptions): SupervisorSpec {
  if (typeof options !== 'object' || options === null) throw new TypeError('serveQueue() takes an object: { queue, tasks, flavour, … }');
  const where = 'serveQueue()';
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${[...known].join(', ')})`);
  }
  const { queue, tasks, flavour, connection, concurrency = 1, lockDuration, stalledInterval, prefix = defaultPrefix } = options;
  checkQueueName(queue, where);
  const named = `${where} of queue '${queue}'`;
  if (typeof tasks !== 'object' || tasks === null || Object.keys(tasks).length === 0) {
    throw new TypeError(`${named}: 'tasks' must be an object of at least one task, { name: payload }`);
  }
  if (!(typeof flavour === 'string' || isFlavour(flavour))) {
    throw new TypeError(`${named}: 'flavour' must be a flavour (as asyncio) or its registered name`);
  }
  if (isFlavour(flavour)) {
    for (const [name, payload] of Object.entries(tasks)) {
      try {
        flavour.validate(payload);
      } catch (error) {
        throw new TypeError(`${named}: task '${name}' is not a ${flavour.name} payload: ${(error as Error).message}`);
      }
    }
  }
  if (!(Number.isSafeInteger(concurrency) && concurrency > 0)) {
    throw new TypeError(`${named}: 'concurrency' must be a positive integer, got ${String(concurrency)}`);
  }
  for (const [key, value] of [
    ['lockDuration', lockDuration],
    ['stalledInterval', stalledInterval],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new TypeError(`${named}: '${key}' must be a positive number of milliseconds, got ${String(value)}`);
    }
  }
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`${named}: 'prefix' must be a non-empty string`);
  const payload: ServePayload = {
    [serveBrand]: true,
    queue,
    tasks: new Map(Object.entries(tasks)),
    flavour,
    redis: redisOptions(connection, named),
    concurrency,
    lockDuration,
    stalledInterval,
    prefix,
    runner: options.runner ?? runtime,
  };
  return supervisor({ name: `bullmq ${queue}`, children: [{ name: `serve ${queue}`, payload, flavour: 'bullmq' }] });
}
