/**
 * The check before a job starts (its cancel key, its caller's heartbeat), made for many jobs at
 * once: a worker that finds 60 jobs waiting, of three callers, reads their keys in batches, and
 * each job gets its own answer: a cancelled one and one of a caller that is gone are withdrawn
 * and never run, the rest run.
 */
import { expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'checked-in-batches';

it("each of many jobs that start at once is checked against its own cancel key and its own caller's heartbeat", async () => {
  const marks = marksIn(redis);
  const jobs = new Queue(queue, { connection: { path: redis.path } });
  const keys = new Redis({ path: redis.path });
  try {
    // Three callers as a caller's heartbeat keys say them (docs/fleet.md): two there, one gone.
    await keys.set('bull:cobald:caller:there-1', 'alive', 'PX', 60_000);
    await keys.set('bull:cobald:caller:there-2', 'alive', 'PX', 60_000);
    await keys.set('bull:cobald:caller:left', 'gone', 'PX', 60_000);
    const callers = ['there-1', 'there-2', 'left'];
    const count = 60;
    const expected = new Map<string, 'runs' | 'cancelled' | 'withdrawn'>();
    for (let i = 0; i < count; i++) {
      const name = `job${i}`;
      const caller = callers[i % 3]!;
      const cancelled = caller !== 'left' && i % 4 === 0;
      writeFileSync(join(marks, `${name}.go`), '');
      if (cancelled) await keys.set(`bull:cobald:cancel:${name}`, '1', 'PX', 60_000);
      expected.set(name, caller === 'left' ? 'withdrawn' : cancelled ? 'cancelled' : 'runs');
      await jobs.add('slow', { args: [name], caller, lease: 30_000 }, { jobId: name, attempts: 1 });
    }
    await startWorker(redis, marks, { queue, concurrency: 8 });
    await waitFor('the worker to take every job', async () => {
      const left = await jobs.getJobCounts('waiting', 'active');
      return (left.waiting ?? 0) + (left.active ?? 0) === 0;
    });
    const seen = new Map<string, string>();
    for (const name of expected.keys()) {
      const job = (await jobs.getJob(name))!;
      const ran = markOf(marks, name, 'started') !== undefined;
      if (job.finishedOn && job.failedReason) {
        const { cobald } = JSON.parse(job.failedReason) as { cobald: string };
        seen.set(name, ran ? `${cobald} after it ran` : cobald);
      } else seen.set(name, ran && job.returnvalue ? 'runs' : `unfinished (ran: ${ran})`);
    }
    expect(seen).toEqual(expected);
    expect([...expected.values()].filter((what) => what === 'runs').length).toBeGreaterThan(20);
  } finally {
    keys.disconnect();
    await jobs.close();
  }
}, 120_000);
