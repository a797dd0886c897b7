/**
 * Supervision policies with real trio (Effection) payloads: restarts, the intensity limit,
 * per-payload shutdown timeouts, and services stopping newest first (seen on 'cobald:payload').
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { PayloadFailure, RestartIntensityExceeded, service } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, suspend } from 'effection';
import { channelRecorders, testRunner as sharedTestRunner } from '@cobald/test-support';
import { deferred, quietRunner } from './support.js';

/** A runner whose warnings are kept, with the kernel's grace period unless one is given. */
const testRunner = (gracePeriod?: number) => sharedTestRunner(gracePeriod === undefined ? { gracePeriod: 3000 } : { gracePeriod });

const fast = { initial: 1, max: 1 };
const { restartEvents, endedRuns } = channelRecorders(afterEach);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));




describe('trio payloads under restart policies', () => {
  it("'on-failure': a payload that fails twice then succeeds runs three times, and the runtime runs on", async () => {
    const { runner, warnings } = testRunner();
    const restarts = restartEvents();
    let runs = 0;
    runner.adopt(
      function* flaky() {
        yield* sleep(1);
        if (++runs <= 2) throw new Error(`failure ${runs}`);
      },
      { flavour: trio, restart: 'on-failure', backoff: fast },
    );
    const accepting = runner.accept();
    while (runner.tree().flavours.length > 0) await pause(5);
    expect(runs).toBe(3);
    expect(runner.running).toBe(true);
    expect(restarts.map((event) => [event.name, event.flavour, event.restarts, (event.reason as Error).message])).toEqual([
      ['flaky', 'trio', 1, 'failure 1'],
      ['flaky', 'trio', 2, 'failure 2'],
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/^payload 'flaky' \(trio, #\d+\) ended with Error: failure 1; restart 1 in 1 ms$/),
      expect.stringMatching(/^payload 'flaky' \(trio, #\d+\) ended with Error: failure 2; restart 2 in 1 ms$/),
    ]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('escalates once the intensity is exceeded: accept() rejects with RestartIntensityExceeded as cause', async () => {
    const runner = quietRunner();
    let runs = 0;
    runner.adopt(
      function* crashLoop() {
        yield* sleep(1);
        throw new Error(`crash ${++runs}`);
      },
      { flavour: trio, restart: 'on-failure', intensity: { restarts: 1, within: 10_000 }, backoff: fast },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    const exceeded = (failure as PayloadFailure).cause;
    expect(exceeded).toBeInstanceOf(RestartIntensityExceeded);
    expect((exceeded as Error).message).toMatch(/payload 'crashLoop' \(trio, #\d+\) exceeded its restart intensity of 1 restarts within 10000 ms/);
    expect(((exceeded as Error).cause as Error).message).toBe('crash 2');
    expect(runs).toBe(2);
  });

  it("'always' restarts after clean ends until the runtime stops", async () => {
    const runner = quietRunner();
    let runs = 0;
    runner.adopt(
      function* tick() {
        runs++;
        yield* sleep(1);
      },
      { flavour: trio, restart: 'always', backoff: fast, intensity: { restarts: 1000, within: 10_000 } },
    );
    const accepting = runner.accept();
    while (runs < 3) await pause(2);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const after = runs;
    await pause(20);
    expect(runs).toBe(after);
  });
});

describe('trio payloads on shutdown', () => {
  it('abandons a service whose finally block hangs after its own shutdownTimeout, not the grace period', async () => {
    // With a grace period far beyond jest's timeout, this test only passes if neither the
    // kernel nor the trio runner's close() waits for the hung task longer than its 50 ms.
    const { runner, warnings } = testRunner(60_000);
    const ready = deferred();
    const Hung = service({ flavour: trio, name: 'hung', shutdownTimeout: 50 })(
      class {
        *run() {
          try {
            ready.resolve();
            yield* suspend();
          } finally {
            yield* suspend();
          }
        }
      },
    );
    const accepting = runner.accept();
    const instance = new Hung();
    await ready.promise;
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^payload 'hung' \(trio, #\d+\) did not stop within 50 ms and was abandoned$/)]);
    expect(instance).toBeInstanceOf(Hung);
  });

  it('halts services newest first: their runs end in reverse order of start', async () => {
    const ended = endedRuns();
    const make = (name: string) =>
      service({ flavour: trio, name })(
        class {
          *run() {
            try {
              yield* suspend();
            } finally {
              yield* sleep(5);
            }
          }
        },
      );
    const runner = quietRunner();
    const accepting = runner.accept();
    const instances = [];
    for (const name of ['oldest', 'middle', 'newest']) {
      instances.push(new (make(name))());
      await pause(5);
    }
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(ended).toEqual(['newest', 'middle', 'oldest']);
    expect(instances).toHaveLength(3);
  });
});
