/**
 * On the worker, each job is a payload of its runtime: `job <id>` under the queue's server, with
 * the task, named after it, under the job; it ends with the job. Worker and caller are one
 * runner here (a runtime may serve a queue and call it).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { currentSignal, type PayloadSnapshot } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { bullmq, serveQueue } from '@cobald/flavour-bullmq';
import { testRunner, until, installTimeout } from '@cobald/test-support';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedis, type RedisServer } from './support.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
}, installTimeout + 60_000);

afterAll(async () => {
  await redis?.stop();
});

const find = (nodes: readonly PayloadSnapshot[], name: string): PayloadSnapshot | undefined => {
  for (const node of nodes) {
    if (node.name === name) return node;
    const inner = find(node.children ?? [], name);
    if (inner) return inner;
  }
  return undefined;
};

it('a running job shows in tree() as a payload named after its task, under its server', async () => {
  const connection = { path: redis.path };
  const { runner } = testRunner({ gracePeriod: 5_000, flavours: { bullmq: { connection } } });
  let started = false;
  runner.adopt(
    serveQueue({
      queue: 'tree',
      connection,
      runner,
      flavour: asyncio,
      tasks: {
        resize: async () => {
          started = true;
          await delay(1e9, undefined, { signal: currentSignal() });
        },
      },
    }),
  );
  const accepting = runner.accept();
  const result = runner.execute({ queue: 'tree', task: 'resize' }, { flavour: bullmq }).catch((e: unknown) => e);
  await until(() => started, 60_000);
  const roots = runner.tree().flavours.flatMap((branch) => branch.payloads);
  const server = find(roots, 'serve tree')!;
  expect(server).toBeDefined();
  const job = server.children?.find((child) => child.name.startsWith('job '));
  expect(job).toBeDefined();
  expect(job!.children?.map((child) => [child.name, child.flavour])).toEqual([['resize', 'asyncio']]);
  await runner.shutdown();
  await accepting;
  await result;
}, 60_000);
