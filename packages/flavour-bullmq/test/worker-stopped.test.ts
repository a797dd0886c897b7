/**
 * A worker is stopped (SIGTERM) in the middle of a job: the job's signal aborts, the job goes
 * back to the queue (not failed, not counted as an attempt), the daemon exits 0, and the caller
 * gets the value from the other worker. Two worker daemons, the caller in the test's process.
 */
import { expect, it } from '@jest/globals';
import { bullmq } from '@cobald/flavour-bullmq';
import { Queue } from 'bullmq';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callerRunner, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'worker-stopped';

it('the job goes back to the queue and its value arrives from another worker; the daemon exits 0', async () => {
  const marks = marksIn(redis);
  const workers = [await startWorker(redis, marks, { queue }), await startWorker(redis, marks, { queue })];
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  const jobs = new Queue(queue, { connection: { path: redis.path } });
  try {
    const result = runner.execute({ queue, task: 'slow' }, { flavour: bullmq, args: ['job'] });
    await waitFor('the job to start', () => markOf(marks, 'job', 'started') !== undefined);
    const first = Number(markOf(marks, 'job', 'started'));
    const stopped = workers.find((worker) => worker.pid === first)!;
    const other = workers.find((worker) => worker.pid !== first)!;
    stopped.child.kill('SIGTERM');
    expect(await stopped.exited).toBe(0);
    expect(markOf(marks, 'job', 'aborted')).toBeDefined();
    writeFileSync(join(marks, 'job.go'), '');
    await expect(result).resolves.toBe(`done by ${other.pid}`);
    expect(markOf(marks, 'job', 'runs')?.trim().split('\n')).toEqual([String(stopped.pid), String(other.pid)]);
    const [job] = await jobs.getCompleted();
    expect(job).toBeDefined();
    // Started twice, one attempt made: the run handed back was not counted, and nothing failed.
    expect({ started: job!.attemptsStarted, made: job!.attemptsMade, stalled: job!.stalledCounter }).toEqual({
      started: 2,
      made: 1,
      stalled: 0,
    });
    expect(await jobs.getFailedCount()).toBe(0);
  } finally {
    await jobs.close();
    await runner.shutdown();
    await accepting;
  }
}, 120_000);

it('a task that ignores its signal: the job still goes to the other worker, and the daemon exits 0 after its grace period, quietly', async () => {
  const marks = marksIn(redis);
  const workers = [await startWorker(redis, marks, { queue: 'stubborn' }), await startWorker(redis, marks, { queue: 'stubborn' })];
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  try {
    const result = runner.execute({ queue: 'stubborn', task: 'stubborn' }, { flavour: bullmq, args: ['deaf'] });
    await waitFor('the job to start', () => markOf(marks, 'deaf', 'started') !== undefined);
    const first = Number(markOf(marks, 'deaf', 'started'));
    const stopped = workers.find((worker) => worker.pid === first)!;
    const other = workers.find((worker) => worker.pid !== first)!;
    stopped.child.kill('SIGTERM');
    expect(await stopped.exited).toBe(0);
    writeFileSync(join(marks, 'deaf.go'), '');
    await expect(result).resolves.toBe(`stubborn done by ${other.pid}`);
    // The task is abandoned (and said so); nothing else complains: not BullMQ about the lock of
    // the job handed back, not the runtime about the queue's server.
    expect(stopped.output()).toContain("payload 'stubborn' (asyncio");
    expect(stopped.output()).not.toContain('could not renew lock');
    expect(stopped.output()).not.toContain("'serve stubborn'");
  } finally {
    await runner.shutdown();
    await accepting;
  }
}, 120_000);
