/**
 * A flavour whose runner starts only when the test opens its gate, so that a test can look at
 * a runtime that is still starting. Payloads are functions called on the spot.
 */
import { defineFlavour, type PayloadTypes } from '@cobald/kernel';
import { deferred } from '@cobald/test-support';

interface GatedTypes extends PayloadTypes {
  readonly payload: () => unknown;
  readonly args: [];
  readonly result: unknown;
}

export function gatedFlavour() {
  const gate = deferred();
  const flavour = defineFlavour<GatedTypes>({
    name: 'gated',
    version: '0.0.0',
    kernel: '*',
    validate(payload) {
      if (typeof payload !== 'function') throw new TypeError('a gated payload is a function');
    },
    createRunner: () => ({
      start: () => gate.promise,
      run: async (payload) => payload(),
      close: async () => {},
    }),
  });
  return { flavour, open: () => gate.resolve() };
}
