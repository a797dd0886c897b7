/**
 * A flavour runner whose start() never finishes: shutdown() must still settle (the payloads
 * waiting on that runner are abandoned after the grace period and logged), and an execute()
 * waiting for it rejects, instead of everything hanging on the start.
 */
import { describe, expect, it } from '@jest/globals';
import { RunnerStopping, defineFlavour, type PayloadTypes } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

interface HungTypes extends PayloadTypes {
  readonly payload: () => unknown;
  readonly args: [];
  readonly result: unknown;
}

const hung = defineFlavour<HungTypes>({
  name: 'hung-start',
  version: '0.0.0',
  kernel: '*',
  validate() {},
  createRunner: () => ({ start: () => new Promise<void>(() => {}), run: (payload) => Promise.resolve(payload()), close: async () => {} }),
});
const inline = inlineFlavour();

describe('a flavour runner that never finishes starting', () => {
  it('does not hold up shutdown(): its queued payload is abandoned and logged, the others stop', async () => {
    const { runner, logged } = testRunner({ gracePeriod: 100 });
    const ran: string[] = [];
    runner.adopt(() => void ran.push('on the hung runner'), { flavour: hung, name: 'waitsForever' });
    runner.adopt(() => new Promise<void>(() => void ran.push('inline')), { flavour: inline, name: 'inlinePayload' });
    const accepting = runner.accept();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(ran).not.toContain('on the hung runner');
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/^payload 'waitsForever' \(hung-start, #\d+\) did not stop within 100 ms and was abandoned$/),
      }),
    );
  });

  it('rejects an execute() that waits for it once the runner stops', async () => {
    const { runner } = testRunner({ gracePeriod: 100 });
    runner.adopt(() => undefined, { flavour: hung, name: 'queued' });
    const accepting = runner.accept();
    const executing = expect(runner.execute(() => 'never', { flavour: hung, name: 'waiting' })).rejects.toBeInstanceOf(RunnerStopping);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await runner.shutdown();
    await executing;
    await accepting;
  });
});
