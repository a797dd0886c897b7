/**
 * Redis restarts empty (no persistence) while jobs run: the executes waiting for them reject
 * with `JobLost` instead of waiting for ever, and the caller and the worker go on with Redis
 * once it is back.
 */
import { expect, it } from '@jest/globals';
import { bullmq, JobLost } from '@cobald/flavour-bullmq';
import { callerRunner, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'restarted';

it('jobs lost with Redis reject with JobLost; executes after it came back succeed', async () => {
  const marks = marksIn(redis);
  await startWorker(redis, marks, { queue, concurrency: 2 });
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  try {
    const lost = [0, 1, 2].map((i) =>
      runner.execute({ queue, task: 'slow' }, { flavour: bullmq, args: [`lost${i}`] }).catch((e: unknown) => e),
    );
    await waitFor(
      'the jobs to start',
      () => markOf(marks, 'lost0', 'started') !== undefined && markOf(marks, 'lost1', 'started') !== undefined,
    );
    await redis.restart();
    for (const error of await Promise.all(lost)) {
      expect(error).toBeInstanceOf(JobLost);
      expect((error as JobLost).message).toContain('is gone from Redis before it finished');
    }
    await expect(runner.execute({ queue, task: 'add' }, { flavour: bullmq, args: [2, 3] })).resolves.toBe(5);
  } finally {
    await runner.shutdown();
    await accepting;
  }
}, 180_000);
