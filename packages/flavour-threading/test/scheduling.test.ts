/**
 * Who gets a thread when (issue 9): adopts never hold up executes, and executes sent to a thread
 * in a batch never wait behind a slow one while another thread is idle. Payloads that hold
 * their thread wait on shared memory until the test releases them, so what is asserted is an
 * order of events, not a duration.
 */
import { describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { quietRunner } from './support.js';

/**
 * Block the thread until cell 0 of `gate` is non-zero (a payload that holds its thread);
 * count the payloads that began in cell 1.
 */
function held(gate: SharedArrayBuffer): string {
  const cells = new Int32Array(gate);
  Atomics.add(cells, 1, 1);
  while (Atomics.load(cells, 0) === 0) Atomics.wait(cells, 0, 0, 100);
  return 'released';
}

const release = (gate: SharedArrayBuffer): void => {
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
};

describe('threading scheduling', () => {
  it('runs an execute on the warm pool while 80 adopts still wait for threads of their own', async () => {
    const runner = quietRunner({ maxWorkers: 2 }, { gracePeriod: 200 });
    const accepting = runner.accept();
    const gate = new SharedArrayBuffer(8);
    try {
      // Warm: two threads idle, kept for executes.
      await Promise.all([1, 2].map((n) => runner.execute((x: number) => x, { flavour: threading, args: [n] })));
      for (let i = 0; i < 80; i++) runner.adopt(held, { flavour: threading, name: `held ${i}`, args: [gate] });
      // Threads for adopts start a few at a time; the execute must not wait for all of them,
      // nor take the threads kept warm for executes away from it.
      expect(await runner.execute(() => 'ran', { flavour: threading })).toBe('ran');
      expect(Atomics.load(new Int32Array(gate), 1)).toBeLessThan(80);
    } finally {
      release(gate);
      await runner.shutdown();
      await accepting.catch(() => {});
    }
  }, 60_000);

  it('gives the executes a batch holds behind a slow one to an idle thread', async () => {
    // A cold pool with two threads: the first to start takes half of the queue in one batch,
    // the slow payload third in it; the other thread finishes its half and must take the rest.
    const runner = quietRunner({ maxWorkers: 2 }, { gracePeriod: 200 });
    const accepting = runner.accept();
    const gate = new SharedArrayBuffer(8);
    try {
      const quick = (n: number) => runner.execute((x: number) => x * 2, { flavour: threading, args: [n] });
      const before = [quick(0), quick(1)];
      const slow = runner.execute(held, { flavour: threading, args: [gate] });
      const after = Array.from({ length: 97 }, (_, i) => quick(i + 2));
      const results = await Promise.all([...before, ...after]);
      expect(results).toEqual(Array.from({ length: 99 }, (_, i) => i * 2));
      // All 99 answered while the slow one still holds its thread.
      expect(Atomics.load(new Int32Array(gate), 0)).toBe(0);
      release(gate);
      expect(await slow).toBe('released');
    } finally {
      release(gate);
      await runner.shutdown();
      await accepting;
    }
  }, 60_000);

  it('runs every execute of a burst exactly once while threads share batches', async () => {
    const runner = quietRunner({ maxWorkers: 2 });
    const accepting = runner.accept();
    try {
      const counts = new SharedArrayBuffer(4 * 2000);
      const count = (cells: SharedArrayBuffer, i: number, ms: number) => {
        Atomics.add(new Int32Array(cells), i, 1);
        if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
        return i;
      };
      // Some slow ones among many quick ones, so that threads take runs back from each other.
      const results = await Promise.all(
        Array.from({ length: 2000 }, (_, i) => runner.execute(count, { flavour: threading, args: [counts, i, i % 250 === 7 ? 30 : 0] })),
      );
      expect(results).toEqual(Array.from({ length: 2000 }, (_, i) => i));
      expect([...new Int32Array(counts)].every((n) => n === 1)).toBe(true);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  }, 60_000);
});
