/**
 * What every area's figures share: a runner to measure, a latch, the row shapes, a clean heap
 * reading. Throughputs are payloads or calls per second (higher is better), shutdowns are
 * milliseconds and heap figures bytes per payload (lower is better).
 */
import { spawn } from 'node:child_process';
import { setImmediate as immediate } from 'node:timers/promises';
import { ServiceRunner, silentLogger } from '@cobald/kernel';

/** A file of tools/bench/workers/. */
export const workerUrl = (name) => new URL(`../workers/${name}`, import.meta.url);

/** An accepting runner; only one accepts per process at a time, so each figure stops its own. */
export function start(flavours) {
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
export function latch() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

/** A benchmark pair whose ours task uses a runner made for the task and stopped after it. */
export function withRunner(flavours) {
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

export const perSecond = (count, ms) => (count * 1000) / ms;

/** A row of `count` runs per second, ours against the baseline, that must reach `ratio` of it. */
export const throughputRow = (title, count, { ours, baseline }, ratio) => ({
  title,
  unit: '/s',
  ours: perSecond(count, ours),
  baseline: perSecond(count, baseline),
  target: { op: '>=', ratio },
});

/** Heap used after a full collection (the process runs with --expose-gc). */
export async function heap() {
  for (let i = 0; i < 3; i++) {
    await immediate();
    globalThis.gc();
  }
  return process.memoryUsage().heapUsed;
}

const owned = new Set();

/**
 * A child process of the bench's own, which must not outlive it: its stderr is passed on, its
 * stdout dropped (or a pipe to read, with `{ stdout: 'pipe' }`), and the pipes are the bench's, so that a child left behind cannot hold open the
 * output of whoever runs the bench (a test waiting for it to end would wait forever). Its stdin
 * is a pipe too: a child that reads it learns of the bench's end, however it ends, by its EOF.
 * `killOwned()` kills the ones still running.
 */
export function spawnOwned(command, args, { stdout = 'ignore' } = {}) {
  const child = spawn(command, args, { stdio: ['pipe', stdout, 'pipe'] });
  child.stderr.pipe(process.stderr, { end: false });
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  return child;
}

/** Kill every child of spawnOwned() still running; synchronous, so that it works in an 'exit' handler. */
export function killOwned() {
  for (const child of owned) child.kill('SIGKILL');
}
