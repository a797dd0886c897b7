import { describe, expect, it } from '@jest/globals';
import { OrphanedReturn, PayloadFailure } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, spawn, suspend, type Operation } from 'effection';
import { deferred, quietRunner } from './support.js';

/** A payload that sleeps until halted and records its cleanup. */
const sleeper = (log: string[], name: string) =>
  function* (): Operation<void> {
    log.push(`${name} started`);
    try {
      yield* suspend();
    } finally {
      log.push(`${name} finally`);
    }
  };

describe('trio adopt', () => {
  it('runs adopted operations with and without args, queued before accept and adopted after', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    const allRan = deferred();
    const record = (entry: string) => {
      log.push(entry);
      if (log.length === 3) allRan.resolve();
    };
    runner.adopt(
      function* () {
        yield* sleep(1);
        record('no args');
      },
      { flavour: trio },
    );
    runner.adopt(
      function* (a: string, b: number) {
        yield* sleep(1);
        record(`args ${a} ${b}`);
      },
      { flavour: trio, args: ['x', 2] },
    );
    const accepting = runner.accept();
    runner.adopt(
      function* () {
        record('after accept');
      },
      { flavour: 'trio' },
    );
    await allRan.promise;
    expect([...log].sort()).toEqual(['after accept', 'args x 2', 'no args']);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('refuses an async function synchronously', () => {
    const runner = quietRunner();
    const payload: unknown = async () => {};
    expect(() => runner.adopt(payload as () => Operation<void>, { flavour: trio })).toThrow(TypeError);
    expect(() => runner.adopt(payload as () => Operation<void>, { flavour: trio })).toThrow(/did you mean the asyncio flavour/);
  });

  it('stops everything when an adopted operation throws; the others are halted and clean up', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    const boom = new Error('boom');
    runner.adopt(sleeper(log, 'a'), { flavour: trio });
    runner.adopt(sleeper(log, 'b'), { flavour: trio });
    runner.adopt(
      function* failing() {
        yield* sleep(5);
        throw boom;
      },
      { flavour: trio },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect((failure as PayloadFailure).cause).toBe(boom);
    expect((failure as PayloadFailure).payload).toMatchObject({ name: 'failing', flavour: 'trio' });
    expect([...log].sort()).toEqual(['a finally', 'a started', 'b finally', 'b started']);
  });

  it('stops everything when an adopted operation returns a value', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    runner.adopt(sleeper(log, 'a'), { flavour: trio });
    runner.adopt(
      function* answer() {
        yield* sleep(1);
        return 42;
      },
      { flavour: trio },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    const cause = (failure as PayloadFailure).cause;
    expect(cause).toBeInstanceOf(OrphanedReturn);
    expect(cause).toMatchObject({ value: 42, payload: { name: 'answer' } });
    expect(log).toEqual(['a started', 'a finally']);
  });

  it('reports the failure of a task an adopted operation spawned as that payload failing', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    const boom = new Error('child');
    runner.adopt(sleeper(log, 'sibling'), { flavour: trio });
    runner.adopt(
      function* parent() {
        yield* spawn(function* () {
          yield* sleep(1);
          throw boom;
        });
        yield* suspend();
      },
      { flavour: trio },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'PayloadFailure', cause: boom, payload: { name: 'parent' } });
    expect(log).toEqual(['sibling started', 'sibling finally']);
  });

  it('keeps the other payloads running while an executed one fails', async () => {
    const runner = quietRunner();
    const log: string[] = [];
    runner.adopt(
      function* ticker() {
        try {
          for (;;) {
            yield* sleep(2);
            log.push('tick');
          }
        } finally {
          log.push('ticker finally');
        }
      },
      { flavour: trio },
    );
    const accepting = runner.accept();
    await expect(
      runner.execute(
        function* () {
          yield* sleep(5);
          throw new Error('only me');
        },
        { flavour: trio },
      ),
    ).rejects.toThrow('only me');
    const ticks = log.length;
    await runner.execute(
      function* () {
        yield* sleep(10);
      },
      { flavour: trio },
    );
    expect(log.length).toBeGreaterThan(ticks);
    expect(log).not.toContain('ticker finally');
    await runner.shutdown();
    await accepting;
    expect(log.at(-1)).toBe('ticker finally');
  });
});

describe('trio payloads that throw what cannot be looked at', () => {
  /** A thrown value whose every trap throws: `instanceof`, `in` and property reads all fail. */
  const hostile = () =>
    new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('getPrototypeOf trap');
        },
        has() {
          throw new Error('has trap');
        },
        get() {
          throw new Error('get trap');
        },
      },
    );

  it('an adopted one fails, named, and accept() settles', async () => {
    const runner = quietRunner();
    runner.adopt(
      function* hostilePayload() {
        throw hostile();
      },
      { flavour: trio },
    );
    const failure = await runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect((failure as PayloadFailure).payload.name).toBe('hostilePayload');
  });

  it('an executed one rejects its execute() with the value', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    const thrown = hostile();
    await expect(
      runner.execute(
        function* () {
          throw thrown;
        },
        { flavour: trio },
      ),
    ).rejects.toBe(thrown);
    await runner.shutdown();
    await accepting;
  });
});
