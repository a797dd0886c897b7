import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, RunnerNotAccepting, RunnerStopping } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

describe('execute', () => {
  const inline = inlineFlavour();

  it('hands back the result', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.execute((a: number, b: number) => a * b, { flavour: inline, args: [6, 7] })).resolves.toBe(42);
    await runner.shutdown();
    await accepting;
  });

  it('hands back the error and never stops the runner', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const boom = new Error('boom');
    await expect(
      runner.execute(
        () => {
          throw boom;
        },
        { flavour: inline },
      ),
    ).rejects.toBe(boom);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('rejects before accept() with an error that says to call accept()', async () => {
    const { runner } = testRunner();
    await expect(runner.execute(() => 1, { flavour: inline })).rejects.toThrow(RunnerNotAccepting);
    await expect(runner.execute(() => 1, { flavour: inline })).rejects.toThrow(/call runner\.accept\(\) first/);
  });

  it('waits right after accept() until the runner is ready', async () => {
    const events: string[] = [];
    const slow = inlineFlavour({ name: 'slow', startDelay: 50, events });
    const { runner } = testRunner();
    runner.adopt(() => undefined, { flavour: slow });
    const accepting = runner.accept();
    const result = runner.execute(() => events.push('ran'), { flavour: slow });
    await expect(result).resolves.toBe(3);
    expect(events).toEqual(['start', 'ready', 'ran']);
    await runner.shutdown();
    await accepting;
  });

  it('rejects while the runner shuts down', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = runner.shutdown();
    await expect(runner.execute(() => 1, { flavour: inline })).rejects.toThrow(RunnerStopping);
    await stopping;
    await accepting;
  });

  it('rejects with PayloadCancelled when the runner stops under the payload', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const started = deferred();
    const forever = runner.execute(
      () => {
        started.resolve();
        return new Promise(() => {});
      },
      { flavour: inline, name: 'forever' },
    );
    await started.promise;
    await runner.shutdown();
    await expect(forever).rejects.toThrow(PayloadCancelled);
    await expect(accepting).resolves.toBeUndefined();
  });
});
