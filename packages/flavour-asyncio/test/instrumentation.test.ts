/** What a subscriber to the runtime's diagnostics channels sees of asyncio payloads. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { tracingChannel } from 'node:diagnostics_channel';
import { setTimeout as delay } from 'node:timers/promises';
import { currentSignal, type PayloadTrace } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { testRunner } from './support.js';

type Seen = { event: string; id: number; name: string; flavour: string; kind: string; service: boolean; restarts: number; result?: unknown; error?: unknown };

const payloadChannel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
let unsubscribe: (() => void) | undefined;
afterEach(() => unsubscribe?.());

/** Record the 'cobald:payload' events of payloads whose names start with `prefix`. */
function record(prefix: string): Seen[] {
  const seen: Seen[] = [];
  const on = (event: string) => (context: PayloadTrace) => {
    if (!context.name.startsWith(prefix)) return;
    const { id, name, flavour, kind, service, restarts } = context;
    const entry: Seen = { event, id, name, flavour, kind, service, restarts };
    if (event === 'asyncEnd' && 'result' in context) entry.result = context.result;
    if (event === 'error') entry.error = context.error;
    seen.push(entry);
  };
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') };
  payloadChannel.subscribe(handlers as never);
  unsubscribe = () => payloadChannel.unsubscribe(handlers as never);
  return seen;
}

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
    expect(forever[1]!.error).toMatchObject({ name: 'PayloadCancelled' });
    expect(forever.every((entry) => entry.kind === 'adopt' && entry.flavour === 'asyncio')).toBe(true);
  });
});
