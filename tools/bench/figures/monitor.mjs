/**
 * The cost of watching: asyncio adopt and execute with a @cobald/monitor attached (ours) against
 * the same runner without one (the baseline), in the same run. The monitor subscribes to the
 * kernel's cobald:* channels, so every payload run is traced; issue 11's target is ≥ 0.8×.
 */
import { setImmediate as immediate } from 'node:timers/promises';
import { asyncio } from '@cobald/flavour-asyncio';
import { attachMonitor } from '@cobald/monitor';
import { latch, throughputRow, withRunner } from './support.mjs';

const asyncioOpts = { flavour: asyncio };

/**
 * One runner for both tasks; the monitor is attached before each iteration of ours and closed
 * after it, outside the time measured. The two take turns, so that the machine's load hits both.
 */
function monitored() {
  const { state, hooks } = withRunner();
  let monitor;
  return {
    state,
    hooks: {
      ours: {
        beforeAll: hooks.beforeAll,
        beforeEach: async () => void (monitor = await attachMonitor(state.runner, { defaultMetrics: false })),
        afterEach: async () => monitor.close(),
      },
      baseline: { afterAll: hooks.afterAll },
    },
  };
}

export const figures = [
  {
    id: 'monitor-adopt',
    async measure({ short, pair }) {
      const count = short ? 5_000 : 100_000;
      const { state, hooks } = monitored();
      const run = async () => {
        const { opened, open } = latch();
        let done = 0;
        const payload = async () => {
          if (++done === count) open();
        };
        for (let i = 0; i < count; i++) state.runner.adopt(payload, asyncioOpts);
        await opened;
        await immediate();
      };
      const result = await pair(run, run, { iterations: short ? 3 : 10, hooks, alternate: true });
      return throughputRow(`asyncio adopt, ${count / 1000}k no-op payloads, with a monitor attached vs without`, count, result, 0.8);
    },
  },
  {
    id: 'monitor-execute',
    async measure({ short, pair }) {
      const count = short ? 2_000 : 50_000;
      const { state, hooks } = monitored();
      const fn = async (x) => x;
      const opts = { flavour: asyncio, args: [1] };
      const run = async () => {
        for (let i = 0; i < count; i++) await state.runner.execute(fn, opts);
      };
      const result = await pair(run, run, { iterations: short ? 3 : 10, hooks, alternate: true });
      return throughputRow('asyncio execute, sequential awaits, with a monitor attached vs without', count, result, 0.8);
    },
  },
];
