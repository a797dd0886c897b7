/**
 * The figures of `npm run bench`: each measures cobald-ts (ours) and its baseline in the
 * same run. Throughputs are payloads or calls per second (higher is better), shutdowns are
 * milliseconds and heap figures bytes per payload (lower is better). docs/performance.md says
 * what each baseline is and why it is the fair one.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { ServiceRunner, silentLogger, currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { createScope, suspend } from 'effection';
import { Piscina } from 'piscina';

const workerUrl = (name) => new URL(`./workers/${name}`, import.meta.url);
const threads = availableParallelism();

/** An accepting runner; only one accepts per process at a time, so each figure stops its own. */
function start(flavours) {
  const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger, gracePeriod: 10_000, flavours });
  const accepting = runner.accept();
  accepting.catch((err) => {
    console.error('a benchmark runner failed:', err);
    process.exit(1);
  });
  return {
    runner,
    async stop() {
      await runner.shutdown();
      await accepting;
    },
  };
}

/** A promise and its resolver. */
function latch() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

/** A benchmark pair whose ours task uses a runner made for the task and stopped after it. */
function withRunner(flavours) {
  const state = { runner: undefined, stop: undefined };
  const hooks = {
    beforeAll: async () => {
      Object.assign(state, start(flavours));
      await state.runner.whenRunning();
    },
    afterAll: async () => {
      await state.stop();
    },
  };
  return { state, hooks };
}

const perSecond = (count, ms) => (count * 1000) / ms;

/** A row of `count` runs per second, ours against the baseline, that must reach `ratio` of it. */
const throughputRow = (title, count, { ours, baseline }, ratio) => ({
  title,
  unit: '/s',
  ours: perSecond(count, ours),
  baseline: perSecond(count, baseline),
  target: { op: '>=', ratio },
});

