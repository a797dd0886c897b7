/** The kit's entry point: one `describe` block per part of the contract, in the author's test runner. */
import { Check } from './check.js';
import { defaultService } from './default-service.js';
import { resolveOptions, type ConformanceOptions } from './options.js';
import type { Kit } from './section.js';
import { sectionNames, sections } from './sections.js';
import type { Flavour } from '@cobald/kernel';

/**
 * Run the kernel's whole flavour contract against `flavour`, with the test runner whose
 * `describe` and `it` you pass: results and errors of `execute()`, failures and `OrphanedReturn`
 * of `adopt()`, services, restart policies, shutdown order and timeouts, the diagnostics
 * channels, registration by name, and supervision trees. Each check runs a real `ServiceRunner` (without signal
 * handlers) and fails with a message that says what the contract expects; assertions use
 * `node:assert`, so the kit works under jest, vitest and `node:test` alike. Call it at the top
 * level of a test file; it registers tests, it does not run them.
 *
 * @example
 * import { describe, it } from 'node:test'; // or from '@jest/globals', or 'vitest'
 * import { writeFileSync } from 'node:fs';
 * import { setTimeout as delay } from 'node:timers/promises';
 * import { currentSignal } from '@cobald/kernel';
 * import { describeConformance } from '@cobald/flavour-testkit';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * describeConformance({
 *   describe,
 *   it,
 *   flavour: asyncio,
 *   payloads: {
 *     returns: (value) => ({ payload: async () => value }),
 *     returnsAfter: (ms, value) => ({ payload: async () => { await delay(ms); return value; } }),
 *     completes: () => ({ payload: async () => {} }),
 *     throws: (message) => ({ payload: async () => { throw new Error(message); } }),
 *     failsTimes: (failures) => {
 *       let runs = 0;
 *       return { payload: async () => { if (++runs <= failures) throw new Error(`failure ${runs}`); } };
 *     },
 *     waitsForCancel: (cleanupMs, readyFile) => ({
 *       payload: async () => {
 *         writeFileSync(readyFile, '');
 *         try {
 *           await delay(1e9, undefined, { signal: currentSignal() });
 *         } finally {
 *           await delay(cleanupMs); // then the AbortError: a cancellation
 *         }
 *       },
 *     }),
 *     ignoresCancel: (readyFile) => ({
 *       payload: () => {
 *         writeFileSync(readyFile, '');
 *         return new Promise(() => {});
 *       },
 *     }),
 *   },
 * });
 */
export function describeConformance<F extends Flavour>(options: ConformanceOptions<F>): void {
  const resolved = resolveOptions(options as unknown as ConformanceOptions, { service: defaultService, sections: sectionNames });
  const { describe, it, timeout } = resolved;
  const kit: Kit = {
    options: resolved,
    check(title, body, runner) {
      // The runner's own limit is a little longer than the kit's, so the kit's message wins.
      it(
        title,
        async () => {
          const check = new Check(resolved, runner);
          let failed = true;
          try {
            await body(check);
            failed = false;
          } finally {
            // A check that failed reports its own error; one that passed must also clean up.
            await check.dispose().catch((error: unknown) => {
              if (!failed) throw error;
            });
          }
        },
        timeout * 3 + 10_000,
      );
    },
  };
  describe(`flavour '${resolved.flavour.name}' conforms to the cobald kernel's contract`, () => {
    for (const name of resolved.sections) {
      const section = sections[name];
      describe(section.title, () => section.define(kit));
    }
  });
}
