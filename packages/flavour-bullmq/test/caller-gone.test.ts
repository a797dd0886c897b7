/**
 * A caller's process dies (SIGKILL) while its jobs run and wait: once its `callerLease` is over,
 * the worker aborts the running job's signal and withdraws the waiting one, which never runs.
 * Caller and worker are processes of their own.
 */
import { expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { spawn } from 'node:child_process';
import { fixture, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'caller-gone';

it("after the caller's lease, its running job's signal aborts and its waiting job is withdrawn", async () => {
  const marks = marksIn(redis);
  await startWorker(redis, marks, { queue, concurrency: 1 });
  const env = { ...process.env, REDIS_PATH: redis.path, QUEUE: queue, CALLER_LEASE: '1500', TASKS: 'blocked:leased,slow:queued' };
  const caller = spawn(process.execPath, [fixture('caller.mjs')], { env, stdio: 'ignore' });
  const counts = new Queue(queue, { connection: { path: redis.path } });
  try {
    await waitFor('the first job to run', () => markOf(marks, 'leased', 'started') !== undefined);
    await waitFor('the second job to wait', async () => (await counts.getWaitingCount()) === 1);
    const killed = new Promise((resolve) => caller.once('exit', resolve));
    caller.kill('SIGKILL');
    await killed;
    await waitFor("the running job's signal to abort", () => markOf(marks, 'leased', 'aborted') !== undefined);
    await waitFor('both jobs to be failed', async () => (await counts.getFailedCount()) === 2);
    const failed = await counts.getFailed();
    expect(failed.map((job) => job.failedReason).sort()).toEqual([
      expect.stringContaining('"cobald":"withdrawn"'),
      expect.stringContaining('"cobald":"withdrawn"'),
    ]);
    expect(markOf(marks, 'queued', 'started')).toBeUndefined();
    expect(markOf(marks, 'leased', 'runs')?.trim().split('\n')).toHaveLength(1);
  } finally {
    caller.kill('SIGKILL');
    await counts.close();
  }
}, 120_000);
