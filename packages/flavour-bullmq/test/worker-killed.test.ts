/**
 * A worker is killed (SIGKILL) in the middle of a job: BullMQ's stalled-job recovery gives the
 * job to the other worker, and the caller gets the value from there. Two worker daemons, the
 * caller in the test's process.
 */
import { expect, it } from '@jest/globals';
import { bullmq } from '@cobald/flavour-bullmq';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callerRunner, markOf, marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'worker-killed';

it('the value arrives from another worker', async () => {
  const marks = marksIn(redis);
  const settings = { queue, lockDuration: 2000, stalledInterval: 1000 };
  const workers = [await startWorker(redis, marks, settings), await startWorker(redis, marks, settings)];
  const { runner } = callerRunner(redis);
  const accepting = runner.accept();
  try {
    const result = runner.execute({ queue, task: 'slow' }, { flavour: bullmq, args: ['job'] });
    await waitFor('the job to start', () => markOf(marks, 'job', 'started') !== undefined);
    const first = Number(markOf(marks, 'job', 'started'));
    const victim = workers.find((worker) => worker.pid === first)!;
    const other = workers.find((worker) => worker.pid !== first)!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    writeFileSync(join(marks, 'job.go'), '');
    await expect(result).resolves.toBe(`done by ${other.pid}`);
    expect(markOf(marks, 'job', 'runs')?.trim().split('\n')).toEqual([String(victim.pid), String(other.pid)]);
  } finally {
    await runner.shutdown();
    await accepting;
  }
}, 120_000);
