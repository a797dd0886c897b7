/**
 * A flavour that ends a payload itself once its time to stop is up (threading terminates the
 * payload's thread) and then reports it cancelled is never ahead of the kernel: the kernel's
 * time starts before it asks the flavour to cancel, so the payload is reported abandoned, with
 * the warning, however the two timers fall on the clock.
 */
import { describe, expect, it } from '@jest/globals';
import { cancelled, defineFlavour, supervisor, type PayloadTypes, type RunContext, type ServiceRunner } from '@cobald/kernel';
import { testRunner } from './support/runner.js';

interface CutTypes extends PayloadTypes {
  readonly payload: () => unknown;
  readonly args: [];
  readonly result: unknown;
}

/** What the runner did, in order: `run <name>`, `cancel <name>`, `cut <name>` (unless closed before). */
const events: string[] = [];

/** Payloads that ignore their cancellation; the runner cuts each short after its shutdownTimeout. */
const cutting = defineFlavour<CutTypes>({
  name: 'cuts-short',
  version: '0.0.0',
  kernel: '*',
  validate(payload) {
    if (typeof payload !== 'function') throw new TypeError('a cuts-short payload is a function');
  },
  createRunner(host) {
    const running = new Map<RunContext, (error: unknown) => void>();
    const timers = new Set<NodeJS.Timeout>();
    return {
      run(_payload, _args, context) {
        events.push(`run ${context.name}`);
        return new Promise((_, reject) => running.set(context, reject));
      },
      cancel(context) {
        events.push(`cancel ${context.name}`);
        const timer = setTimeout(() => {
          events.push(`cut ${context.name}`);
          running.get(context)?.(cancelled(context));
        }, context.shutdownTimeout ?? host.gracePeriod);
        timers.add(timer);
      },
      async close() {
        timers.forEach(clearTimeout);
      },
    };
  },
});

const ignoresItsStop = () => new Promise(() => {});

/** Accept, stop once the payload 'stubborn' runs, and check that the runner was asked to cancel it. */
async function stopOnceRunning(runner: ServiceRunner): Promise<void> {
  const accepting = runner.accept();
  while (!events.includes('run stubborn')) await new Promise((resolve) => setTimeout(resolve, 1));
  await runner.shutdown();
  await accepting;
  expect(events.splice(0).slice(0, 2)).toEqual(['run stubborn', 'cancel stubborn']);
}

describe('a payload its flavour cut short when its time to stop was up', () => {
  it('is abandoned, with the warning, when the runtime stops under it', async () => {
    const { runner, messages } = testRunner({ gracePeriod: 5000 });
    runner.adopt(ignoresItsStop, { flavour: cutting, name: 'stubborn', shutdownTimeout: 40 });
    await stopOnceRunning(runner);
    expect(messages).toEqual([
      expect.stringMatching(/^payload 'stubborn' \(cuts-short, #\d+\) did not stop within 40 ms and was abandoned$/),
    ]);
  });

  it('is abandoned, with the warning, when its supervisor stops it', async () => {
    const { runner, messages } = testRunner({ gracePeriod: 5000 });
    runner.adopt(
      supervisor({ name: 'sup', children: [{ name: 'stubborn', payload: ignoresItsStop, flavour: cutting, shutdownTimeout: 40 }] }),
    );
    await stopOnceRunning(runner);
    expect(messages).toEqual([
      expect.stringMatching(/^child 'stubborn' \(cuts-short, #\d+\) of supervisor 'sup' did not stop within 40 ms and was abandoned$/),
    ]);
  });
});
