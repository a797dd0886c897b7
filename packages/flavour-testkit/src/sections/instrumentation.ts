/**
 * Instrumentation: what a subscriber to the runtime's diagnostics channels sees of the
 * flavour's payloads (`cobald:payload`, `cobald:restart`, `cobald:runtime`).
 */
import assert from 'node:assert/strict';
import { isAbortError, isCancellation } from '@cobald/kernel';
import type { TraceEvent } from '../check.js';
import { messageOf, type Section } from '../section.js';

const shape = (events: readonly TraceEvent[]) => events.map((event) => [event.event, event.kind, event.flavour]);

export const instrumentation: Section = {
  title: 'instrumentation',
  define({ options, check }) {
    const { payloads, flavour } = options;

    check("'cobald:payload' traces an execute from start to asyncEnd, with its result", async (c) => {
      c.accept();
      await c.within(c.execute('traced', payloads.returns('traced value')), 'execute() to resolve');
      const events = c.eventsOf('traced');
      assert.deepEqual(shape(events), [
        ['start', 'execute', flavour.name],
        ['asyncEnd', 'execute', flavour.name],
      ]);
      assert.equal(events[0]!.id, events[1]!.id);
      assert.deepEqual(options.resultOf(events[1]!.result), 'traced value');
      assert.equal(events[0]!.service, false);
      assert.equal(events[0]!.restarts, 0);
    });

    check("'cobald:payload' traces a failing execute with error, then asyncEnd", async (c) => {
      c.accept();
      await c.within(
        c.execute('failing', payloads.throws('traced failure')).catch(() => {}),
        'execute() to reject',
      );
      const events = c.eventsOf('failing');
      assert.deepEqual(shape(events), [
        ['start', 'execute', flavour.name],
        ['error', 'execute', flavour.name],
        ['asyncEnd', 'execute', flavour.name],
      ]);
      assert.match(messageOf(events[1]!.error), /traced failure/);
      assert.equal(events[1]!.stopping, false);
    });

    check("'cobald:payload' traces adopts: a clean end, and a cancelled one with its cancellation as error", async (c) => {
      c.adopt('once', payloads.completes());
      c.adopt('forever', payloads.waitsForCancel(5, c.readyFile('forever')));
      c.accept();
      await c.running('forever');
      await c.until(() => c.eventsOf('once').some((e) => e.event === 'asyncEnd'), 'the first payload to end');
      await c.shutdownCleanly();
      const once = c.eventsOf('once');
      assert.deepEqual(shape(once), [
        ['start', 'adopt', flavour.name],
        ['asyncEnd', 'adopt', flavour.name],
      ]);
      assert.equal(once[1]!.result, undefined);
      const forever = c.eventsOf('forever');
      assert.deepEqual(shape(forever), [
        ['start', 'adopt', flavour.name],
        ['error', 'adopt', flavour.name],
        ['asyncEnd', 'adopt', flavour.name],
      ]);
      const { error, stopping } = forever[1]!;
      assert.equal(stopping, true, 'the runtime had asked it to stop');
      assert.ok(
        isCancellation(error) || isAbortError(error),
        `a cancelled payload ends with PayloadCancelled or an AbortError, got ${String(error)}`,
      );
    });

    check("'cobald:restart' reports each restart with its count and reason", async (c) => {
      const name = c.adopt('flaky', payloads.failsTimes(1, c.file('runs')), { restart: 'on-failure', backoff: { initial: 1, max: 1 } });
      c.accept();
      await c.until(() => c.ended('flaky') !== undefined, 'the payload to end');
      assert.equal(c.restarts.length, 1);
      const [event] = c.restarts;
      assert.deepEqual(
        { name: event!.name, flavour: event!.flavour, restarts: event!.restarts, delay: event!.delay },
        { name, flavour: flavour.name, restarts: 1, delay: 1 },
      );
      assert.ok(event!.reason !== undefined, 'the reason is the error it failed with');
    });

    check("'cobald:runtime' reports running, stopping and stopped", async (c) => {
      c.adopt('waits', payloads.waitsForCancel(1, c.readyFile('waits')));
      c.accept();
      await c.running('waits');
      await c.shutdownCleanly();
      assert.deepEqual(
        c.runtime.map((event) => event.state),
        ['running', 'stopping', 'stopped'],
      );
      assert.equal(c.runtime[2]!.failure, undefined);
    });
  },
};
