/**
 * The threads of the threading flavour, asked for through `node:diagnostics_channel`: every
 * threading runner of the process subscribes to `cobald:threading:stats` while it is open and,
 * when a query is published there, adds its pool's numbers to it. A query costs nothing when no
 * threading runner exists, and the monitor needs no import of the threading flavour.
 */
import { channel } from 'node:diagnostics_channel';

/** The numbers of one pool of worker threads, as the threading flavour reports them. */
export interface ThreadPoolStats {
  /** Threads alive (starting, idle or busy). */
  readonly workers: number;
  readonly starting: number;
  readonly idle: number;
  readonly busy: number;
  /** Payloads waiting for a thread. */
  readonly queued: number;
}

/** The message published on `cobald:threading:stats`; each open pool pushes onto `pools`. */
export interface ThreadPoolQuery {
  readonly pools: ThreadPoolStats[];
}

const stats = channel('cobald:threading:stats');

/** The numbers of every open threading pool of the process, summed; undefined if there is none. */
export function threadPools(): ThreadPoolStats | undefined {
  if (!stats.hasSubscribers) return undefined;
  const query: ThreadPoolQuery = { pools: [] };
  stats.publish(query);
  if (query.pools.length === 0) return undefined;
  const sum = { workers: 0, starting: 0, idle: 0, busy: 0, queued: 0 };
  for (const pool of query.pools) {
    sum.workers += pool.workers;
    sum.starting += pool.starting;
    sum.idle += pool.idle;
    sum.busy += pool.busy;
    sum.queued += pool.queued;
  }
  return sum;
}
