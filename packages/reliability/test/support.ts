/**
 * What the reliability tests share: the three flavours with the same kinds of payloads written
 * for each (one that returns, throws a given value, waits until it is stopped, ignores being
 * stopped), runners that record what they log, child processes for real signals, and the check
 * that nothing of the runtime is left active after a test.
 */
import { currentSignal, type Flavour, type ServiceRunnerOptions } from '@cobald/kernel';
import { runScript, testRunner, type ScriptResult } from '@cobald/test-support';

export { sleep, until, unexpected, type Logged } from '@cobald/test-support';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { suspend } from 'effection';

/** A payload and its arguments, for `adopt(payload, { flavour, args })`. */
export interface Payload {
  readonly payload: any;
  readonly args: unknown[];
}

/** The same behaviours, written for one flavour. */
export interface FlavourKit {
  readonly name: 'asyncio' | 'trio' | 'threading';
  readonly flavour: Flavour<any>;
  /** Ends with `value` (undefined: a clean end). */
  returns(value?: unknown): Payload;
  /** Throws `value`. */
  throws(value: unknown): Payload;
  /** Waits until the runtime stops it, and stops as its flavour expects. */
  waits(): Payload;
  /** Does not stop when asked: ignores its signal, hangs in finally, or spins in its thread. */
  ignoresCancellation(): Payload;
  /** Whether a payload of this flavour runs in the main thread and so can call the runner. */
  readonly inMainThread: boolean;
  /**
   * How many `waits` and `ignoresCancellation` payloads have begun so far, where beginning
   * takes a while (a thread starts); undefined where they begin at once.
   */
  begun?(): number;
}

export const asyncioKit: FlavourKit = {
  name: 'asyncio',
  flavour: asyncio,
  inMainThread: true,
  returns: (value) => ({ payload: async (v: unknown) => v, args: [value] }),
  throws: (value) => ({
    payload: async (v: unknown) => {
      throw v;
    },
    args: [value],
  }),
  waits: () => ({
    payload: async () => {
      const signal = currentSignal();
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    },
    args: [],
  }),
  ignoresCancellation: () => ({ payload: () => new Promise(() => {}), args: [] }),
};

export const trioKit: FlavourKit = {
  name: 'trio',
  flavour: trio,
  inMainThread: true,
  returns: (value) => ({
    payload: function* (v: unknown) {
      return v;
    },
    args: [value],
  }),
  throws: (value) => ({
    payload: function* (v: unknown): Generator<never, never> {
      throw v;
    },
    args: [value],
  }),
  waits: () => ({
    payload: function* () {
      yield* suspend();
    },
    args: [],
  }),
  ignoresCancellation: () => ({
    payload: function* () {
      try {
        yield* suspend();
      } finally {
        yield* suspend();
      }
    },
    args: [],
  }),
};

/** Counts the threading payloads that have begun in their threads. */
const threadingBegun = new Int32Array(new SharedArrayBuffer(4));

export const threadingKit: FlavourKit = {
  name: 'threading',
  flavour: threading,
  inMainThread: false,
  returns: (value) => ({ payload: (v: unknown) => v, args: [value] }),
  throws: (value) => ({
    payload: (v: unknown) => {
      throw v;
    },
    args: [value],
  }),
  // Waits for its signal (currentSignal() in the worker) and stops with its AbortError.
  waits: () => ({
    payload: async (begun?: Int32Array) => {
      const { currentSignal } = await import('@cobald/kernel');
      const signal = currentSignal();
      if (begun) Atomics.add(begun, 0, 1);
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
    args: [threadingBegun],
  }),
  ignoresCancellation: () => ({
    payload: (begun?: Int32Array) => {
      if (begun) Atomics.add(begun, 0, 1);
      for (;;) {}
    },
    args: [threadingBegun],
  }),
  begun: () => Atomics.load(threadingBegun, 0),
};

export const kits: readonly FlavourKit[] = [asyncioKit, trioKit, threadingKit];

/** A runner without signal handlers whose warnings and errors are recorded. */
export const recordingRunner = (options: ServiceRunnerOptions = {}) =>
  testRunner({ gracePeriod: 300, flavours: { threading: { maxWorkers: 2 } }, ...options });

/**
 * The active resources that a runtime could leave behind: worker threads, their message ports,
 * timers, immediates. Jest's own come and go with the test; compare counts against a baseline.
 */
export function runtimeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (/Worker|MessagePort|Timeout|Immediate|Signal/i.test(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** The resources in `now` that are more than in `before`. */
export function leaked(before: Record<string, number>, now: Record<string, number> = runtimeResources()): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(now)) if (count > (before[type] ?? 0)) extra[type] = count - (before[type] ?? 0);
  return extra;
}

/**
 * Wait until nothing of ours is active any more. A terminated worker's resources go away a
 * moment after its exit event, so this waits (a generous bound, only against a hang) rather
 * than looking once.
 */
export async function settledResources(before: Record<string, number>, timeout = 5000): Promise<Record<string, number>> {
  const end = Date.now() + timeout;
  let extra = leaked(before);
  while (Object.keys(extra).length > 0 && Date.now() < end) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    extra = leaked(before);
  }
  return extra;
}

/** Run a fixture script (it imports the built packages) in a child process; kill it after `timeout` ms. */
export const runFixture = (name: string, args: string[] = [], timeout = 20_000): Promise<ScriptResult> =>
  runScript(new URL(`./fixtures/${name}`, import.meta.url), args, { timeout });
