/**
 * An adopted remote payload is supervised as any adopted payload on the caller: a value it
 * returns is an `OrphanedReturn`, a failure goes to its restart policy. The worker is a daemon.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { installTimeout } from '@cobald/test-support';
import { OrphanedReturn, PayloadFailure } from '@cobald/kernel';
import { bullmq } from '@cobald/flavour-bullmq';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { callerRunner, killWorkers, marksIn, startRedis, startWorker, type RedisServer } from './support.js';

let redis: RedisServer;
let marks: string;
const queue = 'adopt';

beforeAll(async () => {
  redis = await startRedis();
  marks = marksIn(redis);
  await startWorker(redis, marks, { queue });
}, installTimeout + 60_000);

afterAll(async () => {
  await killWorkers();
  await redis?.stop();
});

it('a value returned by an adopted remote payload is an OrphanedReturn that stops the caller', async () => {
  const { runner } = callerRunner(redis);
  runner.adopt({ queue, task: 'echo' }, { flavour: bullmq, args: ['lost'], name: 'orphan' });
  const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
  expect(error).toBeInstanceOf(PayloadFailure);
  expect(error.cause).toBeInstanceOf(OrphanedReturn);
  expect(error.message).toContain('orphan');
}, 60_000);

it('a failing adopted remote payload is restarted by its policy, each run a new job, until it ends', async () => {
  const { runner } = callerRunner(redis);
  const counter = join(marks, 'fails.count');
  runner.adopt(
    { queue, task: 'failsTimes' },
    { flavour: bullmq, args: [2, counter], restart: 'on-failure', backoff: { initial: 10, max: 10 }, name: 'flaky' },
  );
  const accepting = runner.accept();
  const { until } = await import('@cobald/test-support');
  await until(() => runner.tree().ended.some((node) => node.name === 'flaky' && node.state === 'done'), 60_000);
  expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(3);
  await runner.shutdown();
  await expect(accepting).resolves.toBeUndefined();
}, 60_000);
