/** What a subscriber to the runtime's diagnostics channels sees of asyncio payloads. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { channelRecorders } from '@cobald/test-support';
import { testRunner } from './support.js';

const { record: recordAll } = channelRecorders(afterEach);
/** Every 'cobald:payload' event of payloads whose names start with `prefix`. */
const record = (prefix: string) => recordAll(prefix, ['start', 'end', 'asyncStart', 'asyncEnd', 'error']);


describe("'cobald:payload' with asyncio payloads", () => {
  it('traces an execute from start to asyncEnd, with its result', async () => {
    const seen = record('traced');
    const { runner } = testRunner();
    const accepting = runner.accept();
    expect(await runner.execute(async function tracedSum(a: number, b: number) { await delay(1); return a + b; }, { flavour: asyncio, args: [2, 3] })).toBe(5);
    await runner.shutdown();
    await accepting;
    const base = { id: expect.any(Number), name: 'tracedSum', flavour: 'asyncio', kind: 'execute', service: false, restarts: 0 };
    expect(seen.filter((entry) => entry.event === 'start' || entry.event === 'asyncEnd' || entry.event === 'error')).toEqual([
      { event: 'start', ...base },
      { event: 'asyncEnd', ...base, result: 5 },
    ]);
    expect(new Set(seen.map((entry) => entry.id)).size).toBe(1);
  });

  it('traces a failing execute with error, then asyncEnd', async () => {
    const seen = record('traced');
    const { runner } = testRunner();
    const accepting = runner.accept();
    const oops = new Error('oops');
    await expect(runner.execute(async function tracedFailure() { throw oops; }, { flavour: asyncio })).rejects.toBe(oops);
    await runner.shutdown();
    await accepting;
    expect(seen.filter((entry) => entry.event !== 'end' && entry.event !== 'asyncStart').map((entry) => [entry.event, entry.name, entry.kind, entry.error])).toEqual([
      ['start', 'tracedFailure', 'execute', undefined],
      ['error', 'tracedFailure', 'execute', oops],
      ['asyncEnd', 'tracedFailure', 'execute', undefined],
    ]);
  });

  it('traces an adopt, and a cancelled one ends with error (the cancellation) and asyncEnd', async () => {
    const seen = record('traced');
    const { runner } = testRunner();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    runner.adopt(async function tracedOnce() { await delay(1); }, { flavour: asyncio });
    runner.adopt(async function tracedForever() { started(); await delay(60_000, undefined, { signal: currentSignal() }); }, { flavour: asyncio });
    const accepting = runner.accept();
    await running;
    while (!seen.some((entry) => entry.name === 'tracedOnce' && entry.event === 'asyncEnd')) await delay(2);
    await runner.shutdown();
    await accepting;
    const main = seen.filter((entry) => entry.event === 'start' || entry.event === 'asyncEnd' || entry.event === 'error');
    const once = main.filter((entry) => entry.name === 'tracedOnce');
    expect(once).toEqual([
      { event: 'start', id: expect.any(Number), name: 'tracedOnce', flavour: 'asyncio', kind: 'adopt', service: false, restarts: 0 },
      { event: 'asyncEnd', id: once[0]!.id, name: 'tracedOnce', flavour: 'asyncio', kind: 'adopt', service: false, restarts: 0, result: undefined },
    ]);
    const forever = main.filter((entry) => entry.name === 'tracedForever');
    expect(forever.map((entry) => entry.event)).toEqual(['start', 'error', 'asyncEnd']);
    // The trace shows what the payload ended with: the AbortError of its signal, which the
    // kernel takes for a cancellation since it asked the payload to stop.
    expect(forever[1]!.error).toMatchObject({ name: 'AbortError' });
    expect(forever[1]!.stopping).toBe(true);
    expect(forever.every((entry) => entry.kind === 'adopt' && entry.flavour === 'asyncio')).toBe(true);
  });
});
