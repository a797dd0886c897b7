/**
 * `@service`: every instance's `run()` is adopted once a runner accepts; a failure is fatal, and
 * on shutdown services stop one at a time, newest first (OTP's shutdown order).
 */
import assert from 'node:assert/strict';
import type { Check } from '../check.js';
import type { PayloadRun, ResolvedOptions, ServiceBehaviour } from '../options.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
import { messageOf, type Section } from '../section.js';
import { failing, failureOf } from './adopt.js';

/** Make a service of the given behaviour through the author's (or the default) `service`. */
export function makeService(
  c: Check,
  options: ResolvedOptions,
  label: string,
  behaviour: DistributiveOmit<ServiceBehaviour, 'readyFile'>,
  extra: { readonly shutdownTimeout?: number; readonly byName?: boolean } = {},
): object {
  const { payloads, flavour } = options;
  const readyFile = c.readyFile(label);
  const [full, run]: [ServiceBehaviour, PayloadRun] =
    behaviour.kind === 'waitsForCancel'
      ? [{ ...behaviour, readyFile }, payloads.waitsForCancel(behaviour.cleanupMs, readyFile)]
      : behaviour.kind === 'throws'
        ? [behaviour, payloads.throws(behaviour.message)]
        : [{ ...behaviour, readyFile }, payloads.ignoresCancel(readyFile)];
  return options.service({
    name: c.name(label),
    flavour: extra.byName ? flavour.name : flavour,
    ...(extra.shutdownTimeout === undefined ? {} : { shutdownTimeout: extra.shutdownTimeout }),
    behaviour: full,
    run,
  });
}

export const services: Section = {
  title: '@service',
  define({ options, check }) {
    check('services made before and after accept() run, as services, until shutdown() stops them', async (c) => {
      const instances = [makeService(c, options, 'early', { kind: 'waitsForCancel', cleanupMs: 5 })];
      c.accept();
      instances.push(makeService(c, options, 'late', { kind: 'waitsForCancel', cleanupMs: 5 }));
      await c.running('early', 'late');
      assert.ok(c.events.filter((event) => event.event === 'start').every((event) => event.service && event.kind === 'adopt'));
      await c.shutdownCleanly();
      assert.deepEqual([c.ended('early')?.state, c.ended('late')?.state], ['cancelled', 'cancelled']);
      assert.equal(instances.length, 2);
    });

    check('a service that fails stops the runtime; the PayloadFailure names it', async (c) => {
      const instance = makeService(c, options, 'broken', { kind: 'throws', message: 'service failure' });
      c.accept();
      const failure = failureOf(await c.stopped(failing));
      assert.equal(failure.payload.name, c.name('broken'));
      assert.match(messageOf(failure.cause), /service failure/);
      assert.ok(instance);
    });

    check('services stop one at a time, newest first, each after the newer one has cleaned up', async (c) => {
      // The newest takes longest to clean up: stopped all at once, the oldest would end first.
      const instances = [
        makeService(c, options, 'oldest', { kind: 'waitsForCancel', cleanupMs: 1 }),
        makeService(c, options, 'middle', { kind: 'waitsForCancel', cleanupMs: 30 }),
        makeService(c, options, 'newest', { kind: 'waitsForCancel', cleanupMs: 60 }),
      ];
      c.accept();
      await c.running('oldest', 'middle', 'newest');
      await c.shutdownCleanly();
      const ends = c.events.filter((event) => event.event === 'asyncEnd').map((event) => event.name);
      assert.deepEqual(ends, [c.name('newest'), c.name('middle'), c.name('oldest')]);
      assert.equal(instances.length, 3);
    });

    check('a service may name its flavour by the registered name', async (c) => {
      const instance = makeService(c, options, 'by-name', { kind: 'waitsForCancel', cleanupMs: 1 }, { byName: true });
      c.accept();
      await c.running('by-name');
      assert.equal(c.eventsOf('by-name')[0]?.flavour, options.flavour.name);
      await c.shutdownCleanly();
      assert.equal(c.ended('by-name')?.state, 'cancelled');
      assert.ok(instance);
    });
  },
};
