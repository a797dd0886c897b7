/**
 * Supervision trees: a supervisor with 10k asyncio children, started and stopped, and its heap
 * per child; each against the same payloads adopted one by one (the flat tree), in the same run.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { currentSignal, supervisor } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { heap, latch, start } from './support.mjs';

/** An async payload that counts its start and waits until its signal aborts. */
const idle = (started) => async () => {
  started();
  const signal = currentSignal();
  await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
};

/** `count` idle children, or flat adopts of the same; resolves once all have started. */
function launch(runner, count, tree) {
  const { opened, open } = latch();
  let ran = 0;
  const payload = idle(() => {
    if (++ran === count) open();
  });
  if (tree) {
    const children = Array.from({ length: count }, (_, i) => ({ name: `c${i}`, payload, flavour: asyncio }));
    runner.adopt(supervisor({ name: 'wide', children }));
  } else {
    for (let i = 0; i < count; i++) runner.adopt(payload, { flavour: asyncio, name: `c${i}` });
  }
  return opened;
}

export const figures = [
  {
    id: 'supervisor-10k',
    async measure({ short, pair }) {
      const count = short ? 1_000 : 10_000;
      const startsOf = { true: [], false: [] };
      const stopsOf = { true: [], false: [] };
      // One task is a start and a stop; both are timed inside it, the task's own time is their sum.
      const round = (tree) => async () => {
        const state = start();
        await state.runner.whenRunning();
        const t0 = performance.now();
        await launch(state.runner, count, tree);
        const t1 = performance.now();
        await state.stop();
        const t2 = performance.now();
        startsOf[tree].push(t1 - t0);
        stopsOf[tree].push(t2 - t1);
        await immediate();
      };
      await pair(round(true), round(false), { alternate: true, iterations: short ? 3 : 10 });
      const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
      return [
        {
          id: 'supervisor-10k-start',
          title: `supervisor with ${count / 1000}k asyncio children: start until all ran, vs ${count / 1000}k flat adopts`,
          unit: 'ms',
          ours: median(startsOf.true),
          baseline: median(startsOf.false),
          target: { op: '<=', ratio: 3 },
        },
        {
          id: 'supervisor-10k-stop',
          title: `supervisor with ${count / 1000}k asyncio children: stop (one by one, newest first), vs shutdown of ${count / 1000}k flat adopts`,
          unit: 'ms',
          ours: median(stopsOf.true),
          baseline: median(stopsOf.false),
          target: { op: '<=', ratio: 5 },
        },
      ];
    },
  },
  {
    id: 'supervisor-heap',
    async measure({ child }) {
      const r = await child('supervisor-heap');
      return {
        title: `heap per idle asyncio child of a supervisor (${r.count / 1000}k), vs per flat adopt`,
        unit: 'B',
        ...r,
        target: { op: '<=', ratio: 2 },
      };
    },
  },
];

export const childFigures = {
  async 'supervisor-heap'(short) {
    const count = short ? 1_000 : 10_000;
    const measure = async (tree) => {
      const state = start();
      await state.runner.whenRunning();
      await launch(state.runner, 100, tree); // warm up the path
      const before = await heap();
      await launch(state.runner, count, tree);
      const used = ((await heap()) - before) / count;
      await state.stop();
      return used;
    };
    const baseline = await measure(false);
    const ours = await measure(true);
    return { count, ours, baseline };
  },
};
