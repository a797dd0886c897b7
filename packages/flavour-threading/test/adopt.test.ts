import { describe, expect, it } from '@jest/globals';
import { BroadcastChannel } from 'node:worker_threads';
import { OrphanedReturn, PayloadFailure } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { quietRunner, until } from './support.js';

describe('threading adopt', () => {
  it('runs adopted payloads with and without arguments', async () => {
    const shared = new SharedArrayBuffer(8);
    const view = new Int32Array(shared);
    const runner = quietRunner();
    // Adopted before accept(): queued until it starts.
    runner.adopt(
      (buffer: SharedArrayBuffer, value: number) => {
        Atomics.store(new Int32Array(buffer), 0, value);
      },
      {
        flavour: threading,
        args: [shared, 7],
      },
    );
    const channel = new BroadcastChannel('threading adopt without args');
    const heard = new Promise<unknown>((resolve) => (channel.onmessage = (event) => resolve((event as MessageEvent).data)));
    const accepting = runner.accept();
    try {
      // Without arguments, a payload has only what its source and the worker's globals give it.
      runner.adopt(
        function withoutArgs() {
          const { threadId, BroadcastChannel: Channel } = require('node:worker_threads') as typeof import('node:worker_threads');
          const out = new Channel('threading adopt without args');
          out.postMessage({ threadId });
          out.close();
        },
        { flavour: threading },
      );
      runner.adopt(() => new Promise<void>((resolve) => setTimeout(resolve, 5)), { flavour: threading });
      expect(await heard).toEqual({ threadId: expect.any(Number) });
      expect(((await heard) as { threadId: number }).threadId).toBeGreaterThan(0);
      await until(() => Atomics.load(view, 0) === 7);
      expect(runner.running).toBe(true);
    } finally {
      channel.close();
      await runner.shutdown();
    }
    await expect(accepting).resolves.toBeUndefined();
  });

  it('fails accept() with the error of an adopted payload while others busy-loop and sleep', async () => {
    // The spinner and the sleeper do not look at their signals: their threads are terminated
    // after the grace period.
    const runner = quietRunner({}, { gracePeriod: 300 });
    const started = new SharedArrayBuffer(8);
    runner.adopt(
      (flag: SharedArrayBuffer) => {
        Atomics.store(new Int32Array(flag), 0, 1);
        while (true) {}
      },
      {
        flavour: threading,
        name: 'spinner',
        args: [started],
      },
    );
    runner.adopt(
      (flag: SharedArrayBuffer) => {
        Atomics.store(new Int32Array(flag), 1, 1);
        return new Promise<void>((resolve) => setTimeout(resolve, 60_000));
      },
      { flavour: threading, name: 'sleeper', args: [started] },
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(new Int32Array(started), 0) === 1 && Atomics.load(new Int32Array(started), 1) === 1);
    const begin = Date.now();
    runner.adopt(
      function broken() {
        throw new RangeError('broken in a thread');
      },
      { flavour: threading },
    );
    const failure = (await accepting.catch((err: unknown) => err)) as PayloadFailure;
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.payload.name).toBe('broken');
    expect(failure.cause).toBeInstanceOf(RangeError);
    expect((failure.cause as Error).message).toBe('broken in a thread');
    expect(runner.running).toBe(false);
  });

  it('fails accept() with an OrphanedReturn when an adopted payload returns a value', async () => {
    const runner = quietRunner({}, { gracePeriod: 300 });
    runner.adopt(
      () => {
        while (true) {}
      },
      { flavour: threading, name: 'spinner' },
    );
    runner.adopt(() => new Promise<void>((resolve) => setTimeout(resolve, 60_000)), { flavour: threading, name: 'sleeper' });
    runner.adopt(
      function answer() {
        return 42;
      },
      { flavour: threading },
    );
    const begin = Date.now();
    const failure = (await runner.accept().catch((err: unknown) => err)) as PayloadFailure;
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.cause).toBeInstanceOf(OrphanedReturn);
    expect((failure.cause as OrphanedReturn).value).toBe(42);
    expect(failure.payload.name).toBe('answer');
  });
});
