import { describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { quietRunner, unexpected, until } from './support.js';

describe('threading arguments and results', () => {
  it('travel by structured clone: the worker gets a copy', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const input = { when: new Date(0), tags: new Set(['a']), map: new Map([[1, { deep: [1, 2] }]]), bytes: new Uint8Array([1, 2]) };
      const echoed = await runner.execute(
        (value: typeof input) => {
          const seen = { date: value.when instanceof Date, set: value.tags instanceof Set, map: value.map.get(1)?.deep };
          value.tags.add('changed in the worker');
          value.bytes[0] = 99;
          return { seen, value };
        },
        { flavour: threading, args: [input] },
      );
      expect(echoed.seen).toEqual({ date: true, set: true, map: [1, 2] });
      expect(echoed.value.when).toEqual(new Date(0));
      expect([...echoed.value.tags]).toEqual(['a', 'changed in the worker']);
      expect(echoed.value.bytes[0]).toBe(99);
      // The caller's objects are untouched: the worker changed its copy.
      expect([...input.tags]).toEqual(['a']);
      expect(input.bytes[0]).toBe(1);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('share a SharedArrayBuffer: the payload writes with Atomics, the caller sees it', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const shared = new SharedArrayBuffer(8);
      const view = new Int32Array(shared);
      const waiting = runner.execute(
        (buffer: SharedArrayBuffer) => {
          const cells = new Int32Array(buffer);
          Atomics.store(cells, 0, 1234);
          Atomics.notify(cells, 0);
          // Hold on until the main thread answers through the same memory.
          Atomics.wait(cells, 1, 0, 5000);
          return Atomics.load(cells, 1);
        },
        { flavour: threading, args: [shared] },
      );
      await until(() => Atomics.load(view, 0) !== 0);
      expect(Atomics.load(view, 0)).toBe(1234);
      Atomics.store(view, 1, 5678);
      Atomics.notify(view, 1);
      expect(await waiting).toBe(5678);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('explain arguments that cannot be cloned', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const error = await runner
        .execute((a: unknown, b: unknown) => [a, b], { flavour: threading, name: 'pair', args: [1, { callback: () => 2 }] })
        .then(unexpected, (err: unknown) => err as Error);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(
        /^the arguments of threading payload 'pair' \(argument 1, an object .*\) cannot be sent to a worker thread/,
      );
      expect(error.message).toMatch(/structured clone/);
      // The thread was not spoiled by the refused message.
      expect(await runner.execute(() => 'still fine', { flavour: threading })).toBe('still fine');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });
});
