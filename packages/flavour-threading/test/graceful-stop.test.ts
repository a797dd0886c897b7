/**
 * Graceful stops of threads (issue 10): inside a threading payload, `currentSignal()` from
 * `@cobald/kernel` is the payload's signal. It aborts when the runtime stops the payload; the
 * payload has its shutdownTimeout (or the grace period) to return, and only then is its thread
 * terminated. An AbortError after the abort is a cancellation, not a failure.
 */
import { describe, expect, it } from '@jest/globals';
import { isCancellation, PayloadAbandoned } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { testRunner } from '@cobald/test-support';
import { context, directRunner, fixture, quietRunner, unexpected, until } from './support.js';

describe('graceful stops of threading payloads', () => {
  it('aborts the signal of a function payload and lets it clean up before the thread ends', async () => {
    const runner = quietRunner({}, { gracePeriod: 10_000 });
    const flags = new Int32Array(new SharedArrayBuffer(8));
    runner.adopt(
      async function poller(cells: Int32Array) {
        const { currentSignal } = await import('@cobald/kernel');
        const signal = currentSignal();
        Atomics.store(cells, 0, 1);
        while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
        Atomics.store(cells, 1, 1);
      },
      { flavour: threading, args: [flags] },
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(flags, 0) === 1);
    const begin = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    // It returned on its signal: well within the 10 s grace period, having cleaned up.
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(Atomics.load(flags, 1)).toBe(1);
  });

  it('takes the AbortError of a module payload after the abort for a cancellation', async () => {
    const runner = directRunner();
    try {
      const flags = new Int32Array(new SharedArrayBuffer(8));
      const job = context('execute', 'graceful');
      const running = runner.run({ module: fixture('graceful-job.mjs'), export: 'worker' }, [flags], job);
      await until(() => Atomics.load(flags, 0) === 1);
      runner.cancel(job);
      const error = await running.then(unexpected, (err: unknown) => err as Error);
      expect(isCancellation(error)).toBe(true);
      expect(error.name).toBe('PayloadCancelled');
      expect(Atomics.load(flags, 1)).toBe(1);
      // It returned in time: its thread was not terminated, and is reused.
      expect(runner.stats()).toMatchObject({ workers: 1, idle: 1, started: 1 });
    } finally {
      await runner.close();
    }
  });

  it('reports a payload whose cleanup outlasts its grace period as abandoned, with a warning, as asyncio does', async () => {
    const { runner, logged } = testRunner({ gracePeriod: 200 });
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const accepting = runner.accept();
    await runner.whenRunning();
    const running = runner
      .execute(
        async function slowCleanup(cells: Int32Array) {
          const { currentSignal } = await import('@cobald/kernel');
          const signal = currentSignal();
          Atomics.store(cells, 0, 1);
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          Atomics.store(cells, 1, 1);
          await new Promise((resolve) => setTimeout(resolve, 60_000)); // a cleanup that takes a minute
          Atomics.store(cells, 1, 2);
        },
        { flavour: threading, args: [flags] },
      )
      .then(unexpected, (err: unknown) => err as Error);
    await until(() => Atomics.load(flags, 0) === 1);
    const begin = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const error = await running;
    // Its cleanup began and was cut short when its thread was terminated after 200 ms.
    expect(Atomics.load(flags, 1)).toBe(1);
    expect(Date.now() - begin).toBeGreaterThanOrEqual(190);
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(error).toBeInstanceOf(PayloadAbandoned);
    expect(error.message).toMatch(/^payload 'slowCleanup' \(threading, #\d+\) was abandoned: .* did not stop within 200 ms$/);
    expect(logged.map(({ level, msg }) => `${level}: ${msg}`)).toEqual([
      expect.stringMatching(/^warn: payload 'slowCleanup' \(threading, #\d+\) did not stop within 200 ms and was abandoned$/),
    ]);
    expect(runner.tree().ended).toContainEqual(expect.objectContaining({ name: 'slowCleanup', state: 'abandoned' }));
  });

  it('reports an error other than an AbortError after the abort as it is', async () => {
    const runner = directRunner();
    try {
      const started = new Int32Array(new SharedArrayBuffer(4));
      const job = context('execute', 'complainer');
      const running = runner.run(
        async (flag: Int32Array) => {
          const { currentSignal } = await import('@cobald/kernel');
          const signal = currentSignal();
          Atomics.store(flag, 0, 1);
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw new RangeError('could not flush');
        },
        [started],
        job,
      );
      await until(() => Atomics.load(started, 0) === 1);
      runner.cancel(job);
      await expect(running).rejects.toThrow(new RangeError('could not flush'));
    } finally {
      await runner.close();
    }
  });
});
