/**
 * Payloads that misbehave, in every flavour where the fault exists: they throw what is no
 * Error, ignore cancellation, fail while being cancelled, return what cannot travel, flood the
 * runtime with adopts, or adopt and execute while it shuts down. Each fault ends in a reported
 * outcome (a rejection, a logged abandonment, a refusal), never a hang or silence, and leaves
 * nothing of the runtime active.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { OrphanedReturn, PayloadCancelled, PayloadFailure, RunnerStopping, currentSignal, isCancellation } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { call as callOperation, sleep as effectionSleep, suspend } from 'effection';
import { kits, recordingRunner, runtimeResources, settledResources, sleep, unexpected, until, type FlavourKit } from './support.js';

let before: Record<string, number>;
beforeEach(() => {
  before = runtimeResources();
});
afterEach(async () => {
  expect(await settledResources(before)).toEqual({});
});

const thrownValues: [string, unknown][] = [
  ['a string', 'just a string'],
  ['undefined', undefined],
  ['null', null],
  ['a plain object', { code: 42, detail: 'not an Error' }],
  ['a number', 7],
];

describe.each(kits)('$name payloads that misbehave', (kit: FlavourKit) => {
  it.each(thrownValues)('throw %s: execute() rejects with it, adopt() fails accept() with it as cause', async (_what, value) => {
    const { runner } = recordingRunner();
    const { payload, args } = kit.throws(value);
    const first = runner.accept();
    await expect(runner.execute(payload, { flavour: kit.flavour, args })).rejects.toEqual(value);
    await runner.shutdown();
    await first;
    // The same payload adopted: fatal, on the same runner accepting again.
    runner.adopt(payload, { flavour: kit.flavour, args, name: 'thrower' });
    const accepting = runner.accept().then(unexpected, (err: unknown) => err as PayloadFailure);
    const failure = await accepting;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.payload.name).toBe('thrower');
    expect(failure.cause).toEqual(value);
    expect(failure.message).toContain("payload 'thrower'");
  });

  it('returns a value from an adopted payload: fatal, an OrphanedReturn names it', async () => {
    const { runner } = recordingRunner();
    const { payload, args } = kit.returns({ answer: 42 });
    runner.adopt(payload, { flavour: kit.flavour, args, name: 'returner' });
    const failure = (await runner.accept().then(unexpected, (err: unknown) => err)) as PayloadFailure;
    expect(failure.cause).toBeInstanceOf(OrphanedReturn);
    expect((failure.cause as OrphanedReturn).value).toEqual({ answer: 42 });
  });

  it('ignores cancellation: abandoned or stopped by force after the grace period, reported, and accept() settles', async () => {
    const { runner, logged } = recordingRunner({ gracePeriod: 200 });
    const begun = kit.begun?.() ?? 0;
    const stubborn = kit.ignoresCancellation();
    runner.adopt(stubborn.payload, { flavour: kit.flavour, args: stubborn.args, name: 'stubborn' });
    const polite = kit.waits();
    runner.adopt(polite.payload, { flavour: kit.flavour, args: polite.args, name: 'polite' });
    const accepting = runner.accept();
    await runner.whenRunning();
    await sleep(50);
    // Threads take a while to start: both must run (a payload still queued is merely cancelled).
    if (kit.begun) await until(() => kit.begun!() >= begun + 2);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    // A thread is terminated as well, but what it did was cut short all the same: abandoned, as elsewhere.
    expect(logged.map(({ msg }) => msg)).toContainEqual(
      expect.stringMatching(/^payload 'stubborn' \(\w+, #\d+\) did not stop within 200 ms and was abandoned$/),
    );
    expect(logged.map(({ msg }) => msg)).not.toContainEqual(expect.stringContaining("'polite'"));
  });

  it('execute() during shutdown rejects with RunnerStopping; one in flight rejects with PayloadCancelled', async () => {
    const { runner } = recordingRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    const waits = kit.waits();
    const inFlight = runner
      .execute(waits.payload, { flavour: kit.flavour, args: waits.args, name: 'inFlight' })
      .then(unexpected, (err: unknown) => err);
    await sleep(50);
    const stopping = runner.shutdown();
    const late = kit.returns();
    await expect(runner.execute(late.payload, { flavour: kit.flavour, args: late.args, name: 'late' })).rejects.toThrow(
      new RunnerStopping('execute', 'late'),
    );
    await stopping;
    await accepting;
    const error = await inFlight;
    expect(isCancellation(error)).toBe(true);
    expect((error as PayloadCancelled).payload.name).toBe('inFlight');
  });

  it('adopt() during shutdown throws RunnerStopping, nothing is queued silently', async () => {
    const { runner } = recordingRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    const stopping = runner.shutdown();
    const late = kit.returns();
    expect(() => runner.adopt(late.payload, { flavour: kit.flavour, args: late.args, name: 'late' })).toThrow(
      new RunnerStopping('adopt', 'late'),
    );
    await stopping;
    await accepting;
    expect(runner.tree().flavours).toEqual([]);
  });
});

describe('payloads that misbehave in their own flavour', () => {
  it('asyncio: rejecting with another error after its signal aborted is a failure, even during shutdown', async () => {
    const { runner } = recordingRunner();
    runner.adopt(
      async function cleanupFails() {
        const signal = currentSignal();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('cleanup failed');
      },
      { flavour: asyncio },
    );
    const accepting = runner.accept().then(unexpected, (err: unknown) => err as PayloadFailure);
    await runner.whenRunning();
    await runner.shutdown();
    const failure = await accepting;
    expect(failure.payload.name).toBe('cleanupFails');
    expect((failure.cause as Error).message).toBe('cleanup failed');
  });

  it('trio: a finally block that throws while halted is a failure', async () => {
    const { runner } = recordingRunner();
    runner.adopt(
      function* haltFails() {
        try {
          yield* suspend();
        } finally {
          yield* effectionSleep(1);
          throw new Error('halt failed');
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept().then(unexpected, (err: unknown) => err as PayloadFailure);
    await runner.whenRunning();
    await runner.shutdown();
    const failure = await accepting;
    expect(failure.payload.name).toBe('haltFails');
    expect((failure.cause as Error).message).toBe('halt failed');
  });

  it('threading: a result that cannot travel back (a function, a symbol) is an error, fatal when adopted', async () => {
    const { runner } = recordingRunner();
    const accepting = runner.accept().then(unexpected, (err: unknown) => err as PayloadFailure);
    await expect(
      runner.execute(
        function givesFunction() {
          return () => 1;
        },
        { flavour: threading },
      ),
    ).rejects.toThrow(/^the result of threading payload 'givesFunction' cannot be sent back to the main thread/);
    await expect(
      runner.execute(
        function givesSymbol() {
          return Symbol('local');
        },
        { flavour: threading },
      ),
    ).rejects.toThrow(/^the result of threading payload 'givesSymbol' cannot be sent back to the main thread/);
    runner.adopt(
      function givesSymbol() {
        return Symbol('local');
      },
      { flavour: threading },
    );
    const failure = await accepting;
    expect(failure.payload.name).toBe('givesSymbol');
    expect((failure.cause as Error).message).toMatch(/^the result of threading payload 'givesSymbol' cannot be sent back/);
  });

  it('asyncio and trio: adopt() and execute() while being cancelled are refused with RunnerStopping, which stops the payload as cancelled, not failed', async () => {
    for (const flavour of ['asyncio', 'trio'] as const) {
      for (const call of ['adopt', 'execute'] as const) {
        const { runner, logged } = recordingRunner();
        const refused: unknown[] = [];
        const tooLate = () => {
          try {
            if (call === 'adopt') runner.adopt(async () => {}, { flavour: asyncio, name: 'tooLate' });
            else
              return runner
                .execute(async () => {}, { flavour: asyncio, name: 'tooLate' })
                .catch((err: unknown) => (refused.push(err), Promise.reject(err)));
          } catch (err) {
            refused.push(err);
            throw err;
          }
        };
        if (flavour === 'asyncio') {
          runner.adopt(
            async function poller() {
              const signal = currentSignal();
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
              await tooLate();
            },
            { flavour: asyncio },
          );
        } else {
          runner.adopt(
            function* poller() {
              try {
                yield* suspend();
              } finally {
                yield* callOperation(async () => {
                  await tooLate();
                });
              }
            },
            { flavour: trio },
          );
        }
        const accepting = runner.accept();
        await runner.whenRunning();
        await runner.shutdown();
        await expect(accepting).resolves.toBeUndefined();
        expect(refused).toHaveLength(1);
        expect(refused[0]).toBeInstanceOf(RunnerStopping);
        expect((refused[0] as Error).message).toBe(`${call}() of payload 'tooLate' was refused: the runner is shutting down`);
        expect(logged.filter((entry) => entry.level === 'error')).toEqual([]);
      }
    }
  });

  it.each([
    ['asyncio', 10_000],
    ['trio', 10_000],
    ['threading', 1_000],
  ] as const)(
    'a flood of adopts into %s from one payload: all %d run to their end',
    async (target, count) => {
      const { runner } = recordingRunner({ flavours: { threading: { maxWorkers: 2 } } });
      let done = 0;
      const counter = new Int32Array(new SharedArrayBuffer(4));
      runner.adopt(
        async function flooder() {
          for (let i = 0; i < count; i++) {
            if (target === 'asyncio') runner.adopt(async () => void done++, { flavour: asyncio });
            else if (target === 'trio')
              runner.adopt(
                function* () {
                  done++;
                },
                { flavour: trio },
              );
            else runner.adopt((shared: Int32Array) => void Atomics.add(shared, 0, 1), { flavour: threading, args: [counter] });
          }
        },
        { flavour: asyncio },
      );
      const accepting = runner.accept();
      await runner.whenRunning();
      const finished = () => (target === 'threading' ? Atomics.load(counter, 0) : done) === count;
      const end = Date.now() + 60_000;
      while (!finished() && Date.now() < end) await sleep(20);
      // Let the last ones be taken out of the tree.
      while (runner.tree().flavours.some((f) => f.payloads.length > 0) && Date.now() < end) await sleep(20);
      expect(target === 'threading' ? Atomics.load(counter, 0) : done).toBe(count);
      expect(runner.tree().flavours.flatMap((f) => f.payloads)).toEqual([]);
      await runner.shutdown();
      await expect(accepting).resolves.toBeUndefined();
    },
    90_000,
  );
});
