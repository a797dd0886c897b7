/**
 * The table's first rows against a real redis-server, the worker a `cobald run` daemon of its
 * own: values round-trip as JSON, a task's error travels with its name, message and stack and
 * where it failed, an unknown task is refused at once, args that are not JSON never leave.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { installTimeout } from '@cobald/test-support';
import { bullmq, RemoteTaskFailed, UnknownTask } from '@cobald/flavour-bullmq';
import { Queue } from 'bullmq';
import { hostname } from 'node:os';
import { callerRunner, killWorkers, marksIn, startRedis, startWorker, type RedisServer } from './support.js';

let redis: RedisServer;
let caller: ReturnType<typeof callerRunner>;
let accepting: Promise<void>;
const queue = 'execute';

beforeAll(async () => {
  redis = await startRedis();
  await startWorker(redis, marksIn(redis), { queue, concurrency: 2 });
  caller = callerRunner(redis);
  accepting = caller.runner.accept();
}, installTimeout + 60_000);

afterAll(async () => {
  await caller?.runner.shutdown();
  await accepting;
  await killWorkers();
  await redis?.stop();
});

const run = (task: string, ...args: unknown[]) => caller.runner.execute({ queue, task }, { flavour: bullmq, args });

describe('execute() of a remote task', () => {
  it('resolves with the value the task returns; JSON values round-trip, undefined stays undefined', async () => {
    const value = { text: 'ä ✓', list: [1, 2.5, null, true, 'x'], nested: { deep: { n: -0.125 } }, empty: {} };
    await expect(run('echo', value)).resolves.toEqual(value);
    await expect(run('add', 40, 2)).resolves.toBe(42);
    await expect(run('echo', null)).resolves.toBeNull();
    await expect(run('nothing')).resolves.toBeUndefined();
  }, 60_000);

  it("rejects with the task's error: name, message and stack as its cause, plus queue, task and host; the worker runs on", async () => {
    const error = (await run('fail', 'out of range').catch((e: unknown) => e)) as RemoteTaskFailed;
    expect(error).toBeInstanceOf(RemoteTaskFailed);
    expect(error).toMatchObject({ name: 'RemoteTaskFailed', queue, task: 'fail', host: hostname() });
    expect(error.message).toContain("task 'fail' of queue 'execute' failed on worker host");
    expect(error.message).toContain('RangeError: out of range');
    const cause = error.cause as Error;
    expect(cause).toMatchObject({ name: 'RangeError', message: 'out of range' });
    expect(cause.stack).toContain('tasks.mjs');
    await expect(run('add', 1, 1)).resolves.toBe(2);
  }, 60_000);

  it('rejects at once for a task the queue does not serve, naming task and queue; the worker runs on', async () => {
    const error = (await run('resize', 'a.png').catch((e: unknown) => e)) as UnknownTask;
    expect(error).toBeInstanceOf(UnknownTask);
    expect(error.message).toContain("queue 'execute' has no task 'resize'");
    expect(error.tasks).toContain('echo');
    await expect(run('add', 2, 2)).resolves.toBe(4);
  }, 60_000);

  it('refuses args that are not JSON before anything reaches Redis', async () => {
    const counts = new Queue(queue, { connection: { path: redis.path } });
    try {
      const before = await counts.count();
      const cases: [unknown[], string][] = [
        [[new Date(0)], 'args[0] is a Date'],
        [[{ when: new Map() }], 'args[0].when is a Map'],
        [[() => 1], 'args[0] is a function'],
        [[1n], 'args[0] is a bigint'],
        [[Number.NaN], 'args[0] is NaN'],
        [[undefined], 'args[0] is undefined'],
      ];
      for (const [args, problem] of cases) {
        const error = (await run('echo', ...args).catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toContain("the args of task 'echo' of queue 'execute' travel as JSON");
        expect(error.message).toContain(problem);
      }
      expect(await counts.count()).toBe(before);
    } finally {
      await counts.close();
    }
  }, 60_000);

  it('fails a job whose value cannot travel as JSON, saying so', async () => {
    const error = (await run('dated').catch((e: unknown) => e)) as RemoteTaskFailed;
    expect(error).toBeInstanceOf(RemoteTaskFailed);
    expect(error.cause).toMatchObject({ name: 'TypeError' });
    expect((error.cause as Error).message).toContain("task 'dated' returned a value that cannot travel as JSON: the value.when is a Date");
  }, 60_000);
});
