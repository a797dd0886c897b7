/**
 * A Redis outage is logged once per connection, not once per reconnect attempt: ioredis retries
 * every 50 ms to 2 s, each attempt an `error` event; the caller and the worker log the first of
 * an outage, then at most a reminder per 30 s, and an info record when Redis is back.
 */
import { expect, it } from '@jest/globals';
import { bullmq } from '@cobald/flavour-bullmq';
import type { Logger } from '@cobald/kernel';
import { silentLogger } from '@cobald/kernel';
import { testRunner } from '@cobald/test-support';
import { setTimeout as delay } from 'node:timers/promises';
import { marksIn, redisForFile, startWorker, waitFor } from './support.js';

const redis = redisForFile();
const queue = 'outage';
/** A warning about reaching Redis. */
const aboutRedis = /: Redis[: ]|ECONNREFUSED|ENOENT|Connection is closed/;

it('a Redis outage of 5 s is a warning per connection and an info record when it is back', async () => {
  const marks = marksIn(redis);
  const worker = await startWorker(redis, marks, { queue });
  const records: { level: string; msg: string }[] = [];
  const record =
    (level: string) =>
    (_obj: object, msg = '') =>
      void records.push({ level, msg });
  const logger: Logger = { ...silentLogger, warn: record('warn'), info: record('info'), error: record('error') };
  const { runner } = testRunner({
    gracePeriod: 10_000,
    logger,
    flavours: { bullmq: { connection: { path: redis.path }, callerLease: 30_000 } },
  });
  const accepting = runner.accept();
  try {
    // The caller's connections: its own, the queue's and the queue events'.
    await expect(runner.execute({ queue, task: 'add' }, { flavour: bullmq, args: [1, 2] })).resolves.toBe(3);
    const workerBefore = worker.output().length;
    await redis.restart(5_000);
    await expect(runner.execute({ queue, task: 'add' }, { flavour: bullmq, args: [2, 3] })).resolves.toBe(5);
    await delay(2_000);

    const callerWarnings = records.filter((r) => r.level === 'warn' && aboutRedis.test(r.msg));
    // One per connection (3), where each was an error per attempt (about 10 in 5 s) before.
    expect(callerWarnings.length).toBeGreaterThanOrEqual(1);
    expect(callerWarnings.map((r) => r.msg)).toHaveLength(Math.min(callerWarnings.length, 3));
    await waitFor('the caller to report Redis back', () => records.filter((r) => /Redis back after/.test(r.msg)).length >= 3);
    for (const back of records.filter((r) => /Redis back after/.test(r.msg))) {
      expect(back.level).toBe('info');
      expect(back.msg).toMatch(/Redis back after \d+ s, \d+ failed attempts?$/);
    }

    // The worker (its log is its output, one line a record): its commands and subscriber
    // connections and BullMQ's worker connections, a warning each at most.
    const workerLog = worker
      .output()
      .slice(workerBefore)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const workerWarnings = workerLog.filter((r) => r.level === 40 && aboutRedis.test(r.msg)).map((r) => r.msg);
    expect(workerWarnings.length).toBeGreaterThanOrEqual(1);
    expect(workerWarnings).toHaveLength(Math.min(workerWarnings.length, 4));
    await waitFor('the worker to report Redis back', () => /Redis back after/.test(worker.output().slice(workerBefore)));
    expect(worker.output().slice(workerBefore)).toMatch(/"level":30,.*Redis back after \d+ s, \d+ failed attempts?"/);
  } finally {
    await runner.shutdown();
    await accepting;
  }
}, 180_000);
