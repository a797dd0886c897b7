import { describe, expect, it } from '@jest/globals';
import { OrphanedReturn, PayloadFailure, RunnerStopping } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour();

describe('adopt', () => {
  it('queues payloads adopted before accept() and runs them all once it starts', async () => {
    const { runner } = testRunner();
    const ran: string[] = [];
    runner.adopt(() => void ran.push('a'), { flavour: inline });
    runner.adopt((x: string) => void ran.push(x), { flavour: inline, args: ['b'] });
    expect(ran).toEqual([]);
    const accepting = runner.accept();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toEqual(['a', 'b']);
    await runner.shutdown();
    await accepting;
  });

  it('runs payloads adopted while accepting right away', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const ran = deferred<number>();
    runner.adopt((n: number) => void ran.resolve(n), { flavour: inline, args: [7] });
    expect(await ran.promise).toBe(7);
    await runner.shutdown();
    await accepting;
  });

  it('makes a failing payload fatal: accept() rejects with its error as cause and names it', async () => {
    const { runner } = testRunner();
    const boom = new Error('boom');
    const sleeper = deferred();
    runner.adopt(() => sleeper.promise, { flavour: inline, name: 'sleeper' });
    runner.adopt(
      async function explode() {
        throw boom;
      },
      { flavour: inline },
    );
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.cause).toBe(boom);
    expect(error.payload).toMatchObject({ name: 'explode', flavour: 'inline' });
    expect(error.message).toMatch(/payload 'explode' \(inline, #\d+\) failed.*Error: boom/);
    expect(runner.running).toBe(false);
  });

  it('makes a returned value fatal as an OrphanedReturn naming the payload and value', async () => {
    const { runner } = testRunner();
    runner.adopt(() => 42, { flavour: inline, name: 'answer' });
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.cause).toBeInstanceOf(OrphanedReturn);
    const orphan = error.cause as OrphanedReturn;
    expect(orphan.value).toBe(42);
    expect(orphan.message).toMatch(/payload 'answer' \(inline, #\d+\) returned 42/);
  });

  it('reports a thrown non-Error value as the cause', async () => {
    const { runner } = testRunner();
    runner.adopt(
      () => {
        throw 'plain string';
      },
      { flavour: inline },
    );
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error.cause).toBe('plain string');
    expect(error.message).toMatch(/non-Error value thrown: 'plain string'/);
  });

  it('keeps the first failure as the cause and logs later ones', async () => {
    const { runner, logged } = testRunner();
    runner.adopt(
      () => {
        throw new Error('first');
      },
      { flavour: inline },
    );
    runner.adopt(
      () => {
        throw new Error('second');
      },
      { flavour: inline },
    );
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect((error.cause as Error).message).toBe('first');
    expect(logged.some(({ level, msg }) => level === 'error' && msg.includes('second'))).toBe(true);
  });

  it('refuses adopt() while the runner shuts down', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = runner.shutdown();
    expect(() => runner.adopt(() => undefined, { flavour: inline, name: 'late' })).toThrow(RunnerStopping);
    expect(() => runner.adopt(() => undefined, { flavour: inline, name: 'late' })).toThrow(/adopt\(\) of payload 'late' was refused/);
    await stopping;
    await accepting;
  });
});
