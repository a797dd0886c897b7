/**
 * `adopt()`: payloads without a parent. A failure, or a value nobody receives, stops the runtime
 * and is what `accept()` rejects with; a clean end is just an end.
 */
import assert from 'node:assert/strict';
import { PayloadFailure } from '@cobald/kernel';
import { messageOf, nameOf, type Section } from '../section.js';
import type { Outcome } from '../check.js';

/** The `PayloadFailure` that `accept()` rejected with, or a failed assertion. */
export function failureOf(outcome: Outcome): PayloadFailure {
  assert.equal(outcome.ok, false, 'accept() resolved, but it must reject when an adopted payload fails');
  const { error } = outcome as { error: unknown };
  assert.equal(nameOf(error), 'PayloadFailure', `accept() must reject with a PayloadFailure, got ${String(error)}`);
  return error as PayloadFailure;
}

/** What the checks of a failing adopted payload wait for. */
export const failing = 'accept() to reject: an adopted payload failed, so the runtime must stop';

export const adopt: Section = {
  title: 'adopt()',
  define({ options, check }) {
    const { payloads, flavour } = options;

    check('a payload that fails stops the runtime: accept() rejects with PayloadFailure, its error as cause', async (c) => {
      const name = c.adopt('throws', payloads.throws('adopted failure'));
      c.accept();
      const failure = failureOf(await c.stopped(failing));
      assert.match(messageOf(failure.cause), /adopted failure/);
      assert.deepEqual({ name: failure.payload.name, flavour: failure.payload.flavour }, { name, flavour: flavour.name });
      assert.equal(c.ended('throws')?.state, 'failed');
    });

    if (options.adoptedValues === 'orphaned') {
      check('a payload that returns a value fails with OrphanedReturn: nobody receives the value', async (c) => {
        const name = c.adopt('returns', payloads.returns('orphaned value'));
        c.accept();
        const failure = failureOf(await c.stopped(failing));
        assert.equal(failure.payload.name, name);
        assert.equal(nameOf(failure.cause), 'OrphanedReturn', `the cause must be an OrphanedReturn, got ${String(failure.cause)}`);
        assert.deepEqual(options.resultOf((failure.cause as { value: unknown }).value), 'orphaned value');
      });
    } else {
      check('a payload that returns ends cleanly: the flavour discards adopted results', async (c) => {
        c.adopt('returns', payloads.returns('discarded value'));
        c.accept();
        await c.until(() => c.ended('returns') !== undefined, 'the payload to end');
        assert.equal(c.ended('returns')?.state, 'done');
        assert.equal(c.runner.running, true);
        await c.shutdownCleanly();
      });
    }

    check('a payload that ends without a value is done, and the runtime runs on', async (c) => {
      c.adopt('completes', payloads.completes());
      c.accept();
      await c.until(() => c.ended('completes') !== undefined, 'the payload to end');
      assert.equal(c.ended('completes')?.state, 'done');
      assert.equal(c.runner.running, true);
      await c.shutdownCleanly();
    });

    check('payloads adopted before accept() start only once it runs', async (c) => {
      c.adopt('early', payloads.completes());
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(c.events, [], 'nothing runs before accept()');
      c.accept();
      await c.until(() => c.ended('early') !== undefined, 'the payloads to start');
      assert.ok(c.eventsOf('early').some((e) => e.event === 'start'));
    });

    check('a failure stops every other payload, which ends as cancelled, not failed', async (c) => {
      c.adopt('bystander', payloads.waitsForCancel(10, c.readyFile('bystander')));
      c.accept();
      await c.running('bystander');
      const name = c.adopt('throws', payloads.throws('first failure'));
      const failure = failureOf(await c.stopped(failing));
      assert.equal(failure.payload.name, name, 'accept() blames the payload that failed');
      assert.equal(c.ended('bystander')?.state, 'cancelled');
      const bystander = c.name('bystander');
      const blamed = c.logged.filter((record) => record.msg.includes(bystander));
      assert.deepEqual(blamed, [], 'a cancelled bystander is neither failed nor logged');
    });

    check('shutdown() cancels a running payload; accept() resolves', async (c) => {
      c.adopt('waits', payloads.waitsForCancel(10, c.readyFile('waits')));
      c.accept();
      await c.running('waits');
      await c.shutdownCleanly();
      assert.equal(c.ended('waits')?.state, 'cancelled');
      assert.deepEqual(c.logged, []);
    });
  },
};
