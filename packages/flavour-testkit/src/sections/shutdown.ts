/**
 * Shutdown timeouts: a payload gets its own `shutdownTimeout`, or the runner's grace period, to
 * stop; then the runtime goes on without it. A payload that ignores cancellation never holds
 * up `shutdown()` beyond that: the flavour stops it by force, or the kernel abandons it. Once
 * stopped, the flavour's runner is closed, and nothing of the flavour may keep the process alive.
 */
import assert from 'node:assert/strict';
import { pause, type Check } from '../check.js';
import { ResourceWatch } from '../resources.js';
import type { Section } from '../section.js';
import { makeService } from './services.js';

/** Check that `label` ended as stopped by force or abandoned after `timeout`, and nothing else was logged. */
function stoppedOrAbandoned(c: Check, label: string, timeout: number): void {
  const state = c.ended(label)?.state;
  assert.ok(state === 'cancelled' || state === 'abandoned', `it ended as ${String(state)}, expected cancelled or abandoned`);
  const expected = state === 'abandoned' ? [`payload '${c.name(label)}'`, `did not stop within ${timeout} ms and was abandoned`] : [];
  const messages = c.logged.map((record) => record.msg);
  if (state === 'abandoned') {
    assert.equal(messages.length, 1, `expected one warning, got ${JSON.stringify(messages)}`);
    for (const part of expected) assert.ok(messages[0]!.includes(part), `the warning '${messages[0]}' must say ${part}`);
  } else {
    assert.deepEqual(messages, []);
  }
}

export const shutdown: Section = {
  title: 'shutdown',
  define({ options, check }) {
    const { payloads } = options;
    // With a grace period beyond the check's time limit, these pass only if neither the kernel
    // nor the flavour waits for the payload longer than its own shutdownTimeout.
    const forever = options.timeout + 5000;

    check(
      'an adopted payload that ignores cancellation holds up shutdown() no longer than its shutdownTimeout',
      async (c) => {
        c.adopt('deaf', payloads.ignoresCancel(c.readyFile('deaf')), { shutdownTimeout: 50 });
        c.accept();
        await c.running('deaf');
        await c.shutdownCleanly();
        stoppedOrAbandoned(c, 'deaf', 50);
      },
      { gracePeriod: forever },
    );

    check(
      'a service that ignores cancellation holds up shutdown() no longer than its shutdownTimeout',
      async (c) => {
        const instance = makeService(c, options, 'deaf-service', { kind: 'ignoresCancel' }, { shutdownTimeout: 50 });
        c.accept();
        await c.running('deaf-service');
        await c.shutdownCleanly();
        stoppedOrAbandoned(c, 'deaf-service', 50);
        assert.ok(instance);
      },
      { gracePeriod: forever },
    );

    check(
      "without a shutdownTimeout, the runner's grace period applies",
      async (c) => {
        c.adopt('deaf', payloads.ignoresCancel(c.readyFile('deaf')));
        c.accept();
        await c.running('deaf');
        await c.shutdownCleanly();
        stoppedOrAbandoned(c, 'deaf', 100);
      },
      { gracePeriod: 100 },
    );

    check(
      'a payload that cleans up within its time is waited for, not abandoned',
      async (c) => {
        c.adopt('tidy', payloads.waitsForCancel(50, c.readyFile('tidy')));
        c.accept();
        await c.running('tidy');
        await c.shutdownCleanly();
        assert.equal(c.ended('tidy')?.state, 'cancelled');
        assert.deepEqual(c.logged, []);
      },
      { gracePeriod: 5000 },
    );

    check('a shutdown while payloads of every kind run stops them all and reports nothing', async (c) => {
      c.adopt('waits', payloads.waitsForCancel(5, c.readyFile('waits')));
      const instance = makeService(c, options, 'service', { kind: 'waitsForCancel', cleanupMs: 5 });
      c.accept();
      const executing = c.execute('executing', payloads.waitsForCancel(5, c.readyFile('executing'))).catch((error: unknown) => error);
      await c.running('waits', 'service', 'executing');
      await c.shutdownCleanly();
      assert.equal(c.runner.running, false);
      for (const label of ['waits', 'service', 'executing']) assert.equal(c.ended(label)?.state, 'cancelled', label);
      await c.within(executing, 'execute() to settle');
      assert.deepEqual(c.logged, []);
      assert.ok(instance);
    });

    check("after the runtime stopped and closed the flavour's runner, nothing of the flavour keeps the process alive", async (c) => {
      // Watched from before the runner runs anything: the test runner's own timers are no leak.
      const watch = new ResourceWatch();
      try {
        c.adopt('waits', payloads.waitsForCancel(0, c.readyFile('waits')));
        c.adopt('completes', payloads.completes());
        c.accept();
        await c.running('waits');
        await c.execute('returns', payloads.returns('now'));
        await c.execute('later', payloads.returnsAfter(5, 'later'));
        await assert.rejects(c.execute('throws', payloads.throws('boom')));
        await c.shutdownCleanly();
        // Handles close, and say so, a moment after close() resolved.
        let left = await watch.left();
        const end = Date.now() + options.timeout;
        while (left.length > 0 && Date.now() < end) {
          await pause(10);
          left = await watch.left();
        }
        assert.deepEqual(
          left,
          [],
          `flavour '${options.flavour.name}' left ${left.join(', ')} keeping the process alive after its runner's close() resolved: ` +
            'after close(), no timer, child process or handle of the flavour may keep the process alive (unref() what must outlive it, stop the rest)',
        );
      } finally {
        watch.stop();
      }
    });
  },
};
