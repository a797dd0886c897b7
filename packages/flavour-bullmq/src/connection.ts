/**
 * Where Redis is: ioredis options (`{ path: '/run/redis/redis.sock' }`, `{ host, port, username,
 * password, tls }`) or a `redis://` / `rediss://` URL; by default `REDIS_URL`, else
 * `redis://127.0.0.1:6379`. Every connection this package opens (its own and BullMQ's) is made
 * from the same options, with `maxRetriesPerRequest: null`: a command waits for Redis to come
 * back instead of failing after a few retries.
 */
import type { ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';

/** Where Redis is: ioredis options or a `redis://` / `rediss://` URL. */
export type Connection = RedisOptions | string;

/** The ioredis options for `connection`, or a `TypeError` that says what is wrong, naming `where`. */
export function redisOptions(connection: unknown, where: string): RedisOptions {
  const given = connection ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (typeof given === 'string') return { ...fromUrl(given, where), maxRetriesPerRequest: null };
  if (typeof given === 'object' && given !== null && !Array.isArray(given)) {
    return { ...(given as RedisOptions), maxRetriesPerRequest: null };
  }
  throw new TypeError(`${where}: 'connection' is ioredis options or a redis:// URL, got ${typeof given}`);
}

function fromUrl(text: string, where: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${where}: 'connection' ${JSON.stringify(text)} is not a URL (redis://host:port/db or rediss:// for TLS)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`${where}: 'connection' must be a redis:// or rediss:// URL, got ${url.protocol}`);
  }
  const options: RedisOptions = { host: url.hostname || '127.0.0.1', port: url.port ? Number(url.port) : 6379 };
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (db) {
    if (!/^\d+$/.test(db)) throw new TypeError(`${where}: the database of 'connection' must be a number, got ${JSON.stringify(db)}`);
    options.db = Number(db);
  }
  if (url.protocol === 'rediss:') options.tls = { servername: url.hostname };
  return options;
}

/** The same options, as BullMQ's `connection` takes them (its type is looser than ioredis's). */
export const bullmqConnection = (options: RedisOptions): ConnectionOptions => options as ConnectionOptions;
