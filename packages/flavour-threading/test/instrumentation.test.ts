/**
 * Diagnostics with threading payloads: the forwarding of channels that payloads publish on in
 * their worker threads (option `forwardChannels`) to the main thread. What a subscriber to
 * 'cobald:payload' sees of threading payloads is checked by the conformance kit.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { channelRecorders } from '@cobald/test-support';
import { directRunner, quietRunner, until } from './support.js';

const { listen } = channelRecorders(afterEach);

describe('forwarding diagnostics channels from worker threads', () => {
  it('publishes what a payload publishes on a channel named in forwardChannels on that channel in the main thread, before the result', async () => {
    const jobs = listen('test:threading:jobs');
    const other = listen('test:threading:other');
    const runner = quietRunner({ maxWorkers: 1, forwardChannels: ['test:threading:jobs'] });
    const accepting = runner.accept();
    const answer = await runner.execute(
      async function report(count: number) {
        const { channel } = await import('node:diagnostics_channel');
        const { isMainThread } = await import('node:worker_threads');
        const jobs = channel('test:threading:jobs');
        const other = channel('test:threading:other');
        for (let i = 1; i <= count; i++) jobs.publish({ done: i, isMainThread, when: new Date(0) });
        other.publish({ never: 'forwarded' });
        // Only forwarded channels have a subscriber in the worker.
        return { jobs: jobs.hasSubscribers, other: other.hasSubscribers };
      },
      { flavour: threading, args: [2] },
    );
    expect(answer).toEqual({ jobs: true, other: false });
    expect(jobs).toEqual([
      { done: 1, isMainThread: false, when: new Date(0) },
      { done: 2, isMainThread: false, when: new Date(0) },
    ]);
    expect(other).toEqual([]);
    await runner.shutdown();
    await accepting;
  });

  it('forwards from adopted payloads too, and drops messages that cannot be cloned', async () => {
    const events = listen('test:threading:events');
    const runner = quietRunner({ maxWorkers: 1, forwardChannels: ['test:threading:events'] });
    runner.adopt(
      async function announcer() {
        const { channel } = await import('node:diagnostics_channel');
        const events = channel('test:threading:events');
        events.publish({ step: 'uncloneable', callback: () => {} });
        events.publish({ step: 'adopted' });
      },
      { flavour: threading },
    );
    const accepting = runner.accept();
    await until(() => events.length > 0);
    await runner.shutdown();
    await accepting;
    expect(events).toEqual([{ step: 'adopted' }]);
  });

  it('is off by default: workers forward nothing', async () => {
    const jobs = listen('test:threading:jobs');
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    const heard = await runner.execute(
      async function quiet() {
        const { channel } = await import('node:diagnostics_channel');
        const jobs = channel('test:threading:jobs');
        jobs.publish({ done: 1 });
        return jobs.hasSubscribers;
      },
      { flavour: threading },
    );
    await runner.shutdown();
    await accepting;
    expect(heard).toBe(false);
    expect(jobs).toEqual([]);
  });

  it('refuses a forwardChannels option that is not a list of channel names', () => {
    for (const forwardChannels of ['test:threading:jobs', [''], [42]]) {
      expect(() => directRunner({ forwardChannels } as never)).toThrow(
        "threading option 'forwardChannels' must be an array of diagnostics channel names",
      );
    }
  });
});
