import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RunnerNotAccepting, RunnerStopping, type ServiceRunner } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, spawn, suspend, type Operation } from 'effection';
import { quietRunner } from './support.js';

describe('trio execute', () => {
  let runner: ServiceRunner;
  let accepting: Promise<void>;

  beforeEach(() => {
    runner = quietRunner();
    accepting = runner.accept();
  });

  afterEach(async () => {
    await runner.shutdown();
    await accepting;
  });

  it('returns what the operation returns', async () => {
    expect(
      await runner.execute(
        function* () {
          return 'done';
        },
        { flavour: trio },
      ),
    ).toBe('done');
  });

  it('passes the args and waits for yield* sleep()', async () => {
    const started = Date.now();
    const sum = await runner.execute(
      function* (a: number, b: number) {
        yield* sleep(20);
        return a + b;
      },
      { flavour: trio, args: [1, 2] },
    );
    expect(sum).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('runs a plain function that returns an operation, and finds the flavour by name', async () => {
    const later = (value: string): Operation<string> => ({
      *[Symbol.iterator]() {
        yield* sleep(1);
        return value;
      },
    });
    expect(await runner.execute(later, { flavour: trio, args: ['x'] })).toBe('x');
    expect(
      await runner.execute(
        function* () {
          return 7;
        },
        { flavour: 'trio' },
      ),
    ).toBe(7);
  });

  it("rethrows the operation's error", async () => {
    const boom = new Error('boom');
    await expect(
      runner.execute(
        function* () {
          yield* sleep(1);
          throw boom;
        },
        { flavour: trio },
      ),
    ).rejects.toBe(boom);
  });

  it('rethrows a non-Error throwable as it is', async () => {
    await expect(
      runner.execute(
        function* () {
          yield* sleep(1);
          throw 'a string';
        },
        { flavour: trio },
      ),
    ).rejects.toBe('a string');
  });

  it('rethrows the error of a task the operation spawned, and the runner goes on', async () => {
    const boom = new Error('child failed');
    const cleanedUp: string[] = [];
    await expect(
      runner.execute(
        function* () {
          try {
            yield* spawn(function* () {
              yield* sleep(1);
              throw boom;
            });
            yield* suspend();
          } finally {
            cleanedUp.push('parent');
          }
        },
        { flavour: trio },
      ),
    ).rejects.toBe(boom);
    expect(cleanedUp).toEqual(['parent']);
    expect(runner.running).toBe(true);
    expect(
      await runner.execute(
        function* () {
          return 'still running';
        },
        { flavour: trio },
      ),
    ).toBe('still running');
  });

  it('rethrows the error of a spawned task even when the parent waits in its finally block', async () => {
    // The parent is halted by its child's failure and unwinds through a finally that yields:
    // its generator then ends like a normal return, so only the task knows the error.
    const boom = new Error('child failed');
    await expect(
      runner.execute(
        function* () {
          try {
            yield* spawn(function* () {
              yield* sleep(1);
              throw boom;
            });
            yield* suspend();
          } finally {
            yield* sleep(2);
          }
        },
        { flavour: trio },
      ),
    ).rejects.toBe(boom);
  });

  it('refuses an async function with a TypeError that points to asyncio', async () => {
    const payload: unknown = async () => 1;
    await expect(runner.execute(payload as () => Operation<number>, { flavour: trio })).rejects.toThrow(TypeError);
    await expect(runner.execute(payload as () => Operation<number>, { flavour: trio })).rejects.toThrow(/asyncio/);
  });

  it('rejects a plain function that returns a promise, without an unhandled rejection', async () => {
    const payload: unknown = () => Promise.reject(new Error('never seen'));
    const run = runner.execute(payload as () => Operation<number>, { flavour: trio });
    await expect(run).rejects.toThrow(TypeError);
    await expect(run).rejects.toThrow(/generator functions.*asyncio/s);
  });

  it('rejects a function that returns something else', async () => {
    for (const value of [undefined, 5, 'abc', [1, 2]]) {
      const payload: unknown = () => value;
      await expect(runner.execute(payload as () => Operation<number>, { flavour: trio })).rejects.toThrow(
        /instead of an Effection operation/,
      );
    }
  });

  it('refuses a payload that is no function', async () => {
    await expect(runner.execute(42 as unknown as () => Operation<void>, { flavour: trio })).rejects.toThrow(
      new TypeError('a trio payload is a generator function (function*) or a function that returns an Effection operation, got number'),
    );
  });

  it('rejects with RunnerStopping during shutdown', async () => {
    const stopping = runner.shutdown();
    await expect(
      runner.execute(
        function* () {
          return 1;
        },
        { flavour: trio },
      ),
    ).rejects.toBeInstanceOf(RunnerStopping);
    await stopping;
  });

  it('rejects with RunnerNotAccepting after shutdown', async () => {
    await runner.shutdown();
    await accepting;
    await expect(
      runner.execute(
        function* () {
          return 1;
        },
        { flavour: trio },
      ),
    ).rejects.toBeInstanceOf(RunnerNotAccepting);
  });
});
