/** The kernel's flavour contract, run by the conformance kit against the trio flavour. */
import { describe, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { sleep, suspend } from 'effection';
import { describeConformance } from '@cobald/flavour-testkit';
import { trio } from '@cobald/flavour-trio';

describeConformance({
  describe,
  it,
  flavour: trio,
  register: () => import('@cobald/flavour-trio/register'),
  payloads: {
    returns: (value) => ({
      *payload() {
        return value;
      },
    }),
    returnsAfter: (ms, value) => ({
      *payload() {
        yield* sleep(ms);
        return value;
      },
    }),
    completes: () => ({
      *payload() {
        yield* sleep(0);
      },
    }),
    throws: (message) => ({
      *payload() {
        yield* sleep(0);
        throw new Error(message);
      },
    }),
    failsTimes: (failures) => {
      let runs = 0;
      return {
        *payload() {
          yield* sleep(0);
          if (++runs <= failures) throw new Error(`failure ${runs}`);
        },
      };
    },
    waitsForCancel: (cleanupMs, readyFile) => ({
      *payload() {
        writeFileSync(readyFile, '');
        try {
          yield* suspend();
        } finally {
          yield* sleep(cleanupMs);
        }
      },
    }),
    // A finally block that hangs: the runtime must not wait for it beyond its time.
    ignoresCancel: (readyFile) => ({
      *payload() {
        writeFileSync(readyFile, '');
        try {
          yield* suspend();
        } finally {
          yield* suspend();
        }
      },
    }),
  },
});
