/**
 * Runs travel to a thread many at a time, a payload's source once per thread, and answers come
 * back together (protocol.ts). None of that may show: each payload gets its own outcome, a
 * payload that cannot travel fails alone, and an answer never waits behind a run that holds the
 * thread.
 */
import { describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { quietRunner, unexpected } from './support.js';

describe('threading runs in batches', () => {
  it('fails only the payload whose argument or result cannot travel, in a burst of 600', async () => {
    const runner = quietRunner({ maxWorkers: 2 });
    const accepting = runner.accept();
    try {
      const echo = (x: unknown) => (x === 'make a function' ? () => 1 : x);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 600 }, (_, i) =>
          runner.execute(echo, {
            flavour: threading,
            name: 'echo',
            args: [i === 250 ? { callback: () => i } : i === 300 ? 'make a function' : i],
          }),
        ),
      );
      outcomes.forEach((outcome, i) => {
        if (i === 250) {
          expect(outcome.status).toBe('rejected');
          expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(
            /^the arguments of threading payload 'echo' \(argument 0, an object/,
          );
        } else if (i === 300) {
          expect(outcome.status).toBe('rejected');
          expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(
            /^the result of threading payload 'echo' cannot be sent back/,
          );
        } else {
          expect(outcome).toEqual({ status: 'fulfilled', value: i });
        }
      });
    } finally {
      await runner.shutdown();
      await accepting;
    }
  }, 30_000);

  it('keeps payloads apart that a thread was sent once: same names, same source, more than it keeps', async () => {
    const runner = quietRunner({ maxWorkers: 2 });
    const accepting = runner.accept();
    try {
      // Two functions named alike, one function under two names, and 1100 functions of their own
      // (a thread keeps 1024 by number; the rest travel with each run).
      const first = function job(x: number) {
        return x + 1;
      };
      const second = {
        job(x: number) {
          return x + 2;
        },
      }.job;
      const many = Array.from({ length: 1100 }, (_, i) => new Function('x', `return x * 1000 + ${i}`) as (x: number) => number);
      const calls: Promise<unknown>[] = [];
      const expected: unknown[] = [];
      for (let i = 0; i < 1100; i++) {
        calls.push(runner.execute(first, { flavour: threading, args: [i] }), runner.execute(second, { flavour: threading, args: [i] }));
        calls.push(
          runner.execute(first, { flavour: threading, name: 'renamed', args: [i] }),
          runner.execute(many[i]!, { flavour: threading, args: [i] }),
        );
        expected.push(i + 1, i + 2, i + 1, i * 1000 + i);
      }
      expect(await Promise.all(calls)).toEqual(expected);
      // The name a payload ran under is the one its errors carry.
      const failing = (tag: string) => {
        throw new Error(tag);
      };
      await expect(runner.execute(failing, { flavour: threading, name: 'one', args: ['a'] })).rejects.toThrow('a');
      const error = await runner
        .execute(failing, { flavour: threading, name: 'other', args: ['b'] })
        .then(unexpected, (err: unknown) => err as Error);
      expect(error.stack).toMatch(/cobald-threading-payload:other/);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  }, 60_000);

  it('sends an answer while the next run on its thread holds it, of another payload or of the same one', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const open = () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    };
    // A cold pool of one thread: everything submitted before it started goes to it in one message.
    const onOneThread = async (scenario: (runner: ReturnType<typeof quietRunner>) => Promise<void>) => {
      Atomics.store(gate, 0, 0);
      const runner = quietRunner({ maxWorkers: 1 });
      const accepting = runner.accept();
      try {
        await scenario(runner);
      } finally {
        open();
        await runner.shutdown();
        await accepting;
      }
    };
    const quick = (x: number) => x;
    // Blocks its thread until the gate opens.
    const blocking = (cells: Int32Array) => {
      while (Atomics.load(cells, 0) === 0) Atomics.wait(cells, 0, 0, 50);
      return 'blocked';
    };
    // The same payload: quick for a number, waiting without blocking for the gate.
    const maybeWaiting = async (x: number | Int32Array) => {
      if (typeof x === 'number') return x;
      while (Atomics.load(x, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      return 'waited';
    };
    await onOneThread(async (runner) => {
      const quickOnes = [1, 2, 3].map((n) => runner.execute(quick, { flavour: threading, args: [n] }));
      const held = runner.execute(blocking, { flavour: threading, args: [gate] });
      expect(await Promise.all(quickOnes)).toEqual([1, 2, 3]);
      open();
      expect(await held).toBe('blocked');
    });
    await onOneThread(async (runner) => {
      const quickOnes = [1, 2, 3].map((n) => runner.execute(maybeWaiting, { flavour: threading, args: [n] }));
      const waiting = runner.execute(maybeWaiting, { flavour: threading, args: [gate] });
      expect(await Promise.all(quickOnes)).toEqual([1, 2, 3]);
      open();
      expect(await waiting).toBe('waited');
    });
  }, 30_000);
});
