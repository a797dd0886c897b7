import { describe, expect, it } from '@jest/globals';
import { CancelScope, currentSignal } from '@cobald/kernel';

describe('currentSignal and CancelScope', () => {
  it('throws outside a payload, saying where it works', () => {
    expect(() => currentSignal()).toThrow(/outside a payload/);
  });

  it('gives the scope signal inside run(), across awaits', async () => {
    const scope = new CancelScope();
    const signal = await scope.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentSignal();
    }, []);
    expect(signal.aborted).toBe(false);
    const reason = new Error('stop');
    scope.cancel(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('hands out an aborted signal when asked only after cancellation', () => {
    const scope = new CancelScope();
    scope.cancel('late');
    expect(scope.cancelled).toBe(true);
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toBe('late');
  });
});
