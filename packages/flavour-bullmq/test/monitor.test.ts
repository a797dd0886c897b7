/**
 * The monitor of a caller shows the queues it uses: BullMQ's own job counts, by state, on
 * /metrics and in /api/tree, read from a real redis-server.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { installTimeout } from '@cobald/test-support';
import { attachMonitor } from '@cobald/monitor';
import { bullmq } from '@cobald/flavour-bullmq';
import { callerRunner, startRedis, waitFor, type RedisServer } from './support.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
}, installTimeout + 60_000);

afterAll(async () => {
  await redis?.stop();
});

it('shows the waiting job of a queue nobody serves, on /metrics and in /api/tree', async () => {
  const { runner } = callerRunner(redis);
  const monitor = await attachMonitor(runner);
  const accepting = runner.accept();
  const waiting = runner.execute({ queue: 'unserved', task: 'echo' }, { flavour: bullmq, args: [1] }).catch((e: unknown) => e);
  try {
    const line = 'cobald_queue_jobs{system="bullmq",queue="unserved",state="waiting"} 1';
    await waitFor('the waiting job on /metrics', async () => (await (await fetch(`${monitor.url}metrics`)).text()).includes(line));
    const tree = (await (await fetch(`${monitor.url}api/tree`)).json()) as { queues: unknown[] };
    expect(tree.queues).toEqual([{ system: 'bullmq', queue: 'unserved', waiting: 1, active: 0, failed: 0, delayed: 0, completed: 0 }]);
  } finally {
    await runner.shutdown();
    await accepting;
    await waiting;
    await monitor.close();
  }
}, 60_000);
