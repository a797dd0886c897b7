import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { setTimeout as delay } from 'node:timers/promises';
import { testRunner } from './support.js';

describe('asyncio execute', () => {
  it('returns the result of sync and async functions', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.execute(async (a: number, b: number) => a + b, { flavour: asyncio, args: [1, 2] })).resolves.toBe(3);
    await expect(runner.execute(() => 'sync', { flavour: asyncio })).resolves.toBe('sync');
    await expect(runner.execute((x: string) => x, { flavour: 'asyncio', args: ['by name'] })).resolves.toBe('by name');
    await runner.shutdown();
    await accepting;
  });

  it('refuses generator functions, whose body it would never run, naming trio', async () => {
    const { runner } = testRunner();
    expect(() => runner.adopt(function* job() {}, { flavour: asyncio })).toThrow(
      /^asyncio payload 'job' is a generator function, whose body asyncio would never run: a function\* is a trio payload/,
    );
    const accepting = runner.accept();
    await expect(runner.execute(async function* stream() {}, { flavour: asyncio })).rejects.toThrow(
      /asyncio payload 'stream' is a generator function/,
    );
    await runner.shutdown();
    await accepting;
  });

  it('raises the error of a rejecting or throwing payload', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const boom = new Error('boom');
    await expect(runner.execute(async () => Promise.reject(boom), { flavour: asyncio })).rejects.toBe(boom);
    await expect(
      runner.execute(
        () => {
          throw boom;
        },
        { flavour: asyncio },
      ),
    ).rejects.toBe(boom);
    await runner.shutdown();
    await accepting;
  });

  it('gives each payload a signal that aborts on shutdown; the AbortError is a cancellation', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const waiting = runner.execute(() => delay(60_000, undefined, { signal: currentSignal() }), { flavour: asyncio });
    await delay(5);
    await runner.shutdown();
    await expect(waiting).rejects.toThrow(PayloadCancelled);
    await expect(accepting).resolves.toBeUndefined();
  });

  it('refuses a payload that is not a function', async () => {
    const { runner } = testRunner();
    await expect(runner.execute('nope' as never, { flavour: asyncio })).rejects.toThrow(
      /an asyncio payload is a function \(sync or async\), got string/,
    );
  });
});
