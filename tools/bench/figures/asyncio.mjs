/** The asyncio flavour's figures: adopt, execute, latency, shutdown and heap. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as immediate } from 'node:timers/promises';
import { currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { heap, latch, perSecond, start, throughputRow, withRunner } from './support.mjs';

const asyncioOpts = { flavour: asyncio };

/** An async payload that waits until its signal aborts. */
const idle = async (signal) => {
  await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
};

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
      // Each payload's promise in a Set until it settles: the least a supervisor must do.
      const track = (call) => (payload) => {
        for (let i = 0; i < count; i++) {
          const promise = call(payload, i);
          tracked.add(promise);
          promise.then(
            () => tracked.delete(promise),
            () => tracked.delete(promise),
          );
        }
      };
      const adopt = () =>
        run((payload) => {
          for (let i = 0; i < count; i++) state.runner.adopt(payload, asyncioOpts);
        });
      const { ours, baseline } = await pair(adopt, () => run(track((payload) => payload())), {
        alternate: true,
        iterations: short ? 3 : 10,
        hooks: { ours: hooks },
      });
      // The reference: the same, each payload in an AsyncLocalStorage context of its own, as any
      // design that offers currentSignal() must (the floor of the asyncio execute figure).
      const context = new AsyncLocalStorage();
      const withContext = await pair(adopt, () => run(track((payload, i) => context.run({ i }, payload))), {
        alternate: true,
        iterations: short ? 3 : 10,
        hooks: { ours: hooks },
      });
      return [
        throughputRow(`asyncio adopt: ${count / 1000}k no-op payloads until all ran`, count, { ours, baseline }, 0.5),
        {
          id: 'asyncio-adopt-reference',
          title: `asyncio adopt: ${count / 1000}k no-op payloads until all ran, vs AsyncLocalStorage.run() each`,
          unit: '/s',
          ours: perSecond(count, withContext.ours),
          baseline: perSecond(count, withContext.baseline),
          note: 'reference',
        },
      ];
    },
  },
  {
    id: 'asyncio-execute',
    async measure({ short, pair }) {
      // The floor of any design that offers currentSignal(): the payload runs in an
      // AsyncLocalStorage context of its own (a store per call), and its result is awaited.
      const count = short ? 2_000 : 50_000;
      const { state, hooks } = withRunner();
      const fn = async (x) => x;
      const opts = { flavour: asyncio, args: [1] };
      const context = new AsyncLocalStorage();
      const loop = (call) => async () => {
        for (let i = 0; i < count; i++) await call(i);
      };
      const { ours, baseline } = await pair(
        loop(() => state.runner.execute(fn, opts)),
        loop((i) => context.run({ i }, fn, 1)),
        { alternate: true, iterations: short ? 3 : 10, hooks: { ours: hooks } },
      );
      // The reference: a bare `await fn()`, which offers no context at all.
      const bare = await pair(
        loop(() => fn(1)),
        undefined,
        { iterations: short ? 3 : 10 },
      );
      return [
        throughputRow('asyncio execute, sequential awaits, vs AsyncLocalStorage.run() + await', count, { ours, baseline }, 0.5),
        {
          id: 'asyncio-execute-reference',
          title: 'asyncio execute, sequential awaits, vs a bare await',
          unit: '/s',
          ours: perSecond(count, ours),
          baseline: perSecond(count, bare.ours),
          note: 'reference',
        },
      ];
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
      return {
        title: 'asyncio adopt, one payload alone: latency until it ran',
        unit: 'µs',
        ours: ours * 1000,
        baseline: baseline * 1000,
        note: 'reported',
      };
    },
  },
  {
    id: 'shutdown-asyncio',
    async measure({ short, pair }) {
      const count = short ? 1_000 : 10_000;
      let state;
      let controllers;
      let promises;
      const { ours, baseline } = await pair(
        () => state.stop(),
        async () => {
          for (const controller of controllers) controller.abort();
          await Promise.allSettled(promises);
        },
        {
          alternate: true,
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
      return {
        title: `shutdown, ${count / 1000}k idle asyncio payloads, vs aborting bare promises`,
        unit: 'ms',
        ours,
        baseline,
        target: { op: '<=', ratio: 2 },
      };
    },
  },
  {
    id: 'asyncio-cancel',
    async measure({ short, pair }) {
      // Shutdown with many executes pending, each waiting for its signal: every one is
      // cancelled, so the time grows with their number, and must grow linearly.
      const small = short ? 1_000 : 10_000;
      const large = small * 10;
      const stopWith = async (count) => {
        const state = start();
        await state.runner.whenRunning();
        const running = [];
        for (let i = 0; i < count; i++) running.push(state.runner.execute(() => idle(currentSignal()), asyncioOpts));
        // Executes beyond a turn's limit start in later turns: wait until all run.
        while (state.runner.tree().flavours[0]?.payloads.length !== count) await immediate();
        const outcomes = Promise.allSettled(running);
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
      return {
        title: `shutdown with ${large / 1000}k pending asyncio executes, vs with ${small / 1000}k (linear: 10×)`,
        unit: 'ms',
        ours: median(times.large),
        baseline: median(times.small),
        target: { op: '<=', ratio: 12 },
      };
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

/** Figures measured in a child process of their own with --expose-gc; each returns a plain object. */
export const childFigures = {
  async 'asyncio-heap'(short) {
    const count = short ? 10_000 : 100_000;
    const waiting = async (signal) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    };
    // Baseline first, in a clean heap: the payload with its own controller, tracked in arrays.
    let before = await heap();
    const controllers = [];
    const promises = [];
    for (let i = 0; i < count; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      promises.push(waiting(controller.signal));
    }
    const baseline = ((await heap()) - before) / count;
    for (const c of controllers) c.abort();
    await Promise.all(promises);
    controllers.length = promises.length = 0;

    const state = start();
    await state.runner.whenRunning();
    for (let i = 0; i < 1000; i++) state.runner.adopt(async () => {}, asyncioOpts); // warm up the hot path
    before = await heap();
    for (let i = 0; i < count; i++) state.runner.adopt(() => waiting(currentSignal()), asyncioOpts);
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
