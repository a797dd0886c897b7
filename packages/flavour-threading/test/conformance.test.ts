/** The kernel's flavour contract, run by the conformance kit against the threading flavour. */
import { describe, it } from '@jest/globals';
import { service } from '@cobald/kernel';
import { describeConformance } from '@cobald/flavour-testkit';
import { threading } from '@cobald/flavour-threading';
// @ts-expect-error: a plain JavaScript fixture, without types.
import { ConformanceService } from './fixtures/conformance-service.mjs';

const Base = ConformanceService as new (behaviour: unknown) => { run(): Promise<void> };
const serviceModule = new URL('./fixtures/conformance-service.mjs', import.meta.url);

// Payloads are sent to worker threads as source text: values go in as arguments, not closures.
describeConformance({
  describe,
  it,
  flavour: threading,
  flavourOptions: { maxWorkers: 2 },
  register: () => import('@cobald/flavour-threading/register'),
  payloads: {
    returns: (value) => ({ payload: (v: string) => v, args: [value] }),
    returnsAfter: (ms, value) => ({
      payload: async (delay: number, v: string) => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        return v;
      },
      args: [ms, value],
    }),
    completes: () => ({ payload: () => {} }),
    throws: (message) => ({
      payload: (text: string) => {
        throw new Error(text);
      },
      args: [message],
    }),
    failsTimes: (failures) => ({
      payload: (limit: number, runs: Int32Array) => {
        const run = Atomics.add(runs, 0, 1) + 1;
        if (run <= limit) throw new Error(`failure ${run}`);
      },
      args: [failures, new Int32Array(new SharedArrayBuffer(4))],
    }),
    // Inside the worker, currentSignal() is the payload's signal: it aborts when the runtime
    // stops the payload, which then has its shutdownTimeout (or the grace period) to return.
    waitsForCancel: (cleanupMs, readyFile) => ({
      payload: async (ready: string, cleanup: number) => {
        const { writeFileSync } = await import('node:fs');
        const { setTimeout: delay } = await import('node:timers/promises');
        const { currentSignal } = await import('@cobald/kernel');
        const signal = currentSignal();
        writeFileSync(ready, '');
        try {
          await delay(1e9, undefined, { signal });
        } finally {
          await delay(cleanup); // then the AbortError: a cancellation
        }
      },
      args: [readyFile, cleanupMs],
    }),
    // A busy loop never sees its signal: only terminating the thread ends it.
    ignoresCancel: (readyFile) => ({
      payload: async (ready: string) => {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(ready, '');
        for (;;);
      },
      args: [readyFile],
    }),
  },
  // A thread cannot receive a class, only import its module: each service is a subclass of the
  // fixture's class, which the worker imports, with the behaviour as its state.
  service: ({ name, flavour, shutdownTimeout, behaviour }) => {
    const options = { flavour, name, module: serviceModule.href, export: 'ConformanceService' };
    const Service = service(shutdownTimeout === undefined ? options : { ...options, shutdownTimeout })(class extends Base {});
    return new Service(behaviour);
  },
});
