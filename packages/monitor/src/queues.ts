/**
 * The job queues the runtime uses (BullMQ's, say), asked for through `node:diagnostics_channel`
 * as the thread pools are: a flavour that uses queues subscribes to `cobald:queues:stats` and,
 * when a query is published there, adds the last counts it has of each queue. Counts live in
 * another system (Redis), so the flavour answers from what it last read and reads again in the
 * background; the monitor imports no flavour and waits for nothing.
 */
import { channel } from 'node:diagnostics_channel';

/** The job counts of one queue, as a flavour reports them. */
export interface QueueStats {
  /** What holds the queue: `'bullmq'`. */
  readonly system: string;
  readonly queue: string;
  readonly waiting: number;
  readonly active: number;
  readonly failed: number;
  readonly delayed: number;
  readonly completed: number;
}

/** The message published on `cobald:queues:stats`; each flavour pushes onto `queues`. */
export interface QueueQuery {
  readonly queues: QueueStats[];
}

/** At most this many queues are shown and exported, so that the metrics' labels stay bounded. */
export const queuesKept = 50;

const stats = channel('cobald:queues:stats');

/** The queues the process uses, by system and name; at most {@link queuesKept}. */
export function queues(): QueueStats[] {
  if (!stats.hasSubscribers) return [];
  const query: QueueQuery = { queues: [] };
  stats.publish(query);
  return query.queues.sort((a, b) => a.system.localeCompare(b.system) || a.queue.localeCompare(b.queue)).slice(0, queuesKept);
}
