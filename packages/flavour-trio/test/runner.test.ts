import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, createFlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { trio, type TrioTypes } from '@cobald/flavour-trio';
import { sleep, suspend } from 'effection';

let lastId = 1000;
const context = (name: string): RunContext => ({ id: ++lastId, name, flavour: 'trio', kind: 'execute' });

function startRunner(gracePeriod = 1000): FlavourRunner<TrioTypes> {
  const runner = trio.createRunner(createFlavourHost({ gracePeriod }));
  void runner.start?.(); // synchronous for trio; the contract allows a promise
  return runner;
}

describe('the trio runner', () => {
  it('runs payloads to their result', async () => {
    const runner = startRunner();
    await expect(
      runner.run(
        function* (x: number) {
          yield* sleep(1);
          return x + 1;
        },
        [1],
        context('inc'),
      ),
    ).resolves.toBe(2);
    await runner.close();
  });

  it('after close(), rejects with cancelled(context) and never calls the payload', async () => {
    const runner = startRunner();
    await runner.close();
    let called = false;
    const payload = function* () {
      called = true;
    };
    const outcome = runner.run(
      () => {
        called = true;
        return payload();
      },
      [],
      context('late'),
    );
    await expect(outcome).rejects.toBeInstanceOf(PayloadCancelled);
    await expect(outcome).rejects.toMatchObject({ payload: { name: 'late', flavour: 'trio' } });
    expect(called).toBe(false);
  });

  it('settles each running payload with cancelled(context) on close(), after its finally ran', async () => {
    const runner = startRunner();
    const log: string[] = [];
    const outcomes = ['one', 'two'].map((name) =>
      runner
        .run(
          function* () {
            try {
              yield* suspend();
            } finally {
              yield* sleep(2);
              log.push(name);
            }
          },
          [],
          context(name),
        )
        .then(
          () => 'resolved',
          (error: unknown) => error,
        ),
    );
    await runner.run(
      function* () {
        yield* sleep(1);
      },
      [],
      context('tick'),
    );
    await runner.close();
    expect([...log].sort()).toEqual(['one', 'two']);
    const errors = await Promise.all(outcomes);
    expect(errors[0]).toBeInstanceOf(PayloadCancelled);
    expect(errors).toMatchObject([{ payload: { name: 'one' } }, { payload: { name: 'two' } }]);
  });

  it('close() is idempotent and ends on its own after the grace period when a finally hangs', async () => {
    const runner = startRunner(50);
    const hung = runner.run(
      function* () {
        try {
          yield* suspend();
        } finally {
          yield* suspend();
        }
      },
      [],
      context('hung'),
    );
    await runner.run(
      function* () {
        yield* sleep(1);
      },
      [],
      context('tick'),
    );
    const started = Date.now();
    const closing = runner.close();
    expect(runner.close()).toBe(closing);
    await closing;
    // The grace timer fired here; that close() clears it when the scope closes in time is
    // checked with a long grace period in shutdown.test.ts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    let settled = false;
    void hung.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
  });

  it('closes at once when nothing runs, even if it never started', async () => {
    const runner = trio.createRunner(createFlavourHost({ gracePeriod: 60_000 }));
    await runner.close();
    await expect(
      runner.run(
        function* () {
          return 1;
        },
        [],
        context('never'),
      ),
    ).rejects.toBeInstanceOf(PayloadCancelled);
  });
});
