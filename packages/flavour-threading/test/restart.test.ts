/**
 * Supervision policies with real threading payloads: restarts, the intensity limit, shutdown
 * timeouts (a thread is terminated, so nothing needs abandoning), and services stopped newest
 * first through cancel(), seen on the 'cobald:payload' channel.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastChannel } from 'node:worker_threads';
import { PayloadFailure, RestartIntensityExceeded } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { channelRecorders, testRunner as sharedTestRunner } from '@cobald/test-support';
import { sleep, until } from './support.js';

/** A runner whose warnings and errors are kept, with two threads for executes. */
const testRunner = (gracePeriod = 3000) => {
  const { runner, messages } = sharedTestRunner({ gracePeriod, flavours: { threading: { maxWorkers: 2 } } });
  return { runner, logged: messages };
};
// @ts-expect-error: a plain JavaScript fixture, without types.
import { Middle, Newer, Older, Spinner } from './fixtures/stubborn-services.mjs';

const fast = { initial: 1, max: 1 };
const { restartEvents, endedRuns, defer } = channelRecorders(afterEach);




/** The names the stubborn services announce once they run in their threads. */
function announcements(): string[] {
  const heard: string[] = [];
  const channel = new BroadcastChannel('threading stubborn services');
  channel.onmessage = (event) => heard.push((event as MessageEvent).data as string);
  defer(() => channel.close());
  return heard;
}

describe('threading payloads under restart policies', () => {
  it("'on-failure': a payload that fails twice then succeeds runs three times, and the runtime runs on", async () => {
    const { runner, logged } = testRunner();
    const restarts = restartEvents();
    const runs = new Int32Array(new SharedArrayBuffer(4));
    runner.adopt(
      function flaky(counter: Int32Array) {
        const run = Atomics.add(counter, 0, 1) + 1;
        if (run <= 2) throw new Error(`failure ${run}`);
      },
      { flavour: threading, args: [runs], restart: 'on-failure', backoff: fast },
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(runs, 0) === 3 && runner.tree().flavours.length === 0);
    expect(runner.running).toBe(true);
    expect(restarts.map((event) => [event.name, event.flavour, event.restarts, (event.reason as Error).message])).toEqual([
      ['flaky', 'threading', 1, 'failure 1'],
      ['flaky', 'threading', 2, 'failure 2'],
    ]);
    expect(logged).toEqual([
      expect.stringMatching(/^payload 'flaky' \(threading, #\d+\) ended with Error: failure 1; restart 1 in 1 ms$/),
      expect.stringMatching(/^payload 'flaky' \(threading, #\d+\) ended with Error: failure 2; restart 2 in 1 ms$/),
    ]);
    await sleep(20);
    expect(Atomics.load(runs, 0)).toBe(3);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('escalates once the intensity is exceeded: accept() rejects with RestartIntensityExceeded as cause', async () => {
    const { runner } = testRunner();
    const runs = new Int32Array(new SharedArrayBuffer(4));
    runner.adopt(
      function crashLoop(counter: Int32Array) {
        throw new Error(`crash ${Atomics.add(counter, 0, 1) + 1}`);
      },
      { flavour: threading, args: [runs], restart: 'on-failure', intensity: { restarts: 1, within: 10_000 }, backoff: fast },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    const exceeded = (failure as PayloadFailure).cause;
    expect(exceeded).toBeInstanceOf(RestartIntensityExceeded);
    expect((exceeded as Error).message).toMatch(/payload 'crashLoop' \(threading, #\d+\) exceeded its restart intensity of 1 restarts within 10000 ms/);
    expect(((exceeded as Error).cause as Error).message).toBe('crash 2');
    expect(Atomics.load(runs, 0)).toBe(2);
  });

  it("'always' restarts after clean ends until the runtime stops", async () => {
    const { runner } = testRunner();
    const runs = new Int32Array(new SharedArrayBuffer(4));
    runner.adopt(
      function tick(counter: Int32Array) {
        Atomics.add(counter, 0, 1);
      },
      { flavour: threading, args: [runs], restart: 'always', backoff: fast, intensity: { restarts: 1000, within: 10_000 } },
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(runs, 0) >= 3);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    const after = Atomics.load(runs, 0);
    await sleep(20);
    expect(Atomics.load(runs, 0)).toBe(after);
  });
});

describe('threading payloads on shutdown', () => {
  it('stop a service that ignores everything promptly: its thread is terminated, nothing is abandoned', async () => {
    const heard = announcements();
    const { runner, logged } = testRunner(60_000);
    const accepting = runner.accept();
    new Spinner();
    await until(() => heard.includes('Spinner'));
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('stop an adopted busy loop with a shutdownTimeout promptly, without abandoning it', async () => {
    const { runner, logged } = testRunner(60_000);
    const started = new Int32Array(new SharedArrayBuffer(4));
    runner.adopt(
      function spin(flag: Int32Array) {
        Atomics.store(flag, 0, 1);
        for (;;);
      },
      { flavour: threading, args: [started], shutdownTimeout: 50 },
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(started, 0) === 1);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('stop services newest first, each by terminating its thread: their runs end in reverse order of start', async () => {
    const heard = announcements();
    const ended = endedRuns();
    const { runner } = testRunner();
    const accepting = runner.accept();
    const instances = [new Older(), new Middle(), new Newer()];
    await until(() => heard.length === 3);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(ended).toEqual(['Newer.run', 'Middle.run', 'Older.run']);
    expect(instances).toHaveLength(3);
  });
});