const asyncioOpts = { flavour: asyncio };
const trioOpts = { flavour: trio };

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
    id: 'asyncio-adopt',
    async measure({ short, pair }) {
      const count = short ? 5_000 : 100_000;
      const { state, hooks } = withRunner();
      const run = async (launch) => {
        const { opened, open } = latch();
        let done = 0;
        const payload = async () => {
          if (++done === count) open();
        };
        launch(payload);
        await opened;
        await immediate(); // the bookkeeping after the last payload (its node removed, its promise out of the Set)
      };
      const tracked = new Set();
      const { ours, baseline } = await pair(
        () =>
          run((payload) => {
            for (let i = 0; i < count; i++) state.runner.adopt(payload, asyncioOpts);
          }),
        () =>
          run((payload) => {
            for (let i = 0; i < count; i++) {
              const promise = payload();
              tracked.add(promise);
              promise.then(
                () => tracked.delete(promise),
                () => tracked.delete(promise),
              );
            }
          }),
        { iterations: short ? 3 : 10, hooks: { ours: hooks } },
      );
      return throughputRow(`asyncio adopt: ${count / 1000}k no-op payloads until all ran`, count, { ours, baseline }, 0.5);
    },
  },
  {
    id: 'asyncio-execute',
    async measure({ short, pair }) {
      const count = short ? 2_000 : 50_000;
      const { state, hooks } = withRunner();
      const fn = async (x) => x;
      const opts = { flavour: asyncio, args: [1] };
      const { ours, baseline } = await pair(
        async () => {
          for (let i = 0; i < count; i++) await state.runner.execute(fn, opts);
        },
        async () => {
          for (let i = 0; i < count; i++) await fn(1);
        },
        { iterations: short ? 3 : 10, hooks: { ours: hooks } },
      );
      return throughputRow('asyncio execute, sequential awaits', count, { ours, baseline }, 0.5);
    },
  },
  {
    id: 'asyncio-latency',
    async measure({ short, pair }) {
      // One adopt while nothing else runs: from adopt() until the payload ran.
      const { state, hooks } = withRunner();
      const rounds = short ? 20 : 500;
      const one = async (launch) => {
        let total = 0;
        for (let i = 0; i < rounds; i++) {
          await immediate();
          const { opened, open } = latch();
          const t0 = performance.now();
          launch(async () => open());
          await opened;
          total += performance.now() - t0;
        }
        return total / rounds;
      };
      let ours = 0;
      let baseline = 0;
      await pair(
        async () => (ours = await one((p) => state.runner.adopt(p, asyncioOpts))),
        async () => (baseline = await one((p) => void p())),
        { iterations: short ? 2 : 5, hooks: { ours: hooks } },
      );
      return { title: 'asyncio adopt, one payload alone: latency until it ran', unit: 'µs', ours: ours * 1000, baseline: baseline * 1000, note: 'reported' };
    },
  },
  {
    id: 'trio-adopt',
    async measure({ short, pair }) {
      const count = short ? 2_000 : 20_000;
      const { state, hooks } = withRunner();
      let scope;
      let destroy;
      const run = async (launch) => {
        const { opened, open } = latch();
        let done = 0;
        function* payload() {
          if (++done === count) open();
        }
        launch(payload);
        await opened;
        await immediate();
      };
      const { ours, baseline } = await pair(
        () =>
          run((payload) => {
            for (let i = 0; i < count; i++) state.runner.adopt(payload, trioOpts);
          }),
        () =>
          run((payload) => {
            for (let i = 0; i < count; i++) scope.run(payload);
          }),
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () => void ([scope, destroy] = createScope()),
              afterAll: () => destroy(),
            },
          },
        },
      );
      return throughputRow(`trio adopt: ${count / 1000}k no-op operations until all ran`, count, { ours, baseline }, 0.9);
    },
  },
  {
    id: 'trio-execute',
    async measure({ short, pair }) {
      const count = short ? 500 : 10_000;
      const { state, hooks } = withRunner();
      let scope;
      let destroy;
      function* op() {
        return 1;
      }
      const { ours, baseline } = await pair(
        async () => {
          for (let i = 0; i < count; i++) await state.runner.execute(op, trioOpts);
        },
        async () => {
          for (let i = 0; i < count; i++) await scope.run(op);
        },
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: hooks,
            baseline: { beforeAll: () => void ([scope, destroy] = createScope()), afterAll: () => destroy() },
          },
        },
      );
      return throughputRow('trio execute, sequential', count, { ours, baseline }, 1);
    },
  },
  {
    id: 'trio-heap',
    async measure({ child }) {
      const r = await child('trio-heap');
      return { title: `heap per idle trio payload (${r.count / 1000}k)`, unit: 'B', ...r, target: { op: '<=', ratio: 1.2 } };
    },
  },
  {
    id: 'threading-inflight',
    async measure({ short, pair }) {
      const count = short ? 2_000 : 20_000;
      const { state, hooks } = withRunner();
      const fn = (x) => x;
      let pool;
      let port;
      const { ours, baseline } = await pair(
        () => Promise.all(Array.from({ length: count }, (_, i) => state.runner.execute(fn, { flavour: threading, args: [i] }))),
        () => Promise.all(Array.from({ length: count }, (_, i) => pool.run(i))),
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () => void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
              afterAll: () => pool.destroy(),
            },
          },
        },
      );
      // The reference: a hand-rolled pipelined MessageChannel to one worker.
      const reference = await pair(
        () => Promise.all(Array.from({ length: count }, (_, i) => port.call(i))),
        undefined,
        { iterations: short ? 3 : 10, hooks: { ours: { beforeAll: () => void (port = handRolled()), afterAll: () => port.close() } } },
      );
      return [
        throughputRow(`threading execute: ${count / 1000}k calls in flight, vs piscina`, count, { ours, baseline }, 3),
        {
          id: 'threading-inflight-reference',
          title: `threading execute: ${count / 1000}k calls in flight, vs hand-rolled MessageChannel`,
          unit: '/s',
          ours: perSecond(count, ours),
          baseline: perSecond(count, reference.ours),
          note: 'reference',
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
      const { ours, baseline } = await pair(
        async () => {
          for (let i = 0; i < count; i++) await state.runner.execute(fn, opts);
        },
        async () => {
          for (let i = 0; i < count; i++) await pool.run(1);
        },
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () => void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
              afterAll: () => pool.destroy(),
            },
          },
        },
      );
      const reference = await pair(
        async () => {
          for (let i = 0; i < count; i++) await port.call(1);
        },
        undefined,
        { iterations: short ? 3 : 10, hooks: { ours: { beforeAll: () => void (port = handRolled()), afterAll: () => port.close() } } },
      );
      return [
        throughputRow('threading execute, sequential, vs piscina', count, { ours, baseline }, 1),
        {
          id: 'threading-sequential-reference',
          title: 'threading execute, sequential, vs hand-rolled MessageChannel',
          unit: '/s',
          ours: perSecond(count, ours),
          baseline: perSecond(count, reference.ours),
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
          hooks: {
            ours: hooks,
            baseline: {
              beforeAll: () => void (pool = new Piscina({ filename: workerUrl('echo-piscina.mjs').href, minThreads: threads, maxThreads: threads })),
              afterAll: () => pool.destroy(),
            },
          },
        },
      );
      return { title: 'threading execute, one call alone: latency, vs piscina', unit: 'µs', ours: ours * 1000, baseline: baseline * 1000, note: 'reported' };
    },
  },
  {
    id: 'threading-adopt',
    async measure({ short, pair }) {
      const count = short ? 20 : 200;
      let state;
      const done = new Int32Array(new SharedArrayBuffer(4));
      const untilDone = async () => {
        while (Atomics.load(done, 0) < count) await Atomics.waitAsync(done, 0, Atomics.load(done, 0), 1000).value;
      };
      const { ours, baseline } = await pair(
        async () => {
          // The pool starts empty each time: warming it up is part of the figure.
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
        {
          iterations: short ? 2 : 5,
          warmup: 1,
          hooks: {
            ours: {
              beforeEach: async () => {
                Atomics.store(done, 0, 0);
                state = start();
                await state.runner.whenRunning();
              },
              afterEach: async () => state.stop(),
            },
          },
        },
      );
      return throughputRow(`threading adopt: ${count} short payloads, vs a new Worker each`, count, { ours, baseline }, 10);
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
            const worker = new Worker(`const { workerData } = require('node:worker_threads'); (${payload})(workerData)`, { eval: true, workerData: done.buffer });
            worker.once('exit', () => {});
          })),
        { iterations: short ? 2 : 3, hooks: { ours: hooks } },
      );
      return { title: 'threading adopt, one payload alone on a warm pool: latency until it ran, vs a new Worker', unit: 'µs', ours: ours * 1000, baseline: baseline * 1000, note: 'reported' };
    },
  },
  {
    id: 'shutdown-asyncio',
    async measure({ short, pair }) {
      const count = short ? 1_000 : 10_000;
      let state;
      let controllers;
      let promises;
      const idle = async (signal) => {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      };
      const { ours, baseline } = await pair(
        () => state.stop(),
        async () => {
          for (const controller of controllers) controller.abort();
          await Promise.allSettled(promises);
        },
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: {
              beforeEach: async () => {
                state = start();
                await state.runner.whenRunning();
                for (let i = 0; i < count; i++) state.runner.adopt(() => idle(currentSignal()), asyncioOpts);
                await immediate();
              },
            },
            baseline: {
              beforeEach: async () => {
                controllers = Array.from({ length: count }, () => new AbortController());
                promises = controllers.map((c) => idle(c.signal));
                await immediate();
              },
            },
          },
        },
      );
      return { title: `shutdown, ${count / 1000}k idle asyncio payloads, vs aborting bare promises`, unit: 'ms', ours, baseline, target: { op: '<=', ratio: 2 } };
    },
  },
  {
    id: 'shutdown-trio',
    async measure({ short, pair }) {
      const count = short ? 1_000 : 10_000;
      let state;
      let destroy;
      function* idle() {
        yield* suspend();
      }
      const { ours, baseline } = await pair(
        () => state.stop(),
        () => destroy(),
        {
          iterations: short ? 3 : 10,
          hooks: {
            ours: {
              beforeEach: async () => {
                state = start();
                await state.runner.whenRunning();
                for (let i = 0; i < count; i++) state.runner.adopt(idle, trioOpts);
                await immediate();
              },
            },
            baseline: {
              beforeEach: async () => {
                let scope;
                [scope, destroy] = createScope();
                for (let i = 0; i < count; i++) scope.run(idle);
                await immediate();
              },
            },
          },
        },
      );
      return { title: `shutdown, ${count / 1000}k idle trio payloads, vs destroying a bare scope`, unit: 'ms', ours, baseline, target: { op: '<=', ratio: 2 } };
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
          hooks: {
            ours: {
              beforeEach: async () => {
                Atomics.store(started, 0, 0);
                state = start();
                await state.runner.whenRunning();
                for (let i = 0; i < count; i++) {
                  state.runner.adopt(
                    (cells) => {
                      Atomics.add(new Int32Array(cells), 0, 1);
                      Atomics.notify(new Int32Array(cells), 0);
                      return new Promise(() => {});
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
      return { title: `shutdown, ${count} idle threading payloads, vs terminating bare workers`, unit: 'ms', ours, baseline, target: { op: '<=', ratio: 2 } };
    },
  },
  {
    id: 'asyncio-heap',
    async measure({ child }) {
      const r = await child('asyncio-heap');
      return { title: `heap per idle adopted asyncio payload (${r.count / 1000}k)`, unit: 'B', ...r, target: { op: '<=', ratio: 2 } };
    },
  },
  {
    id: 'cycles-heap',
    async measure({ child }) {
      const r = await child('cycles-heap');
      return [
        {
          title: `${r.count / 1e6}M asyncio adopt/finish cycles: heap after, vs heap before`,
          unit: 'B',
          ours: r.after,
          baseline: r.before,
          note: 'after ≈ before',
        },
        {
          id: 'cycles-heap-per-payload',
          title: `${r.count / 1e6}M asyncio adopt/finish cycles: heap growth per payload`,
          unit: 'B',
          ours: (r.after - r.before) / r.count,
          baseline: undefined,
          note: '≈ 0 B',
        },
      ];
    },
  },
];

/** Heap used after a full collection. */
async function heap() {
  for (let i = 0; i < 3; i++) {
    await immediate();
    globalThis.gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Figures measured in a child process of their own with --expose-gc; each returns a plain object. */
export const childFigures = {
  async 'asyncio-heap'(short) {
    const count = short ? 10_000 : 100_000;
    const idle = async (signal) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    };
    // Baseline first, in a clean heap: the payload with its own controller, tracked in arrays.
    let before = await heap();
    const controllers = [];
    const promises = [];
    for (let i = 0; i < count; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      promises.push(idle(controller.signal));
    }
    const baseline = ((await heap()) - before) / count;
    for (const c of controllers) c.abort();
    await Promise.all(promises);
    controllers.length = promises.length = 0;

    const state = start();
    await state.runner.whenRunning();
    for (let i = 0; i < 1000; i++) state.runner.adopt(async () => {}, asyncioOpts); // warm up the hot path
    before = await heap();
    for (let i = 0; i < count; i++) state.runner.adopt(() => idle(currentSignal()), asyncioOpts);
    const ours = ((await heap()) - before) / count;
    await state.stop();
    return { count, ours, baseline };
  },
  async 'trio-heap'(short) {
    const count = short ? 2_000 : 10_000;
    function* idle() {
      yield* suspend();
    }
    let [scope, destroy] = createScope();
    scope.run(function* () {});
    let before = await heap();
    for (let i = 0; i < count; i++) scope.run(idle);
    const baseline = ((await heap()) - before) / count;
    await destroy();
    scope = destroy = undefined;

    const state = start();
    await state.runner.whenRunning();
    for (let i = 0; i < 100; i++) state.runner.adopt(function* () {}, trioOpts);
    before = await heap();
    for (let i = 0; i < count; i++) state.runner.adopt(idle, trioOpts);
    const ours = ((await heap()) - before) / count;
    await state.stop();
    return { count, ours, baseline };
  },
  async 'cycles-heap'(short) {
    const count = short ? 20_000 : 1_000_000;
    const batch = 10_000;
    const state = start();
    await state.runner.whenRunning();
    const cycle = async (n) => {
      const { opened, open } = latch();
      let done = 0;
      const payload = async () => {
        if (++done === n) open();
      };
      for (let i = 0; i < n; i++) state.runner.adopt(payload, asyncioOpts);
      await opened;
      await immediate();
    };
    await cycle(batch); // warm-up
    const before = await heap();
    for (let run = 0; run < count; run += batch) await cycle(batch);
    const after = await heap();
    await state.stop();
    return { count, before, after };
  },
};
