/** What a subscriber to the runtime's diagnostics channels sees of trio payloads. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { trio } from '@cobald/flavour-trio';
import { sleep, suspend } from 'effection';
import { channelRecorders } from '@cobald/test-support';
import { deferred, quietRunner } from './support.js';

const { record } = channelRecorders(afterEach);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


describe("'cobald:payload' with trio payloads", () => {
  it('traces an execute from start to asyncEnd, with its result', async () => {
    const seen = record('traced');
    const runner = quietRunner();
    const accepting = runner.accept();
    const result = await runner.execute(
      function* tracedSum(a: number, b: number) {
        yield* sleep(1);
        return a + b;
      },
      { flavour: trio, args: [2, 3] },
    );
    expect(result).toBe(5);
    await runner.shutdown();
    await accepting;
    const base = { id: expect.any(Number), name: 'tracedSum', flavour: 'trio', kind: 'execute', service: false, restarts: 0 };
    expect(seen).toEqual([
      { event: 'start', ...base },
      { event: 'asyncEnd', ...base, result: 5 },
    ]);
    expect(seen[0]!.id).toBe(seen[1]!.id);
  });

  it('traces a failing execute with error, then asyncEnd', async () => {
    const seen = record('traced');
    const runner = quietRunner();
    const accepting = runner.accept();
    const oops = new Error('oops');
    await expect(
      runner.execute(
        function* tracedFailure() {
          yield* sleep(1);
          throw oops;
        },
        { flavour: trio },
      ),
    ).rejects.toBe(oops);
    await runner.shutdown();
    await accepting;
    expect(seen.map((entry) => [entry.event, entry.name, entry.flavour, entry.kind, entry.error])).toEqual([
      ['start', 'tracedFailure', 'trio', 'execute', undefined],
      ['error', 'tracedFailure', 'trio', 'execute', oops],
      ['asyncEnd', 'tracedFailure', 'trio', 'execute', undefined],
    ]);
  });

  it('traces adopts: one that ends, and a halted one that ends with error (the cancellation) and asyncEnd', async () => {
    const seen = record('traced');
    const runner = quietRunner();
    const started = deferred();
    runner.adopt(function* tracedOnce() {
      yield* sleep(1);
    }, { flavour: trio });
    runner.adopt(function* tracedForever() {
      started.resolve();
      yield* suspend();
    }, { flavour: trio });
    const accepting = runner.accept();
    await started.promise;
    while (!seen.some((entry) => entry.name === 'tracedOnce' && entry.event === 'asyncEnd')) await pause(2);
    await runner.shutdown();
    await accepting;
    const once = seen.filter((entry) => entry.name === 'tracedOnce');
    expect(once).toEqual([
      { event: 'start', id: expect.any(Number), name: 'tracedOnce', flavour: 'trio', kind: 'adopt', service: false, restarts: 0 },
      { event: 'asyncEnd', id: once[0]!.id, name: 'tracedOnce', flavour: 'trio', kind: 'adopt', service: false, restarts: 0, result: undefined },
    ]);
    const forever = seen.filter((entry) => entry.name === 'tracedForever');
    expect(forever.map((entry) => entry.event)).toEqual(['start', 'error', 'asyncEnd']);
    expect(forever[1]!.error).toMatchObject({ name: 'PayloadCancelled' });
    expect(forever.every((entry) => entry.kind === 'adopt' && entry.flavour === 'trio')).toBe(true);
  });
});
