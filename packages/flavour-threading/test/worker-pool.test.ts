import { describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { context, directRunner, quietRunner, until } from './support.js';

/**
 * Counts the payloads in flight in slot 0 and the most ever in slot 1; holds until two were in
 * flight at once (at most 20 s: a second thread may start slowly on a loaded machine, and the
 * first must not be through the queue by then), then for `ms`.
 */
function tracked(shared: SharedArrayBuffer, ms: number): number {
  const cells = new Int32Array(shared);
  const now = Atomics.add(cells, 0, 1) + 1;
  let peak = Atomics.load(cells, 1);
  while (now > peak) {
    const seen = Atomics.compareExchange(cells, 1, peak, now);
    if (seen === peak) {
      Atomics.notify(cells, 1);
      break;
    }
    peak = seen;
  }
  const deadline = Date.now() + 20_000;
  for (let seen = Atomics.load(cells, 1); seen < 2 && Date.now() < deadline; seen = Atomics.load(cells, 1)) {
    Atomics.wait(cells, 1, seen, 50);
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  Atomics.sub(cells, 0, 1);
  return (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
}

describe('the threading worker pool', () => {
  it('runs 60 concurrent executes on no more than maxWorkers threads', async () => {
    const runner = quietRunner({ maxWorkers: 2 });
    const accepting = runner.accept();
    try {
      const shared = new SharedArrayBuffer(8);
      const threadIds = await Promise.all(
        // Long enough that the second thread has started before the first is through the queue.
        Array.from({ length: 60 }, () => runner.execute(tracked, { flavour: threading, args: [shared, 20] })),
      );
      expect(new Set(threadIds).size).toBe(2);
      expect(Atomics.load(new Int32Array(shared), 1)).toBe(2);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('starts maxWorkers threads for executes, counted by the runner', async () => {
    const runner = directRunner({ maxWorkers: 2 });
    try {
      const shared = new SharedArrayBuffer(8);
      const runs = Array.from({ length: 50 }, () => runner.run(tracked, [shared, 20], context('execute')));
      await until(() => runner.stats().busy === 2);
      expect(runner.stats()).toMatchObject({ workers: 2, busy: 2, executing: 2 });
      expect(runner.stats().queued).toBeGreaterThan(30);
      await Promise.all(runs);
      expect(runner.stats()).toMatchObject({ started: 2, peakExecuting: 2, queued: 0, busy: 0, idle: 2 });
    } finally {
      await runner.close();
    }
  });

  it('gives adopted payloads threads of their own, beside the executes', async () => {
    const runner = directRunner({ maxWorkers: 1 });
    const forever = [1, 2, 3].map(() => runner.run(() => new Promise(() => {}), [], context('adopt')));
    const outcomes = Promise.allSettled(forever);
    try {
      await until(() => runner.stats().busy === 3);
      // Three adopts hold three threads, yet executes still run (on one thread of their own).
      expect(await runner.run((a: number) => a + 1, [1], context('execute'))).toBe(2);
      expect(runner.stats()).toMatchObject({ busy: 3, executing: 0, peakExecuting: 1, workers: 4 });
    } finally {
      await runner.close();
    }
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'PayloadCancelled' } });
    }
  });

  it('reuses the warm thread of a payload that finished cleanly', async () => {
    const runner = directRunner();
    try {
      const whereAmI = () => (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
      const first = await runner.run(whereAmI, [], context('adopt'));
      const second = await runner.run(whereAmI, [], context('adopt'));
      const third = await runner.run(whereAmI, [], context('execute'));
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(runner.stats().started).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('serves a burst of 200 short adopts with a few warm threads', async () => {
    const runner = quietRunner({ maxWorkers: 2 });
    const accepting = runner.accept();
    try {
      const seen = new SharedArrayBuffer(4 * 201);
      const cells = new Int32Array(seen);
      for (let i = 0; i < 200; i++) {
        runner.adopt(
          (buffer: SharedArrayBuffer, slot: number) => {
            const view = new Int32Array(buffer);
            view[slot] = (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
            Atomics.add(view, 200, 1);
          },
          { flavour: threading, args: [seen, i] },
        );
      }
      await until(() => Atomics.load(cells, 200) === 200, 20_000);
      const threads = new Set(cells.slice(0, 200));
      expect(threads.has(0)).toBe(false);
      // One thread per adopt would be 200; warm reuse needs a handful.
      expect(threads.size).toBeLessThan(40);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('does not reuse a thread that a payload left a timer in', async () => {
    const runner = directRunner();
    try {
      const leaky = () => {
        setTimeout(() => {}, 60_000);
        return (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
      };
      const tidy = () => (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
      const first = await runner.run(leaky, [], context('execute'));
      const second = await runner.run(tidy, [], context('execute'));
      const third = await runner.run(tidy, [], context('execute'));
      expect(second).not.toBe(first);
      expect(third).toBe(second);
      expect(runner.stats().started).toBe(2);
    } finally {
      await runner.close();
    }
  });
});
