/**
 * The counts of the queues a caller uses, for the monitor (`@cobald/monitor`), which asks on the
 * diagnostics channel `cobald:queues:stats`: each query gets the counts last read with BullMQ's
 * own `getJobCounts()`, and starts a new read when those are older than a second. So Redis is
 * asked at most once a second per queue, and only while someone looks.
 */
import type { Queue } from 'bullmq';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

const states = ['waiting', 'active', 'failed', 'delayed', 'completed'] as const;
type Counts = Record<(typeof states)[number], number>;

/** What the monitor's query holds: each queue's counts are pushed onto `queues`. */
interface QueueQuery {
  readonly queues: ({ readonly system: string; readonly queue: string } & Counts)[];
}

const refreshAfter = 1_000;

interface Tracked {
  counts: Counts | undefined;
  readAt: number;
  reading: boolean;
}

export class QueueStatsReporter {
  readonly #queues: () => ReadonlyMap<string, Queue>;
  readonly #tracked = new Map<string, Tracked>();
  readonly #answer = (message: unknown): void => {
    const query = message as QueueQuery;
    if (!Array.isArray(query?.queues)) return;
    const now = Date.now();
    for (const [name, queue] of this.#queues()) {
      let tracked = this.#tracked.get(name);
      if (!tracked) this.#tracked.set(name, (tracked = { counts: undefined, readAt: 0, reading: false }));
      if (tracked.counts) query.queues.push({ system: 'bullmq', queue: name, ...tracked.counts });
      if (!tracked.reading && now - tracked.readAt >= refreshAfter) void this.#read(queue, tracked);
    }
  };

  /** Report the queues `queues()` lists, until {@link close}. */
  constructor(queues: () => ReadonlyMap<string, Queue>) {
    this.#queues = queues;
    subscribe('cobald:queues:stats', this.#answer);
  }

  async #read(queue: Queue, tracked: Tracked): Promise<void> {
    tracked.reading = true;
    try {
      tracked.counts = (await queue.getJobCounts(...states)) as Counts;
    } catch {
      // Redis is away: the last counts stay until it is back.
    } finally {
      tracked.readAt = Date.now();
      tracked.reading = false;
    }
  }

  close(): void {
    unsubscribe('cobald:queues:stats', this.#answer);
  }
}
