/**
 * How one Redis connection's errors are logged: while Redis is unreachable, ioredis reports
 * every reconnect attempt as an `error` event, which would be one warning each (thousands in a
 * long outage). Instead: the first error of an outage is a warning (with its stack), then at
 * most one reminder per `remindEvery` (how long, how many attempts), and one info record when
 * the connection is ready again ("Redis back after 42 s, 310 failed attempts").
 */
import type { Logger } from '@cobald/kernel';

/** The least a Redis client is here: its `error` and `ready` events. */
interface RedisEvents {
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

export interface RedisOutageLogOptions {
  /** The least time between two warnings of one outage, in ms: 30 s by default. */
  readonly remindEvery?: number;
}

/** The errors of one connection, logged once per outage (and a reminder per interval). */
export class RedisOutageLog {
  readonly #logger: Logger;
  readonly #label: string;
  readonly #fields: object;
  readonly #remindEvery: number;
  /** When the outage began (its first error), or undefined while the connection is fine. */
  #since: number | undefined;
  #attempts = 0;
  #warnedAt = 0;

  /** `label` starts every message ("bullmq caller: queue 'q'"); `fields` go into every record. */
  constructor(logger: Logger, label: string, fields: object = {}, options: RedisOutageLogOptions = {}) {
    this.#logger = logger;
    this.#label = label;
    this.#fields = fields;
    this.#remindEvery = options.remindEvery ?? 30_000;
  }

  /** Whether an outage is going on (an error since the connection was last ready). */
  get down(): boolean {
    return this.#since !== undefined;
  }

  /** An error of the connection: a warning if it is the first of an outage or a reminder is due. */
  error(error: Error): void {
    const now = Date.now();
    this.#attempts += 1;
    if (this.#since === undefined) {
      this.#since = now;
      this.#warnedAt = now;
      this.#logger.warn({ ...this.#fields, err: error }, `${this.#label}: Redis: ${error.message}`);
    } else if (now - this.#warnedAt >= this.#remindEvery) {
      this.#warnedAt = now;
      this.#logger.warn(
        { ...this.#fields, error: error.message, attempts: this.#attempts, downFor: now - this.#since },
        `${this.#label}: Redis still unreachable after ${seconds(now - this.#since)}, ${attempts(this.#attempts)}: ${error.message}`,
      );
    }
  }

  /** The connection is ready: ends an outage with one info record. */
  ready(): void {
    if (this.#since === undefined) return;
    const downFor = Date.now() - this.#since;
    this.#logger.info(
      { ...this.#fields, attempts: this.#attempts, downFor },
      `${this.#label}: Redis back after ${seconds(downFor)}, ${attempts(this.#attempts)}`,
    );
    this.#since = undefined;
    this.#attempts = 0;
  }

  /** Log the errors of an ioredis client this way. */
  watch(client: RedisEvents): this {
    client.on('error', (error: Error) => this.error(error));
    client.on('ready', () => this.ready());
    return this;
  }

  /**
   * Log the connection errors of a BullMQ queue, queue events or worker this way (its `error`
   * event also carries errors of its own: those go to `other`); `client` is its ioredis client,
   * whose `ready` ends an outage.
   */
  watchBullmq(emitter: RedisEvents, client: Promise<RedisEvents>, other: (error: Error) => void): this {
    emitter.on('error', (error: Error) => (isConnectionError(error) ? this.error(error) : other(error)));
    client.then(
      (connected) => {
        this.ready();
        connected.on('ready', () => this.ready());
      },
      () => {},
    );
    return this;
  }
}

/** Whether `error` is about reaching Redis (a socket's error, or a command on a closed connection). */
export function isConnectionError(error: Error): boolean {
  const { syscall, code } = error as NodeJS.ErrnoException;
  return typeof syscall === 'string' || (typeof code === 'string' && /^E[A-Z]+$/.test(code)) || /^Connection is closed/.test(error.message);
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
const attempts = (n: number): string => `${n} failed attempt${n === 1 ? '' : 's'}`;
