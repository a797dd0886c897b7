/** The kernel's flavour contract, run by the conformance kit against the asyncio flavour. */
import { describe, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { currentSignal } from '@cobald/kernel';
import { describeConformance } from '@cobald/flavour-testkit';
import { asyncio } from '@cobald/flavour-asyncio';

describeConformance({
  describe,
  it,
  flavour: asyncio,
  register: () => import('@cobald/flavour-asyncio/register'),
  payloads: {
    returns: (value) => ({ payload: async () => value }),
    returnsAfter: (ms, value) => ({
      payload: async () => {
        await delay(ms);
        return value;
      },
    }),
    completes: () => ({ payload: async () => {} }),
    throws: (message) => ({
      payload: async () => {
        throw new Error(message);
      },
    }),
    failsTimes: (failures) => {
      let runs = 0;
      return {
        payload: async () => {
          if (++runs <= failures) throw new Error(`failure ${runs}`);
        },
      };
    },
    waitsForCancel: (cleanupMs, readyFile) => ({
      payload: async () => {
        writeFileSync(readyFile, '');
        try {
          await delay(1e9, undefined, { signal: currentSignal() });
        } finally {
          await delay(cleanupMs); // the AbortError goes on: a cancellation
        }
      },
    }),
    ignoresCancel: (readyFile) => ({
      payload: () => {
        writeFileSync(readyFile, '');
        return new Promise(() => {});
      },
    }),
  },
});
