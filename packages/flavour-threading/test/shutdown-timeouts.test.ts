/**
 * Shutdown timeouts of threads: a thread is terminated once its time is up, so a payload that
 * ignores everything stops promptly; like a payload of any flavour that does not stop within its
 * time, it is reported as abandoned (what it was doing was cut short). Restart policies, the newest-first stop of services
 * and the rest of the kernel's contract are checked by the conformance kit (conformance.test.ts).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { BroadcastChannel } from 'node:worker_threads';
import { threading } from '@cobald/flavour-threading';
import { channelRecorders, testRunner as sharedTestRunner } from '@cobald/test-support';
import { until } from './support.js';
// @ts-expect-error: a plain JavaScript fixture, without types.
import { Spinner } from './fixtures/stubborn-services.mjs';

/** A runner whose warnings and errors are kept, with two threads for executes. */
const testRunner = (gracePeriod = 3000) => {
  const { runner, messages } = sharedTestRunner({ gracePeriod, flavours: { threading: { maxWorkers: 2 } } });
  return { runner, logged: messages };
};

const { defer } = channelRecorders(afterEach);

/** The names the stubborn services announce once they run in their threads. */
function announcements(): string[] {
  const heard: string[] = [];
  const channel = new BroadcastChannel('threading stubborn services');
  channel.onmessage = (event) => heard.push((event as MessageEvent).data as string);
  defer(() => channel.close());
  return heard;
}

describe('threading payloads on shutdown', () => {
  it('stop a service that ignores everything promptly: its thread is terminated, and it is reported abandoned', async () => {
    const heard = announcements();
    const { runner, logged } = testRunner(60_000);
    const accepting = runner.accept();
    new Spinner();
    await until(() => heard.includes('Spinner'));
    const begin = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    // Its shutdownTimeout of 50 ms, not the grace period of a minute.
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(logged).toEqual([
      expect.stringMatching(/^payload 'Spinner.run' \(threading, #\d+\) did not stop within 50 ms and was abandoned$/),
    ]);
  });

  it('stop an adopted busy loop with a shutdownTimeout promptly, and report it abandoned', async () => {
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
    const begin = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    // Its signal aborted first; the thread was terminated only once its shutdownTimeout was over.
    expect(Date.now() - begin).toBeGreaterThanOrEqual(45);
    expect(Date.now() - begin).toBeLessThan(5000);
    expect(logged).toEqual([expect.stringMatching(/^payload 'spin' \(threading, #\d+\) did not stop within 50 ms and was abandoned$/)]);
  });
});
