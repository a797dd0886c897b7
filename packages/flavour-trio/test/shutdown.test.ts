import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, PayloadFailure, isCancellation } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, suspend } from 'effection';
import { deferred, quietRunner, timers, until } from './support.js';

describe('trio shutdown', () => {
  it('halts sleeping payloads, and their finally blocks finish before accept() resolves', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    const started = deferred();
    runner.adopt(
      function* () {
        try {
          yield* sleep(60_000);
        } finally {
          log.push('sleeper finally');
        }
      },
      { flavour: trio },
    );
    runner.adopt(
      function* () {
        try {
          started.resolve();
          yield* suspend();
        } finally {
          log.push('slow finally started');
          yield* sleep(10);
          log.push('slow finally done');
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept().then(() => log.push('accept resolved'));
    await started.promise;
    await runner.shutdown();
    await accepting;
    expect([...log].sort()).toEqual(['accept resolved', 'sleeper finally', 'slow finally done', 'slow finally started']);
    expect(log.indexOf('slow finally done')).toBeLessThan(log.indexOf('accept resolved'));
  });

  it('makes a running execute() reject with PayloadCancelled, not with the halt', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    const cleaned = deferred<string>();
    const running = runner.execute(
      function* () {
        try {
          yield* suspend();
        } finally {
          cleaned.resolve('cleaned');
        }
      },
      { flavour: trio, name: 'waiter' },
    );
    await runner.execute(
      function* () {
        yield* sleep(1);
      },
      { flavour: trio },
    );
    await runner.shutdown();
    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PayloadCancelled);
    expect(isCancellation(error)).toBe(true);
    expect(error).toMatchObject({ payload: { name: 'waiter', flavour: 'trio' } });
    expect(await cleaned.promise).toBe('cleaned');
    await expect(accepting).resolves.toBeUndefined();
  });

  it('a grace period of Infinity waits for a slow finally block (no timer fires at once)', async () => {
    const runner = quietRunner({ gracePeriod: Infinity });
    const log: string[] = [];
    const ready = deferred();
    runner.adopt(
      function* slowCleanup() {
        try {
          ready.resolve();
          yield* suspend();
        } finally {
          yield* sleep(150);
          log.push('slow finally done');
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept();
    await ready.promise;
    await runner.shutdown();
    await accepting;
    expect(log).toEqual(['slow finally done']);
  });

  it('abandons a finally block that hangs after the grace period; the others still clean up', async () => {
    const runner = quietRunner({ gracePeriod: 100 });
    const log: string[] = [];
    const ready = deferred();
    runner.adopt(
      function* older() {
        try {
          yield* suspend();
        } finally {
          yield* sleep(5);
          log.push('older finally done');
        }
      },
      { flavour: trio },
    );
    runner.adopt(
      function* hung() {
        try {
          ready.resolve();
          yield* suspend();
        } finally {
          log.push('hung finally started');
          yield* suspend();
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept();
    await ready.promise;
    const stopping = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const took = Date.now() - stopping;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1000);
    expect([...log].sort()).toEqual(['hung finally started', 'older finally done']);
  });

  it('reports an error thrown by a finally block while halting as that payload failing', async () => {
    const runner = quietRunner();
    const oops = new Error('cleanup failed');
    const ready = deferred();
    runner.adopt(
      function* cleanup() {
        try {
          ready.resolve();
          yield* suspend();
        } finally {
          yield* sleep(1);
          throw oops;
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept().then(
      () => undefined,
      (e: unknown) => e,
    );
    await ready.promise;
    await runner.shutdown();
    const failure = await accepting;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect((failure as PayloadFailure).cause).toBe(oops);
  });

  it('leaves no timer behind', async () => {
    const before = timers();
    const runner = quietRunner();
    const ready = deferred();
    for (let i = 0; i < 3; i++) {
      runner.adopt(
        function* () {
          ready.resolve();
          yield* sleep(60_000);
        },
        { flavour: trio },
      );
    }
    const accepting = runner.accept();
    await ready.promise;
    expect(timers()).toBeGreaterThanOrEqual(before + 3);
    await runner.shutdown();
    await accepting;
    // jest's own timers come and go; ours (60 s sleeps, a 3 s grace timer) would stay.
    await until(() => timers() <= before, 1000);
  });
});
