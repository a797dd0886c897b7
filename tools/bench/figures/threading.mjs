/** The threading flavour's figures: executes and adopts against piscina, bare workers and a bare port. */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { threading } from '@cobald/flavour-threading';
import { Piscina } from 'piscina';
import { perSecond, start, throughputRow, withRunner, workerUrl } from './support.mjs';

const threads = availableParallelism();

/** A hand-rolled, pipelined MessageChannel client: calls are collected in a microtask and posted as one array. */
function handRolled() {
  const worker = new Worker(workerUrl('echo-port.mjs'));
  const pending = new Map();
  let batch = [];
  let nextId = 0;
  worker.on('message', (replies) => {
    for (const [id, value] of replies) {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve(value);
    }
  });
  const flush = () => {
    const sending = batch;
    batch = [];
    worker.postMessage(sending);
  };
  return {
    call(value) {
      return new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        if (batch.push([id, value]) === 1) queueMicrotask(flush);
      });
    },
    close: () => worker.terminate(),
  };
}

export const figures = [
  {
    id: 'threading-inflight',
    async measure({ short, pair }) {
      const count = short ? 2_000 : 20_000;
      const { state, hooks } = withRunner();
      const fn = (x) => x;
      let pool;
      let port;
      const inFlight = () =>
        Promise.all(Array.from({ length: count }, (_, i) => state.runner.execute(fn, { flavour: threading, args: [i] })));
      const { ours, baseline } = await pair(inFlight, () => Promise.all(Array.from({ length: count }, (_, i) => pool.run(i))), {
        iterations: short ? 3 : 10,
        alternate: true,
        hooks: {
          ours: hooks,
          baseline: {
            beforeAll: () =>
              void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
            afterAll: () => pool.destroy(),
          },
        },
      });
      // The reference: a hand-rolled pipelined MessageChannel to one worker, taking turns with ours as well.
      const reference = await pair(inFlight, () => Promise.all(Array.from({ length: count }, (_, i) => port.call(i))), {
        iterations: short ? 3 : 10,
        alternate: true,
        hooks: { ours: hooks, baseline: { beforeAll: () => void (port = handRolled()), afterAll: () => port.close() } },
      });
      return [
        throughputRow(`threading execute: ${count / 1000}k calls in flight, vs piscina`, count, { ours, baseline }, 5),
        {
          id: 'threading-inflight-reference',
          title: `threading execute: ${count / 1000}k calls in flight, vs hand-rolled MessageChannel`,
          unit: '/s',
          ours: perSecond(count, reference.ours),
          baseline: perSecond(count, reference.baseline),
          target: { op: '>=', ratio: 0.6 },
        },
      ];
    },
  },
  {
    id: 'threading-sequential',
    async measure({ short, pair }) {
      const count = short ? 300 : 5_000;
      const { state, hooks } = withRunner();
      const fn = (x) => x;
      const opts = { flavour: threading, args: [1] };
      let pool;
      let port;
      const sequential = async () => {
        for (let i = 0; i < count; i++) await state.runner.execute(fn, opts);
      };
      const { ours, baseline } = await pair(
        sequential,
        async () => {
          for (let i = 0; i < count; i++) await pool.run(1);
        },
        {
          iterations: short ? 3 : 10,
          alternate: true,
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () =>
                void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
              afterAll: () => pool.destroy(),
            },
          },
        },
      );
      const reference = await pair(
        sequential,
        async () => {
          for (let i = 0; i < count; i++) await port.call(1);
        },
        {
          iterations: short ? 3 : 10,
          alternate: true,
          hooks: { ours: hooks, baseline: { beforeAll: () => void (port = handRolled()), afterAll: () => port.close() } },
        },
      );
      return [
        throughputRow('threading execute, sequential, vs piscina', count, { ours, baseline }, 2),
        {
          id: 'threading-sequential-reference',
          title: 'threading execute, sequential, vs hand-rolled MessageChannel',
          unit: '/s',
          ours: perSecond(count, reference.ours),
          baseline: perSecond(count, reference.baseline),
          target: { op: '>=', ratio: 0.9 },
        },
      ];
    },
  },
  {
    id: 'threading-latency',
    async measure({ short, pair }) {
      // One execute after the threads sat idle for a moment: nothing to batch it with.
      const rounds = short ? 10 : 200;
      const { state, hooks } = withRunner();
      let pool;
      const fn = (x) => x;
      const one = async (call) => {
        let total = 0;
        for (let i = 0; i < rounds; i++) {
          await sleep(2);
          const t0 = performance.now();
          await call();
          total += performance.now() - t0;
        }
        return total / rounds;
      };
      let ours = 0;
      let baseline = 0;
      await pair(
        async () => (ours = await one(() => state.runner.execute(fn, { flavour: threading, args: [1] }))),
        async () => (baseline = await one(() => pool.run(1))),
        {
          iterations: short ? 2 : 3,
          alternate: true,
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () =>
                void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
              afterAll: () => pool.destroy(),
            },
          },
        },
      );
      return {
        title: 'threading execute, one call alone: latency, vs piscina',
        unit: 'µs',
        ours: ours * 1000,
        baseline: baseline * 1000,
        note: 'reported',
      };
    },
  },
  {
    id: 'threading-adopt',
    async measure({ short, pair }) {
      const count = short ? 20 : 200;
      const { state, hooks } = withRunner();
      const done = new Int32Array(new SharedArrayBuffer(4));
      const untilDone = async () => {
        while (Atomics.load(done, 0) < count) await Atomics.waitAsync(done, 0, Atomics.load(done, 0), 1000).value;
      };
      const { ours, baseline } = await pair(
        async () => {
          // On the runner's warm threads: the warm-up iterations start them, as a daemon's first adopts do.
          Atomics.store(done, 0, 0);
          for (let i = 0; i < count; i++) {
            state.runner.adopt(
              (cells, n) => {
                void (n * 2);
                Atomics.add(new Int32Array(cells), 0, 1);
                Atomics.notify(new Int32Array(cells), 0);
              },
              { flavour: threading, args: [done.buffer, i] },
            );
          }
          await untilDone();
        },
        () =>
          Promise.all(
            Array.from({ length: count }, (_, i) => {
              const worker = new Worker(workerUrl('idle.mjs'), { workerData: i });
              return new Promise((resolve, reject) => {
                worker.once('message', () => worker.terminate().then(resolve, reject));
                worker.once('error', reject);
              });
            }),
          ),
        { iterations: short ? 2 : 5, warmup: 2, alternate: true, hooks: { ours: hooks } },
      );
      return throughputRow(
        `threading adopt: ${count} short payloads on a warm runner, vs a new Worker each`,
        count,
        { ours, baseline },
        10,
      );
    },
  },
  {
    id: 'threading-adopt-latency',
    async measure({ short, pair }) {
      // One adopt on a warm pool, until the payload ran, vs starting a worker for it.
      const rounds = short ? 5 : 50;
      const { state, hooks } = withRunner();
      const done = new Int32Array(new SharedArrayBuffer(4));
      const one = async (launch) => {
        let total = 0;
        for (let i = 0; i < rounds; i++) {
          await sleep(2);
          const before = Atomics.load(done, 0);
          const t0 = performance.now();
          launch();
          while (Atomics.load(done, 0) === before) await Atomics.waitAsync(done, 0, before, 1000).value;
          total += performance.now() - t0;
        }
        return total / rounds;
      };
      const payload = (cells) => {
        Atomics.add(new Int32Array(cells), 0, 1);
        Atomics.notify(new Int32Array(cells), 0);
      };
      let ours = 0;
      let baseline = 0;
      await pair(
        async () => (ours = await one(() => state.runner.adopt(payload, { flavour: threading, args: [done.buffer] }))),
        async () =>
          (baseline = await one(() => {
            const worker = new Worker(`const { workerData } = require('node:worker_threads'); (${payload})(workerData)`, {
              eval: true,
              workerData: done.buffer,
            });
            worker.once('exit', () => {});
          })),
        { iterations: short ? 2 : 3, alternate: true, hooks: { ours: hooks } },
      );
      return {
        title: 'threading adopt, one payload alone on a warm pool: latency until it ran, vs a new Worker',
        unit: 'µs',
        ours: ours * 1000,
        baseline: baseline * 1000,
        note: 'reported',
      };
    },
  },
  {
    id: 'shutdown-threading',
    async measure({ short, pair }) {
      const count = short ? 20 : 200;
      let state;
      let workers;
      const started = new Int32Array(new SharedArrayBuffer(4));
      const untilStarted = async () => {
        while (Atomics.load(started, 0) < count) await Atomics.waitAsync(started, 0, Atomics.load(started, 0), 1000).value;
      };
      const { ours, baseline } = await pair(
        () => state.stop(),
        () => Promise.all(workers.map((w) => w.terminate())),
        {
          iterations: short ? 2 : 5,
          warmup: 1,
          alternate: true,
          hooks: {
            ours: {
              beforeEach: async () => {
                Atomics.store(started, 0, 0);
                state = start();
                await state.runner.whenRunning();
                for (let i = 0; i < count; i++) {
                  // Idle until its signal aborts, as a payload that stops gracefully is: one
                  // that ignores it is given the grace period (10 s here) before its thread ends.
                  state.runner.adopt(
                    async (cells) => {
                      const { currentSignal } = await import('@cobald/kernel');
                      const signal = currentSignal();
                      Atomics.add(new Int32Array(cells), 0, 1);
                      Atomics.notify(new Int32Array(cells), 0);
                      await new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
                    },
                    { flavour: threading, args: [started.buffer] },
                  );
                }
                await untilStarted();
              },
            },
            baseline: {
              beforeEach: async () => {
                workers = Array.from({ length: count }, (_, i) => new Worker(workerUrl('idle.mjs'), { workerData: i }));
                await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
              },
            },
          },
        },
      );
      return {
        title: `shutdown, ${count} idle threading payloads, vs terminating bare workers`,
        unit: 'ms',
        ours,
        baseline,
        target: { op: '<=', ratio: 2 },
      };
    },
  },
  {
    id: 'threading-cancel',
    async measure({ short, pair }) {
      // Shutdown with many executes queued behind one that runs until its signal aborts: each is
      // cancelled, so the time grows with their number, and must grow linearly.
      const small = short ? 1_000 : 10_000;
      const large = small * 10;
      const stopWith = async (count) => {
        const state = start({ threading: { maxWorkers: 1 } });
        await state.runner.whenRunning();
        // Once the first runs, the runner's threads are up: the others reach its queue at once.
        const running = new Int32Array(new SharedArrayBuffer(4));
        const runs = [
          state.runner.execute(
            async (flag) => {
              const { currentSignal } = await import('@cobald/kernel');
              const signal = currentSignal();
              Atomics.store(flag, 0, 1);
              await new Promise((resolve) => signal.addEventListener('abort', resolve));
            },
            { flavour: threading, args: [running] },
          ),
        ];
        while (Atomics.load(running, 0) === 0) await Atomics.waitAsync(running, 0, 0, 1000).value;
        const fn = (x) => x;
        for (let i = 0; i < count; i++) runs.push(state.runner.execute(fn, { flavour: threading, args: [i] }));
        const outcomes = Promise.allSettled(runs);
        // The kernel starts the executes beyond a turn's limit in the next turn: all are queued in the flavour then.
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        const started = performance.now();
        await state.stop();
        await outcomes;
        return performance.now() - started;
      };
      const times = { large: [], small: [] };
      await pair(
        async () => times.large.push(await stopWith(large)),
        async () => times.small.push(await stopWith(small)),
        { iterations: short ? 2 : 3, warmup: 0, alternate: true },
      );
      const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
      const ours = median(times.large);
      const baseline = median(times.small);
      return {
        title: `shutdown with ${large / 1000}k queued executes, vs with ${small / 1000}k (linear: 10×)`,
        unit: 'ms',
        ours,
        baseline,
        target: { op: '<=', ratio: 12 },
      };
    },
  },
];
