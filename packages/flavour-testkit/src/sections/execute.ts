/** `execute()`: results and errors reach the caller, and every call settles, even on shutdown. */
import assert from 'node:assert/strict';
import { isCancellation } from '@cobald/kernel';
import { messageOf, nameOf, type Section } from '../section.js';

export const execute: Section = {
  title: 'execute()',
  define({ options, check }) {
    const { payloads, resultOf } = options;

    check('resolves with what the payload returns', async (c) => {
      c.accept();
      const result = await c.within(c.execute('returns', payloads.returns('conformance value')), 'execute() to resolve');
      assert.deepEqual(resultOf(result), 'conformance value');
    });

    check('resolves with what a slower payload returns, and runs several at once', async (c) => {
      c.accept();
      const results = await c.within(
        Promise.all([c.execute('slow-1', payloads.returnsAfter(40, 'first')), c.execute('slow-2', payloads.returnsAfter(20, 'second'))]),
        'two execute() calls to resolve',
      );
      assert.deepEqual(results.map(resultOf), ['first', 'second']);
    });

    check("rejects with the payload's error, and the runner runs on", async (c) => {
      c.accept();
      const error = await c.within(
        c.execute('throws', payloads.throws('conformance failure')).then(
          (value) => assert.fail(`execute() resolved with ${String(value)}, expected the payload's error`),
          (err: unknown) => err,
        ),
        'execute() to reject',
      );
      assert.ok(error instanceof Error || typeof error === 'object', `expected an error object, got ${String(error)}`);
      assert.match(messageOf(error), /conformance failure/);
      assert.equal(isCancellation(error), false, 'a failure is not a cancellation');
      assert.equal(c.runner.running, true, 'a failing execute() must never stop the runner');
      assert.deepEqual(
        resultOf(await c.within(c.execute('after', payloads.returns('still running')), 'execute() after a failure')),
        'still running',
      );
      await c.shutdownCleanly(); // an execute() failure is its caller's, not the runtime's
    });

    check('refuses payloads the flavour cannot run with a TypeError, before running anything', async (c) => {
      c.accept();
      for (const invalid of options.invalidPayloads) {
        assert.throws(
          () => c.runner.adopt(invalid as never, { flavour: options.flavour, name: c.name('invalid') }),
          (error: unknown) => nameOf(error) === 'TypeError' && messageOf(error).length > 0,
          `adopt(${String(invalid)}) must throw a TypeError that says what is expected`,
        );
        const refused = await c.within(
          c.runner.execute(invalid as never, { flavour: options.flavour, name: c.name('invalid') }).then(
            () => undefined,
            (error: unknown) => error,
          ),
          'execute() of an invalid payload to settle',
        );
        assert.equal(nameOf(refused), 'TypeError', `execute(${String(invalid)}) must reject with a TypeError, got ${String(refused)}`);
      }
      assert.equal(c.eventsOf('invalid').length, 0, 'an invalid payload never starts');
      assert.equal(c.runner.running, true);
    });

    check('rejects with PayloadCancelled when the runtime stops under the payload', async (c) => {
      c.accept();
      const pending = c.execute('waits', payloads.waitsForCancel(10, c.readyFile('waits'))).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await c.running('waits');
      await c.shutdownCleanly();
      const settled = await c.within(pending, 'execute() to settle');
      assert.ok('error' in settled, 'execute() must reject when the runtime stops under its payload');
      assert.ok(isCancellation(settled.error), `execute() must reject with PayloadCancelled, got ${String(settled.error)}`);
      assert.equal(c.ended('waits')?.state, 'cancelled');
    });

    check(
      'settles even when its payload ignores cancellation',
      async (c) => {
        c.accept();
        const pending = c.execute('deaf', payloads.ignoresCancel(c.readyFile('deaf'))).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        await c.running('deaf');
        await c.shutdownCleanly();
        const settled = await c.within(pending, 'execute() of a payload that ignores cancellation to settle');
        assert.ok('error' in settled, `execute() resolved with ${String((settled as { value: unknown }).value)} although it was stopped`);
        assert.ok(['cancelled', 'abandoned'].includes(c.ended('deaf')?.state ?? ''), `ended as ${c.ended('deaf')?.state}`);
      },
      { gracePeriod: 100 },
    );
  },
};
