/**
 * A failure while the runtime stops counts as it would have counted outside the stop: one the
 * payload's restart policy would have absorbed is logged and the stop stays graceful; one that
 * would have been fatal (no policy, or its intensity exceeded) fails the runtime.
 */
import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, RestartIntensityExceeded, currentSignal, type AdoptOptions } from '@cobald/kernel';
import { inlineFlavour, type InlineTypes } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour({ name: 'stop-failures-inline', scoped: true, cancelOnClose: false });

/** A payload that fails with a real error (not an AbortError) when the runtime stops it; `early` fails it once first. */
function failsWhenStopped(early = false) {
  let runs = 0;
  return async function flaky(): Promise<void> {
    runs++;
    if (early && runs === 1) throw new Error('flaky run 1 failed');
    const signal = currentSignal();
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('failed while stopping')), { once: true }));
  };
}

async function stopWith(payload: () => Promise<void>, options: Omit<AdoptOptions<typeof inline, []>, 'flavour'>) {
  const { runner, messages } = testRunner();
  runner.adopt(payload, { flavour: inline, ...options } as AdoptOptions<typeof inline, InlineTypes['args']>);
  const accepting = runner.accept();
  await new Promise((resolve) => setTimeout(resolve, 30));
  await runner.shutdown();
  return {
    outcome: await accepting.then(
      () => 'resolved' as const,
      (error: unknown) => error,
    ),
    messages,
  };
}

describe('a failure while the runtime stops', () => {
  it('is logged, and the stop stays graceful, when the restart policy would have restarted it', async () => {
    const { outcome, messages } = await stopWith(failsWhenStopped(), { restart: 'on-failure', backoff: { initial: 1 } });
    expect(outcome).toBe('resolved');
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^payload 'flaky' \(stop-failures-inline, #\d+\) failed while it was stopped, and its restart policy would have restarted it: Error: failed while stopping$/,
      ),
    );
  });

  it('fails the runtime when the payload has no restart policy', async () => {
    const { outcome } = await stopWith(failsWhenStopped(), {});
    expect(outcome).toBeInstanceOf(PayloadFailure);
    expect((outcome as PayloadFailure).cause).toEqual(new Error('failed while stopping'));
  });

  it('fails the runtime when a restart would have exceeded its intensity', async () => {
    const { outcome } = await stopWith(failsWhenStopped(true), {
      restart: 'on-failure',
      intensity: { restarts: 1, within: 60_000 },
      backoff: { initial: 1 },
    });
    expect(outcome).toBeInstanceOf(PayloadFailure);
    const cause = (outcome as PayloadFailure).cause as RestartIntensityExceeded;
    expect(cause).toBeInstanceOf(RestartIntensityExceeded);
    expect(cause.cause).toEqual(new Error('failed while stopping'));
  });
});
