/**
 * A caller's payload is cancelled: while no worker serves the queue, `execute()` waits and its
 * job is withdrawn (it never runs); while the job runs on a worker, the task's `currentSignal()`
 * aborts there and the job does not run again. The worker is a daemon of its own.
 */
import { expect, it } from '@jest/globals';
import { isCancellation } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { bullmq } from '@cobald/flavour-bullmq';
import { Queue } from 'bullmq';
import { callerRunner, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();

it('with no worker, execute() waits; cancelled (the runtime stops), it rejects and the waiting job is withdrawn', async () => {
  const queue = 'nobody-serves';
  const marks = marksIn(redis);
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  const jobs = new Queue(queue, { connection: { path: redis.path } });
  try {
    let settled = false;
    const result = runner.execute({ queue, task: 'slow' }, { flavour: bullmq, args: ['never'] }).finally(() => (settled = true));
    await waitFor('the job to wait in the queue', async () => (await jobs.getWaitingCount()) === 1);
    expect(settled).toBe(false);
    await runner.shutdown();
    expect(isCancellation(await result.catch((e: unknown) => e))).toBe(true);
    expect(await jobs.getJobCounts()).toEqual(expect.objectContaining({ waiting: 0, active: 0, failed: 0, completed: 0 }));
    // A worker that comes now finds nothing to run.
    await startWorker(redis, marks, { queue });
    await jobs.add('echo', { args: ['probe'], caller: 'probe', lease: 60_000 });
    await waitFor('the probe to be done', async () => (await jobs.getCompletedCount()) === 1);
    expect(markOf(marks, 'never', 'started')).toBeUndefined();
  } finally {
    await jobs.close();
    await runner.shutdown();
    await accepting;
  }
}, 120_000);

it("when the caller's payload is cancelled by its parent's restart, the running task's signal aborts and the job does not run again", async () => {
  const queue = 'cancelled';
  const marks = marksIn(redis);
  await startWorker(redis, marks, { queue });
  const { runner } = callerRunner(redis);
  let runs = 0;
  runner.adopt(
    async () => {
      if (++runs > 1) return new Promise(() => {}); // the restarted run waits for the shutdown
      void runner.execute({ queue, task: 'blocked' }, { flavour: bullmq, args: ['remote'] }).catch(() => {});
      await waitFor('the remote task to start', () => markOf(marks, 'remote', 'started') !== undefined);
      throw new Error('restart me');
    },
    { flavour: asyncio, name: 'parent', restart: 'on-failure' },
  );
  const accepting = runner.accept();
  const jobs = new Queue(queue, { connection: { path: redis.path } });
  try {
    await waitFor("the remote task's signal to abort", () => markOf(marks, 'remote', 'aborted') !== undefined);
    await waitFor('the job to be failed', async () => (await jobs.getFailedCount()) === 1);
    const [job] = await jobs.getFailed();
    expect(job!.failedReason).toContain('"cobald":"cancelled"');
    expect(await jobs.getJobCounts()).toEqual(expect.objectContaining({ waiting: 0, active: 0, delayed: 0, completed: 0 }));
    expect(markOf(marks, 'remote', 'runs')?.trim().split('\n')).toHaveLength(1);
  } finally {
    await jobs.close();
    await runner.shutdown();
    await accepting;
  }
}, 120_000);
