/**
 * Supervision policies with real asyncio payloads: restarts, the intensity limit, per-payload
 * shutdown timeouts, and services stopping newest first (seen on the 'cobald:payload' channel).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { PayloadFailure, RestartIntensityExceeded, currentSignal, service } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { channelRecorders } from '@cobald/test-support';
import { testRunner } from './support.js';

const fast = { initial: 1, max: 1 };
const { restartEvents, endedRuns } = channelRecorders(afterEach);



describe('asyncio payloads under restart policies', () => {
  it("'on-failure': a payload that fails twice then succeeds runs three times, and the runtime runs on", async () => {
    const { runner, logged } = testRunner();
    const restarts = restartEvents();
    let runs = 0;
    runner.adopt(
      async function flaky() {
        await delay(1);
        if (++runs <= 2) throw new Error(`failure ${runs}`);
      },
      { flavour: asyncio, restart: 'on-failure', backoff: fast },
    );
    const accepting = runner.accept();
    while (runner.tree().flavours.length > 0) await delay(5);
    expect(runs).toBe(3);
    expect(runner.running).toBe(true);
    expect(restarts.map((event) => [event.name, event.restarts, (event.reason as Error).message])).toEqual([
      ['flaky', 1, 'failure 1'],
      ['flaky', 2, 'failure 2'],
    ]);
    expect(logged.filter((entry) => entry.level === 'warn').map((entry) => entry.msg)).toEqual([
      expect.stringMatching(/^payload 'flaky' \(asyncio, #\d+\) ended with Error: failure 1; restart 1 in 1 ms$/),
      expect.stringMatching(/^payload 'flaky' \(asyncio, #\d+\) ended with Error: failure 2; restart 2 in 1 ms$/),
    ]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('escalates once the intensity is exceeded: accept() rejects with RestartIntensityExceeded as cause', async () => {
    const { runner } = testRunner();
    let runs = 0;
    runner.adopt(
      async function crashLoop() {
        throw new Error(`crash ${++runs}`);
      },
      { flavour: asyncio, restart: 'on-failure', intensity: { restarts: 1, within: 10_000 }, backoff: fast },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    const exceeded = (failure as PayloadFailure).cause;
    expect(exceeded).toBeInstanceOf(RestartIntensityExceeded);
    expect((exceeded as Error).message).toMatch(/payload 'crashLoop' \(asyncio, #\d+\) exceeded its restart intensity of 1 restarts? within 10000 ms/);
    expect(((exceeded as Error).cause as Error).message).toBe('crash 2');
    expect(runs).toBe(2);
  });

  it("'always' restarts after clean ends until the runtime stops", async () => {
    const { runner } = testRunner();
    let runs = 0;
    runner.adopt(
      async function tick() {
        runs++;
      },
      { flavour: asyncio, restart: 'always', backoff: fast, intensity: { restarts: 1000, within: 10_000 } },
    );
    const accepting = runner.accept();
    while (runs < 3) await delay(2);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const after = runs;
    await delay(20);
    expect(runs).toBe(after);
  });
});

describe('asyncio payloads on shutdown', () => {
  it('abandons a service that ignores its signal after its own shutdownTimeout, not the grace period', async () => {
    const { runner, warnings } = testRunner({ gracePeriod: 60_000 });
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const Deaf = service({ flavour: asyncio, name: 'deaf', shutdownTimeout: 50 })(
      class {
        async run() {
          running();
          await new Promise(() => {});
        }
      },
    );
    const accepting = runner.accept();
    const instance = new Deaf();
    await isRunning;
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^payload 'deaf' \(asyncio, #\d+\) did not stop within 50 ms and was abandoned$/)]);
    expect(instance).toBeInstanceOf(Deaf);
  });

  it('abandons an adopted payload that ignores its signal after its own shutdownTimeout', async () => {
    const { runner, warnings } = testRunner({ gracePeriod: 60_000 });
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    runner.adopt(
      async function deaf() {
        running();
        await new Promise(() => {});
      },
      { flavour: asyncio, shutdownTimeout: 50 },
    );
    const accepting = runner.accept();
    await isRunning;
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^payload 'deaf' \(asyncio, #\d+\) did not stop within 50 ms and was abandoned$/)]);
  });

  it('stops services newest first: their runs end in reverse order of start', async () => {
    const ended = endedRuns();
    const make = (name: string) =>
      service({ flavour: asyncio, name })(
        class {
          async run() {
            // Ends with an AbortError, a cancellation, once its signal aborts.
            await delay(60_000, undefined, { signal: currentSignal() });
          }
        },
      );
    const { runner } = testRunner();
    const accepting = runner.accept();
    const instances = [];
    for (const name of ['oldest', 'middle', 'newest']) {
      instances.push(new (make(name))());
      await delay(5);
    }
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(ended).toEqual(['newest', 'middle', 'oldest']);
    expect(instances).toHaveLength(3);
  });
});
