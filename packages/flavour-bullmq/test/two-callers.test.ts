/**
 * Two callers share a queue: each gets its own values, and one that stops (cancelling its
 * jobs) touches none of the other's. The second caller is a process of its own.
 */
import { expect, it } from '@jest/globals';
import { bullmq } from '@cobald/flavour-bullmq';
import { spawn } from 'node:child_process';
import { callerRunner, fixture, marksIn, redisForFile, startWorker } from './support.js';

const redis = redisForFile();
const queue = 'shared';

it('each caller gets its own values; one stopping cancels only its own jobs', async () => {
  const marks = marksIn(redis);
  await startWorker(redis, marks, { queue, concurrency: 4 });
  await startWorker(redis, marks, { queue, concurrency: 4 });
  const env = { ...process.env, REDIS_PATH: redis.path, QUEUE: queue, COUNT: '200', STOP_AFTER: '20' };
  const other = spawn(process.execPath, [fixture('cancelling-caller.mjs')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let printed = '';
  other.stdout!.on('data', (chunk: Buffer) => (printed += chunk));
  const otherDone = new Promise((resolve) => other.once('exit', resolve));
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  try {
    const values = await Promise.all(
      Array.from({ length: 200 }, (_, i) => runner.execute({ queue, task: 'echo' }, { flavour: bullmq, args: [`a${i}`] })),
    );
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`));
    await otherDone;
    const tally = JSON.parse(printed) as { right: number; wrong: number; cancelled: number; failed: number };
    expect(tally.wrong).toBe(0);
    expect(tally.failed).toBe(0);
    expect(tally.right + tally.cancelled).toBe(200);
    expect(tally.right).toBeGreaterThanOrEqual(20);
  } finally {
    await runner.shutdown();
    await accepting;
  }
}, 180_000);
