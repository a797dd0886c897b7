import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, isCancellation } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { context, directRunner, quietRunner, runFixture, until } from './support.js';

const threadResources = () => process.getActiveResourcesInfo().filter((type) => /Worker|MessagePort/i.test(type));

describe('threading shutdown', () => {
  it('cancels running and queued payloads, spinning ones too, and leaves no thread or port', async () => {
    // The spinner cannot see its signal: its thread is terminated after the grace period, and
    // it is abandoned (it did not stop in its time); the queued ones are cancelled.
    const runner = quietRunner({ maxWorkers: 1 }, { gracePeriod: 300 });
    const accepting = runner.accept();
    const started = new SharedArrayBuffer(4);
    const spinning = runner.execute(
      (flag: SharedArrayBuffer) => {
        Atomics.store(new Int32Array(flag), 0, 1);
        while (true) {}
      },
      { flavour: threading, args: [started] },
    );
    const queued = [1, 2, 3].map((n) => runner.execute((x: number) => x, { flavour: threading, args: [n] }));
    runner.adopt(() => new Promise<void>((resolve) => setTimeout(resolve, 60_000)), { flavour: threading });
    const outcomes = Promise.allSettled([spinning, ...queued]);
    await until(() => Atomics.load(new Int32Array(started), 0) === 1);
    expect(threadResources().length).toBeGreaterThan(0);
    const begin = Date.now();
    await runner.shutdown();
    await accepting;
    // Bounded far above the grace period: only a thread that is never terminated breaks it.
    expect(Date.now() - begin).toBeLessThan(20_000);
    expect(Date.now() - begin).toBeGreaterThanOrEqual(290);
    const names = [];
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as PayloadCancelled;
      expect(isCancellation(reason)).toBe(true);
      names.push(reason.name);
    }
    expect(names).toEqual(['PayloadAbandoned', 'PayloadCancelled', 'PayloadCancelled', 'PayloadCancelled']);
    await until(() => threadResources().length === 0);
  });

  it('closes a runner whose threads are still starting, and refuses runs after', async () => {
    const runner = directRunner();
    const early = expect(runner.run(() => 1, [], context('adopt', 'early'))).rejects.toMatchObject({ name: 'PayloadCancelled' });
    expect(runner.stats()).toMatchObject({ starting: 1, queued: 1 });
    await runner.close();
    await early;
    await expect(runner.run(() => 2, [], context('execute', 'late'))).rejects.toMatchObject({ name: 'PayloadCancelled' });
    expect(runner.stats()).toMatchObject({ workers: 0, starting: 0, queued: 0 });
    expect(threadResources()).toEqual([]);
  });

  it('cancels one payload, running or queued, and keeps the others', async () => {
    const runner = directRunner({ maxWorkers: 1 });
    try {
      const spinner = context('adopt', 'spinner');
      const spinning = runner.run(
        () => {
          while (true) {}
        },
        [],
        spinner,
      );
      const blocker = context('execute', 'blocker');
      const blocking = runner.run(() => new Promise(() => {}), [], blocker);
      const waiter = context('execute', 'waiter');
      const waiting = runner.run(() => 'never runs', [], waiter);
      const after = runner.run(() => 'runs', [], context('execute', 'after'));
      await until(() => runner.stats().busy === 2);
      expect(runner.stats().queued).toBe(2);
      runner.cancel(waiter);
      await expect(waiting).rejects.toMatchObject({ name: 'PayloadCancelled', payload: { name: 'waiter' } });
      runner.cancel(spinner);
      await expect(spinning).rejects.toMatchObject({ name: 'PayloadCancelled', payload: { name: 'spinner' } });
      runner.cancel(blocker);
      await expect(blocking).rejects.toMatchObject({ name: 'PayloadCancelled', payload: { name: 'blocker' } });
      expect(await after).toBe('runs');
      runner.cancel(blocker); // again: nothing left to cancel
    } finally {
      await runner.close();
    }
  });

  it('lets the process exit while idle threads wait in the pool', async () => {
    const result = await runFixture('idle-pool.mjs', 10_000);
    // An idle thread that kept the process alive would get it killed after 10 s: code null, SIGKILL.
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '', stdout: 'results 1,4,9,16\nbusy 0, at most 2 threads: true\n' });
  }, 15_000);
});
