/**
 * Ready-made payloads for flavours whose payloads are functions run in this process in the
 * kernel's cancel scope (`host.cancelScope(context).run(payload, args)`), as asyncio's: they
 * find their signal with `currentSignal()`.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { currentSignal } from '@cobald/kernel';
import type { ConformancePayloads } from './options.js';

/**
 * The seven payloads of the kit as async functions.
 *
 * @example
 * describeConformance({ describe, it, flavour: asyncio, payloads: functionPayloads });
 */
export const functionPayloads: ConformancePayloads<(...args: any[]) => unknown> = {
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
        await delay(cleanupMs); // cleaning up; then the AbortError: a cancellation
      }
    },
  }),
  ignoresCancel: (readyFile) => ({
    payload: () => {
      writeFileSync(readyFile, '');
      return new Promise(() => {});
    },
  }),
};
