/**
 * A fleet through BullMQ on Redis: trivial executes through the bullmq flavour, answered by
 * worker processes, against raw BullMQ doing the same round trips in the same run (a Queue
 * adding jobs, Workers returning values, the caller awaiting each result through QueueEvents),
 * both with 32 executes in flight. The main row uses two worker processes; the others give the
 * throughput with 1, 2 and 4. A redis-server of the figure's own runs on a unix socket.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents } from 'bullmq';
import { bullmq } from '@cobald/flavour-bullmq';
import { spawnOwned, start, workerUrl } from './support.mjs';

const inFlight = 32;

async function startRedis() {
  const binary = '/usr/bin/redis-server';
  if (!existsSync(binary)) throw new Error('the bullmq figure needs redis-server: apt-get install redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'cobald-bench-redis-'));
  const path = join(dir, 'redis.sock');
  const child = spawnOwned(binary, ['--port', '0', '--unixsocket', path, '--save', '', '--appendonly', 'no', '--dir', dir]);
  // Also when the bench ends without stop() (a figure given up on, a signal): killOwned() ends redis-server then.
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  const stop = () => {
    child.kill('SIGKILL');
    remove();
    process.off('exit', remove);
  };
  const end = Date.now() + 10_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
      stop();
      throw new Error(
        `the bullmq figure's redis-server did not open ${path} within 10 s (it exited with ${child.exitCode ?? child.signalCode ?? 'nothing yet'})`,
      );
    }
    await sleep(20);
  }
  await sleep(100);
  return { path, stop };
}

/** `count` worker processes of `mode` serving `queue`; resolves once BullMQ lists them all. */
async function startWorkers(mode, path, queue, count) {
  const script = fileURLToPath(workerUrl('bullmq-worker.mjs'));
  const children = Array.from({ length: count }, () => spawnOwned(process.execPath, [script, mode, path, queue]));
  const stop = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            // A worker whose close() hangs (a job that never finishes) must not hang the bench.
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => (clearTimeout(kill), resolve()));
            child.kill('SIGTERM');
          }),
      ),
    );
  const probe = new Queue(queue, { connection: { path } });
  try {
    const end = Date.now() + 60_000;
    while ((await probe.getWorkersCount()) < count) {
      if (Date.now() > end) throw new Error(`the bullmq figure's ${count} ${mode} worker processes did not start within 60 s`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    await probe.close();
  }
  return stop;
}

/** Run `count` calls of `one()` with `inFlight` at a time; jobs per second. */
async function rate(count, one) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        if ((await one(i)) !== i) throw new Error(`job ${i} answered wrongly`);
      }
    }),
  );
  return Math.round((count / (performance.now() - t0)) * 1000);
}

async function raw(path, queue, workers, count) {
  const stop = await startWorkers('raw', path, queue, workers);
  const jobs = new Queue(queue, { connection: { path } });
  // From the stream's start: the queue is this figure's own and new. With the default ('$', the
  // newest event at the first read), the events written between waitUntilReady() and that first
  // read are lost, and a job whose completion falls there hangs the figure (seen in CI). The
  // flavour's caller reads from the newest event it saw before adding jobs, for the same reason.
  const events = new QueueEvents(queue, { connection: { path }, lastEventId: '0-0' });
  // One listener for all jobs in flight, each waiting by its id, as a caller that awaits many
  // results would write it (job.waitUntilFinished() adds two listeners per job).
  const waiting = new Map();
  const settle = (jobId, outcome) => {
    const waiter = waiting.get(jobId);
    waiting.delete(jobId);
    waiter?.(outcome);
  };
  events.on('completed', ({ jobId, returnvalue }) =>
    settle(jobId, { value: typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue }),
  );
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, { error: new Error(failedReason) }));
  await events.waitUntilReady();
  const options = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } };
  const one = async (value) => {
    const jobId = `job-${value}`;
    const outcome = new Promise((resolve) => waiting.set(jobId, resolve));
    await jobs.add('echo', { value }, { ...options, jobId });
    const { value: result, error } = await outcome;
    if (error) throw error;
    return result;
  };
  try {
    return await rate(count, one);
  } finally {
    await Promise.all([jobs.close(), events.close()]);
    await stop();
  }
}

async function flavour(path, queue, workers, count) {
  const stop = await startWorkers('flavour', path, queue, workers);
  const state = start({ bullmq: { connection: { path } } });
  try {
    await state.runner.whenRunning();
    await state.runner.execute({ queue, task: 'echo' }, { flavour: bullmq, args: [0] });
    return await rate(count, (value) => state.runner.execute({ queue, task: 'echo' }, { flavour: bullmq, args: [value] }));
  } finally {
    await state.stop().finally(stop);
  }
}

export const figures = [
  {
    id: 'bullmq',
    async measure({ short }) {
      const redis = await startRedis();
      try {
        const count = short ? 300 : 10_000;
        const scaled = short ? 100 : 2_000;
        const rows = [];
        const oursMain = await flavour(redis.path, 'bench-main-flavour', 2, count);
        const rawMain = await raw(redis.path, 'bench-main-raw', 2, count);
        rows.push({
          id: 'bullmq-execute',
          title: `${count / 1000}k trivial executes through the bullmq flavour, 2 worker processes, ${inFlight} in flight, vs raw BullMQ (Queue, Workers, QueueEvents)`,
          unit: 'jobs/s',
          ours: oursMain,
          baseline: rawMain,
          target: { op: '>=', ratio: 0.8 },
        });
        for (const workers of [1, 2, 4]) {
          const ours = await flavour(redis.path, `bench-${workers}-flavour`, workers, scaled);
          const baseline = await raw(redis.path, `bench-${workers}-raw`, workers, scaled);
          rows.push({
            id: `bullmq-workers-${workers}`,
            title: `throughput of the bullmq flavour with ${workers} worker process${workers > 1 ? 'es' : ''} (${scaled / 1000}k executes, ${inFlight} in flight), vs raw BullMQ with as many`,
            unit: 'jobs/s',
            ours,
            baseline,
          });
        }
        return rows;
      } finally {
        redis.stop();
      }
    },
  },
];
