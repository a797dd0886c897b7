import { describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { PayloadFailure, RestartIntensityExceeded, defineFlavour, service, type RestartEvent } from '@cobald/kernel';
import { deferred, inlineFlavour, type InlineTypes } from './support/inline-flavour.js';
import { quietRunner, testRunner } from './support/runner.js';

const inline = inlineFlavour({ name: 'restart-inline' });
const fast = { initial: 1, max: 1 };

describe('restart policies', () => {
  it("'never' is the default: the first failure is fatal", async () => {
    const { runner } = testRunner();
    let runs = 0;
    runner.adopt(
      () => {
        runs++;
        throw new Error('once');
      },
      { flavour: inline },
    );
    await expect(runner.accept()).rejects.toThrow(PayloadFailure);
    expect(runs).toBe(1);
  });

  it("'on-failure' restarts after errors and returned values, and stops after a clean end", async () => {
    const { runner } = testRunner();
    let runs = 0;
    const done = deferred();
    runner.adopt(
      function flaky() {
        runs++;
        if (runs === 1) throw new Error('first run fails');
        if (runs === 2) return 'second run returns a value';
        done.resolve();
        return undefined;
      },
      { flavour: inline, restart: 'on-failure', backoff: fast },
    );
    const accepting = runner.accept();
    await done.promise;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(3);
    expect(runner.tree().flavours).toEqual([]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it("'always' restarts after a clean end too, until the runtime stops", async () => {
    const { runner } = testRunner();
    let runs = 0;
    const third = deferred();
    runner.adopt(
      () => {
        if (++runs === 3) third.resolve();
      },
      { flavour: inline, restart: 'always', backoff: fast, intensity: { restarts: 100, within: 1000 } },
    );
    const accepting = runner.accept();
    await third.promise;
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(after);
  });

  it('escalates as fatal once the restart intensity is exceeded, with the last error as cause', async () => {
    const { runner, logged } = testRunner();
    let runs = 0;
    runner.adopt(
      function crashLoop() {
        throw new Error(`crash ${++runs}`);
      },
      { flavour: inline, restart: 'on-failure', intensity: { restarts: 2, within: 10_000 }, backoff: fast },
    );
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(runs).toBe(3);
    expect(error.cause).toBeInstanceOf(RestartIntensityExceeded);
    const exceeded = error.cause as RestartIntensityExceeded;
    expect(exceeded.message).toMatch(
      /payload 'crashLoop' \(restart-inline, #\d+\) exceeded its restart intensity of 2 restarts within 10000 ms/,
    );
    expect((exceeded.cause as Error).message).toBe('crash 3');
    expect(logged.filter((l) => l.level === 'warn' && /restart \d in 1 ms/.test(l.msg))).toHaveLength(2);
  });

  it('waits a growing backoff between restarts, capped at max', async () => {
    const { runner } = testRunner();
    const events: RestartEvent[] = [];
    const listener = (message: unknown) => void events.push(message as RestartEvent);
    subscribe('cobald:restart', listener);
    const starts: number[] = [];
    const fourth = deferred();
    runner.adopt(
      () => {
        starts.push(Date.now());
        if (starts.length === 4) fourth.resolve();
        else throw new Error('again');
      },
      { flavour: inline, restart: 'on-failure', backoff: { initial: 20, factor: 2, max: 50 }, intensity: { restarts: 5, within: 10_000 } },
    );
    const accepting = runner.accept();
    await fourth.promise;
    await runner.shutdown();
    await accepting;
    unsubscribe('cobald:restart', listener);
    expect(events.map((e) => e.delay)).toEqual([20, 40, 50]);
    expect(events.map((e) => e.restarts)).toEqual([1, 2, 3]);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual([20, 40, 50][i]! - 2));
  });

  it('counts restarts in the tree, where a waiting payload is restarting', async () => {
    const { runner } = testRunner();
    runner.adopt(
      () => {
        throw new Error('down');
      },
      { flavour: inline, restart: 'on-failure', name: 'waits', backoff: { initial: 10_000 } },
    );
    const accepting = runner.accept();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runner.tree().flavours[0]?.payloads[0]).toMatchObject({ name: 'waits', state: 'restarting', restarts: 1 });
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('restarts services by their options', async () => {
    const { runner } = testRunner();
    let runs = 0;
    const second = deferred();
    @service({ flavour: inline, restart: 'on-failure', backoff: fast })
    class Resilient {
      run() {
        if (++runs === 1) return 'oops';
        second.resolve();
        return new Promise(() => {});
      }
    }
    new Resilient();
    const accepting = runner.accept();
    await second.promise;
    expect(runner.tree().flavours[0]?.payloads[0]).toMatchObject({ service: true, restarts: 1 });
    await runner.shutdown();
    await accepting;
  });

  it('checks the options', () => {
    const { runner } = testRunner();
    const adopt = (options: object) => runner.adopt(() => undefined, { flavour: inline, ...options });
    expect(() => adopt({ restart: 'sometimes' })).toThrow(/'restart' must be one of 'never', 'on-failure', 'always'/);
    expect(() => adopt({ restart: 'always', intensity: { restarts: -1, within: 1 } })).toThrow(
      /'intensity.restarts' must be a whole number/,
    );
    expect(() => adopt({ backoff: { factor: 0.5 } })).toThrow(/'backoff.factor' must be a number >= 1/);
    expect(() => adopt({ shutdownTimeout: 'soon' })).toThrow(/'shutdownTimeout' must be a number of milliseconds from 0 to 2147483647/);
    expect(() => service({ flavour: inline, restart: 'sometimes' as never })).toThrow(/'restart' must be one of/);
  });
});

describe('a payload restarted thousands of times', () => {
  it('keeps nothing of its earlier runs: the heap stays flat', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeDefined(); // the test script runs node with --expose-gc
    const runner = quietRunner();
    // As asyncio does: the run is the payload's own promise, made in its cancel scope.
    const scoped = defineFlavour<InlineTypes>({
      name: 'restart-own-promise',
      version: '0.0.0',
      kernel: '*',
      validate() {},
      createRunner: (host) => ({
        run: (payload, args, context) => host.cancelScope(context).run(payload, args) as Promise<unknown>,
        close: async () => {},
      }),
    });
    let runs = 0;
    const reached = new Map<number, () => void>();
    const at = (count: number) => new Promise<void>((resolve) => reached.set(count, resolve));
    const first = at(500);
    const last = at(2500);
    runner.adopt(
      async function flaky() {
        reached.get(++runs)?.();
        throw new Error(`run ${runs} failed`);
      },
      { flavour: scoped, restart: 'always', backoff: { initial: 0, max: 0 }, intensity: { restarts: 1e9, within: 60_000 } },
    );
    const accepting = runner.accept();
    const heap = () => {
      gc!();
      gc!();
      return process.memoryUsage().heapUsed;
    };
    await first;
    const before = heap();
    await last;
    const after = heap();
    await runner.shutdown();
    await accepting;
    // 2000 runs that each left their error (and its stack) behind would hold several MB.
    expect(after - before).toBeLessThan(1.5 * 2 ** 20);
  });
});
