/**
 * The flavour's runner. It runs three kinds of payload: a `{ queue, task }` of a caller (see
 * caller.ts), a queue's server made by `serveQueue()` (queue-server.ts), and the payload each
 * job of a server runs as (job-run.ts).
 */
import { cancelled, type Flavour, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { Caller } from './caller.js';
import { redisOptions } from './connection.js';
import { isJobPayload, jobBrand } from './job-run.js';
import { defaultPrefix } from './keys.js';
import { QueueServer } from './queue-server.js';
import type { QueueTask } from './queue-task.js';
import { isServePayload } from './serve-queue.js';
import type { BullmqTypes } from './bullmq.js';
import type { RedisOptions } from 'ioredis';

/** The default `callerLease`: how long a caller may be silent before its jobs count as orphaned. */
const defaultLease = 30_000;

/** The flavour's options, checked. */
interface CallerSettings {
  readonly redis: RedisOptions;
  readonly lease: number;
  readonly prefix: string;
}

function settings(options: Readonly<Record<string, unknown>>): CallerSettings {
  const where = "the bullmq flavour's options";
  const known = new Set(['connection', 'callerLease', 'prefix']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${[...known].join(', ')})`);
  }
  const { connection, callerLease = defaultLease, prefix = defaultPrefix } = options;
  if (!(typeof callerLease === 'number' && Number.isFinite(callerLease) && callerLease >= 300)) {
    throw new TypeError(`${where}: 'callerLease' must be a number of milliseconds, at least 300, got ${String(callerLease)}`);
  }
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`${where}: 'prefix' must be a non-empty string`);
  return { redis: redisOptions(connection, where), lease: callerLease, prefix };
}

export class BullmqRunner implements FlavourRunner<BullmqTypes> {
  readonly #host: FlavourHost;
  readonly #flavour: Flavour;
  readonly #settings: CallerSettings;
  #caller: Caller | undefined;
  readonly #servers = new Set<Promise<void>>();
  #closed = false;

  constructor(host: FlavourHost, flavour: Flavour) {
    this.#host = host;
    this.#flavour = flavour;
    this.#settings = settings(host.options);
  }

  /** The caller's side, made when the first `{ queue, task }` runs. */
  get caller(): Caller | undefined {
    return this.#caller;
  }

  run(payload: QueueTask | object, args: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closed) return Promise.reject(cancelled(context));
    const scope = this.#host.cancelScope(context);
    if (isJobPayload(payload)) {
      const run = payload[jobBrand];
      return scope.run(() => run.enter(scope.signal, context), []);
    }
    if (isServePayload(payload)) {
      const server = new QueueServer(payload, this.#host.logger, this.#flavour);
      const served = scope.run(() => server.serve(scope.signal), []);
      this.#servers.add(served);
      void served.catch(() => {}).finally(() => this.#servers.delete(served));
      // Stopped by the runtime, it ends as cancelled once it has handed its jobs back.
      return served.then(() => {
        if (scope.cancelled) throw cancelled(context);
      });
    }
    this.#caller ??= new Caller({ ...this.#settings, logger: this.#host.logger });
    return this.#caller.run(payload as QueueTask, args, context, scope.signal);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#servers]);
    await this.#caller?.close(this.#host.gracePeriod);
  }
}
