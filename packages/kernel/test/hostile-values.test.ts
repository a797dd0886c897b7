/**
 * What payloads, flavours and loggers hand the kernel is not always well-behaved: an error that
 * throws when it is looked at, a logger that throws, a runner whose run() returns no promise, an
 * execute that waits for a stuck one. Each case found by breaking the packed packages from
 * outside; in each, the failure is still reported, named after the right payload, and the
 * runtime still stops in order.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { PayloadFailure, ServiceRunner, defineFlavour, type Logger } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const scoped = inlineFlavour({ name: 'inline-hostile', scoped: true, cancelOnClose: false });

/** A thrown value that throws on every look: its prototype, `in`, any property. */
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

const failureOf = (accepting: Promise<void>) =>
  accepting.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('hostile values', () => {
  it('a thrown proxy whose traps throw fails its adopted payload, named, and the runtime stops gracefully', async () => {
    const { runner, messages } = testRunner();
    runner.adopt(
      async function hostilePayload() {
        await null;
        throw hostile();
      },
      { flavour: scoped },
    );
    const failure = await failureOf(runner.accept());
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect((failure as PayloadFailure).payload.name).toBe('hostilePayload');
    expect(messages[0]).toMatch(
      /^payload 'hostilePayload' \(inline-hostile, #\d+\) failed, so the runtime stopped: non-Error value thrown: /,
    );
  });

  it('an execute() that throws such a proxy rejects with it, and the runtime keeps running', async () => {
    const { runner, messages } = testRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    const thrown = hostile();
    await expect(
      runner.execute(
        async () => {
          throw thrown;
        },
        { flavour: scoped },
      ),
    ).rejects.toBe(thrown);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(messages).toEqual([]);
  });

  it('a logger that throws neither hides the failure from accept() nor stops the runtime from stopping', async () => {
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const broken = () => {
        throw new Error('log sink broke');
      };
      const logger: Logger = { error: broken, warn: broken, info: broken, debug: broken };
      const runner = new ServiceRunner({ logger, handleSignals: false, gracePeriod: 200 });
      let cleanedUp = false;
      runner.adopt(
        async function job() {
          try {
            throw new Error('job failed');
          } finally {
            cleanedUp = true;
          }
        },
        { flavour: scoped },
      );
      const failure = (await failureOf(runner.accept())) as PayloadFailure;
      expect(failure).toBeInstanceOf(PayloadFailure);
      expect(failure.payload.name).toBe('job');
      expect(cleanedUp).toBe(true);
      expect(emitted.mock.calls.map(([message]) => message)).toContain(
        `the logger failed (log sink broke) to log: payload 'job' (inline-hostile, #${failure.payload.id}) failed, so the runtime stopped: Error: job failed`,
      );
    } finally {
      emitted.mockRestore();
    }
  });

  it("a flavour runner whose run() returns no promise fails that payload with a TypeError naming the flavour's bug", async () => {
    const sloppy = defineFlavour<{ payload: () => unknown; args: []; result: unknown; input: unknown }>({
      name: 'sloppy',
      version: '0.0.0',
      kernel: '*',
      validate() {},
      createRunner: () => ({
        run: () => 42 as unknown as Promise<unknown>,
        close: async () => {},
      }),
    });
    const { runner } = testRunner();
    runner.adopt(() => undefined, { flavour: sloppy, name: 'victim' });
    const failure = (await failureOf(runner.accept())) as PayloadFailure;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.payload.name).toBe('victim');
    expect(String((failure.cause as Error).message)).toMatch(
      /^the sloppy flavour's runner returned 42 from run\(\) for payload 'victim' instead of a promise/,
    );
  });
});

describe('an execute that waits for a stuck execute', () => {
  it('is not blamed: the stuck one is abandoned, with the warning, and the restart waits for it', async () => {
    const { runner, warnings } = testRunner({ gracePeriod: 100 });
    const steps: string[] = [];
    let runs = 0;
    runner.adopt(
      async function top() {
        if (++runs > 1) {
          steps.push('second run');
          await runner.shutdown();
          return;
        }
        void runner
          .execute(
            async function inner() {
              await runner
                .execute(() => new Promise(() => {}), { flavour: scoped, name: 'stuck' })
                .catch((error: unknown) => {
                  steps.push(`stuck: ${(error as Error).name}`);
                });
            },
            { flavour: scoped },
          )
          .then(() => steps.push('inner settled'));
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('restart top');
      },
      { flavour: scoped, restart: 'on-failure', backoff: { initial: 1 } },
    );
    await runner.accept();
    expect(steps).toEqual(['stuck: PayloadAbandoned', 'inner settled', 'second run']);
    expect(warnings.filter((w) => w.includes('did not stop'))).toEqual([
      expect.stringMatching(/^payload 'stuck' \(inline-hostile, #\d+\) did not stop within 100 ms and was abandoned$/),
    ]);
    const ended = runner.tree().ended;
    expect(ended.find((p) => p.name === 'inner')?.state).toBe('done');
    expect(ended.find((p) => p.name === 'stuck')?.state).toBe('abandoned');
  });
});
