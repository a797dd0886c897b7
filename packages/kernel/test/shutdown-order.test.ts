import { describe, expect, it } from '@jest/globals';
import { service } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const forever = () => new Promise<void>(() => {});

describe('shutdown order and timeouts', () => {
  it('stops services newest first, one at a time, before closing the runners', async () => {
    const events: string[] = [];
    const ordered = inlineFlavour({ name: 'order-inline', events, cancellable: true });
    const unit = (name: string) =>
      service({ flavour: ordered, name })(
        class {
          run() {
            return forever();
          }
        },
      );
    const { runner } = testRunner();
    const accepting = runner.accept();
    const units = [];
    for (const name of ['db', 'cache', 'web']) {
      units.push(new (unit(name))());
      await tick();
    }
    runner.adopt(forever, { flavour: ordered, name: 'plain' });
    await tick();
    events.length = 0;
    await runner.shutdown();
    await accepting;
    // Services one at a time, newest first; then every other payload; then the runner closes.
    expect(events).toEqual(['cancel web', 'cancel cache', 'cancel db', 'cancel plain', 'close']);
    expect(units).toHaveLength(3);
  });

  it('abandons a service that does not stop within its timeout, then goes on with the next', async () => {
    const events: string[] = [];
    const deaf = inlineFlavour({ name: 'deaf-inline', events, cancellable: 'deaf' });
    const { runner, logged } = testRunner({ gracePeriod: 50 });
    const Old = service({ flavour: deaf, name: 'old', shutdownTimeout: 30 })(
      class {
        run() {
          return forever();
        }
      },
    );
    const New = service({ flavour: deaf, name: 'new', shutdownTimeout: 30 })(
      class {
        run() {
          return forever();
        }
      },
    );
    const kept = [new Old()];
    const accepting = runner.accept();
    await tick();
    kept.push(new New());
    await tick();
    events.length = 0;
    await runner.shutdown();
    await accepting;
    // Abandoned services are no longer supervised, so nothing is left to cancel after them.
    expect(events).toEqual(['cancel new', 'cancel old', 'close']);
    expect(logged.map((l) => l.msg)).toEqual([
      expect.stringMatching(/'new' .* did not stop within 30 ms and was abandoned/),
      expect.stringMatching(/'old' .* did not stop within 30 ms and was abandoned/),
    ]);
  });

  it('gives each payload its own shutdown timeout, then abandons it', async () => {
    const stubborn = inlineFlavour({ name: 'timeout-stubborn', cancelOnClose: false });
    const { runner, logged } = testRunner({ gracePeriod: 5000 });
    runner.adopt(forever, { flavour: stubborn, name: 'quick', shutdownTimeout: 20 });
    const slowDone = deferred();
    runner.adopt(() => new Promise((resolve) => setTimeout(resolve, 150)).then(() => slowDone.resolve()), {
      flavour: stubborn,
      name: 'slow',
      shutdownTimeout: 500,
    });
    const accepting = runner.accept();
    await tick();
    const started = Date.now();
    await runner.shutdown();
    await accepting;
    const took = Date.now() - started;
    // 'slow' settles by itself after 150 ms, well inside its 500 ms; the shutdown does not wait for the 5000 ms grace period.
    expect(took).toBeGreaterThanOrEqual(100);
    expect(took).toBeLessThan(4000);
    await slowDone.promise;
    expect(logged.map((l) => l.msg)).toEqual([expect.stringMatching(/'quick' .* did not stop within 20 ms and was abandoned/)]);
  });
});
