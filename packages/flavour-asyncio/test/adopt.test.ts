import { describe, expect, it } from '@jest/globals';
import { OrphanedReturn, PayloadFailure, currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { testRunner } from './support.js';

describe('asyncio adopt', () => {
  it('runs payloads with and without args', async () => {
    const { runner } = testRunner();
    const seen: unknown[] = [];
    runner.adopt(async () => void seen.push('no args'), { flavour: asyncio });
    runner.adopt(async (a: number, b: string) => void seen.push([a, b]), { flavour: asyncio, args: [1, 'b'] });
    const accepting = runner.accept();
    await delay(10);
    expect(seen).toEqual(['no args', [1, 'b']]);
    await runner.shutdown();
    await accepting;
  });

  it.each([
    [
      'throws',
      async () => Promise.reject(new Error('payload broke')),
      (cause: unknown) => expect(cause).toEqual(new Error('payload broke')),
    ],
    ['returns a value', async () => 'a value', (cause: unknown) => expect(cause).toBeInstanceOf(OrphanedReturn)],
  ])('stops everything when a payload %s, beside sleeping and busy payloads', async (_, payload, checkCause) => {
    const { runner } = testRunner();
    const stopped: string[] = [];
    runner.adopt(
      async function sleeper() {
        await delay(60_000, undefined, { signal: currentSignal() }).catch(() => stopped.push('sleeper'));
      },
      { flavour: asyncio },
    );
    runner.adopt(
      async function busy() {
        const signal = currentSignal();
        while (!signal.aborted) await yieldToLoop();
        stopped.push('busy');
      },
      { flavour: asyncio },
    );
    runner.adopt(
      async () => {
        await delay(20);
        return payload();
      },
      { flavour: asyncio, name: 'culprit' },
    );
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.payload).toMatchObject({ name: 'culprit', flavour: 'asyncio' });
    checkCause(error.cause);
    expect(stopped.sort()).toEqual(['busy', 'sleeper']);
  });

  it('abandons a payload that ignores its signal after the grace period, and reports it', async () => {
    const { runner, logged } = testRunner({ gracePeriod: 100 });
    const timer = { handle: undefined as NodeJS.Timeout | undefined };
    runner.adopt(
      function deaf() {
        return new Promise<void>((resolve) => (timer.handle = setTimeout(resolve, 60_000)));
      },
      { flavour: asyncio },
    );
    const accepting = runner.accept();
    await delay(10);
    const started = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/payload 'deaf' \(asyncio, #\d+\).*abandoned/) }),
    );
    clearTimeout(timer.handle);
  });

  it('treats an error other than the abort after cancellation as a failure', async () => {
    const { runner } = testRunner();
    runner.adopt(
      async function cleanupFails() {
        await delay(60_000, undefined, { signal: currentSignal() }).catch(() => {
          throw new Error('cleanup failed');
        });
      },
      { flavour: asyncio },
    );
    const accepting = runner.accept();
    await delay(5);
    await runner.shutdown();
    await expect(accepting).rejects.toThrow(/payload 'cleanupFails' .* Error: cleanup failed/);
  });
});
