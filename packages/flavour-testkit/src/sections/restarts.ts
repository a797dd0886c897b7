/**
 * Restart policies (`restart`, `intensity`, `backoff`), applied by the kernel to the flavour's
 * payloads: the same payload runs again, restarts are published and logged, and too many of
 * them escalate.
 */
import assert from 'node:assert/strict';
import { messageOf, nameOf, type Section } from '../section.js';
import { failing, failureOf } from './adopt.js';

const fast = { initial: 1, max: 1 };
const starts = (events: readonly { event: string }[]) => events.filter((event) => event.event === 'start').length;

export const restarts: Section = {
  title: 'restart policies',
  define({ options, check }) {
    const { payloads } = options;

    check("'on-failure' runs a payload that fails twice three times, and the runtime runs on", async (c) => {
      const name = c.adopt('flaky', payloads.failsTimes(2, c.file('flaky-runs')), { restart: 'on-failure', backoff: fast });
      c.accept();
      await c.until(() => c.ended('flaky') !== undefined, 'the payload to end after its restarts');
      assert.equal(c.ended('flaky')?.state, 'done');
      assert.equal(c.ended('flaky')?.restarts, 2, 'a payload that failed twice is restarted twice');
      assert.equal(starts(c.eventsOf('flaky')), 3, 'the same payload ran three times');
      assert.deepEqual(
        c.restarts.map((event) => [event.name, event.flavour, event.restarts]),
        [
          [name, options.flavour.name, 1],
          [name, options.flavour.name, 2],
        ],
      );
      assert.ok(
        c.restarts.every((event) => nameOf(event.reason) !== undefined),
        'each restart carries the error it ended with',
      );
      const warnings = c.logged.filter((record) => record.level === 'warn').map((record) => record.msg);
      assert.equal(warnings.length, 2, `expected a warning per restart, got ${JSON.stringify(warnings)}`);
      assert.match(warnings[0]!, /restart 1 in 1 ms$/);
      assert.equal(c.runner.running, true);
      await c.shutdownCleanly();
    });

    check('too many restarts escalate: accept() rejects with RestartIntensityExceeded as cause', async (c) => {
      c.adopt('crash-loop', payloads.throws('crash'), {
        restart: 'on-failure',
        intensity: { restarts: 1, within: 60_000 },
        backoff: fast,
      });
      c.accept();
      const failure = failureOf(await c.stopped(failing));
      assert.equal(nameOf(failure.cause), 'RestartIntensityExceeded', `got ${String(failure.cause)}`);
      assert.match(messageOf((failure.cause as Error).cause), /crash/, 'its cause is the last error');
      assert.equal(starts(c.eventsOf('crash-loop')), 2);
    });

    check("'always' restarts a payload that ends cleanly until the runtime stops, then never again", async (c) => {
      c.adopt('tick', payloads.completes(), { restart: 'always', backoff: fast, intensity: { restarts: 1000, within: 60_000 } });
      c.accept();
      await c.until(() => starts(c.eventsOf('tick')) >= 3, 'three runs');
      assert.equal(c.runner.running, true);
      await c.shutdownCleanly();
      const after = starts(c.eventsOf('tick'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(starts(c.eventsOf('tick')), after, 'no restart after the runtime stopped');
    });

    check('a restart policy does not restart a payload the runtime cancels', async (c) => {
      c.adopt('waits', payloads.waitsForCancel(5, c.readyFile('waits')), { restart: 'always', backoff: fast });
      c.accept();
      await c.running('waits');
      await c.shutdownCleanly();
      assert.equal(c.ended('waits')?.state, 'cancelled');
      assert.equal(starts(c.eventsOf('waits')), 1);
      assert.deepEqual(c.restarts, []);
    });
  },
};
