/**
 * A caller that shuts down with thousands of jobs waiting: every `execute()` rejects as a
 * cancellation, and none of the jobs runs when a worker comes later, whether the caller removed
 * it from Redis in time or left it (with its cancel key, and its heartbeat saying 'gone').
 */
import { expect, it } from '@jest/globals';
import { isCancellation } from '@cobald/kernel';
import { bullmq } from '@cobald/flavour-bullmq';
import { Queue } from 'bullmq';
import { callerRunner, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'queued-at-shutdown';

it('withdraws 2000 waiting jobs: all executes reject as cancelled and none runs later', async () => {
  const count = 2000;
  const marks = marksIn(redis);
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  const jobs = new Queue(queue, { connection: { path: redis.path } });
  try {
    const outcomes = Array.from({ length: count }, (_, i) =>
      runner.execute({ queue, task: 'slow' }, { flavour: bullmq, args: [`job${i}`] }).then(
        () => 'value',
        (error: unknown) => (isCancellation(error) ? 'cancelled' : String(error)),
      ),
    );
    await waitFor('the jobs to wait', async () => (await jobs.getWaitingCount()) === count);
    await runner.shutdown();
    await accepting;
    expect(new Set(await Promise.all(outcomes))).toEqual(new Set(['cancelled']));
    await startWorker(redis, marks, { queue, concurrency: 8 });
    await waitFor('the worker to withdraw what was left', async () => {
      const left = await jobs.getJobCounts('waiting', 'active');
      return (left.waiting ?? 0) + (left.active ?? 0) === 0;
    });
    expect(await jobs.getCompletedCount()).toBe(0);
    expect(Array.from({ length: count }, (_, i) => markOf(marks, `job${i}`, 'started')).filter(Boolean)).toEqual([]);
  } finally {
    await jobs.close();
  }
}, 180_000);
