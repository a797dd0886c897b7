import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, isCancellation } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { context, directRunner, quietRunner, runFixture, until } from './support.js';

const threadResources = () => process.getActiveResourcesInfo().filter((type) => /Worker|MessagePort/i.test(type));

describe('threading shutdown', () => {
  it('cancels running and queued payloads, spinning ones too, and leaves no thread or port', async () => {
    const runner = quietRunner({ maxWorkers: 1 }, { gracePeriod: 30_000 });
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
    expect(Date.now() - begin).toBeLessThan(5000);
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as PayloadCancelled;
      expect(isCancellation(reason)).toBe(true);
      expect(reason.name).toBe('PayloadCancelled');
    }
    expect(threadResources()).toEqual([]);
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

  it('lets the process exit while idle threads wait in the pool', async () => {
    const result = await runFixture('idle-pool.mjs', 10_000);
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '', stdout: 'results 1,4,9,16\nidle 2\n' });
    expect(result.ms).toBeLessThan(5000);
  }, 15_000);
});
