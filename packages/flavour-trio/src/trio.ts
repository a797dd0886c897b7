/**
 * The trio flavour: payloads are Effection operations, usually generator functions. They run
 * in one Effection scope per accepting runner, and shutdown halts them, so their `finally`
 * blocks run, as trio's cancellation does in cobald.
 */
import { defineFlavour, registerFlavour, type PayloadTypes } from '@cobald/kernel';
import type { Operation } from 'effection';
import { TrioRunner } from './runner.js';
import { version } from './version.js';

/**
 * What the trio flavour runs: a function that returns an Effection operation, such as a
 * generator function. Its arguments are the `args` given to `adopt`/`execute`.
 *
 * @example
 * const tick: TrioPayload = function* (interval: number) {
 *   while (true) yield* sleep(interval);
 * };
 */
export type TrioPayload = (...args: any[]) => Operation<unknown>;

/**
 * The payload types of the trio flavour: `execute()` resolves to what the operation returns;
 * a function that returns a promise (an async function) is refused at compile time.
 *
 * @example
 * import type { ResultOf } from '@cobald/kernel';
 * type R = ResultOf<TrioTypes, () => Operation<number>>; // number
 */
export interface TrioTypes extends PayloadTypes {
  readonly payload: TrioPayload;
  readonly args: this['input'] extends (...args: infer A) => unknown ? A : never;
  readonly result: this['input'] extends (...args: any[]) => Operation<infer R> ? R : never;
}

/** Async functions start running when called and return promises: never a trio payload. */
const asyncKinds = new Set(['[object AsyncFunction]', '[object AsyncGeneratorFunction]']);

/**
 * The trio flavour. Importing this package registers it, so `{ flavour: 'trio' }` works too.
 * All payloads of a runner share one Effection scope; on shutdown every payload is halted at
 * once, and their `finally` blocks (which may themselves `yield*`) get the runner's grace
 * period to finish before they are abandoned.
 *
 * @example
 * import { runtime } from '@cobald/kernel';
 * import { trio } from '@cobald/flavour-trio';
 * import { sleep } from 'effection';
 *
 * runtime.adopt(function* heartbeat(interval: number) {
 *   try {
 *     while (true) { console.log('beat'); yield* sleep(interval); }
 *   } finally {
 *     console.log('stopped');
 *   }
 * }, { flavour: trio, args: [1000] });
 * const doubled = await runtime.execute(function* (x: number) { yield* sleep(10); return 2 * x; },
 *   { flavour: trio, args: [21] }); // 42, once runtime.accept() runs
 */
export const trio = defineFlavour<TrioTypes>({
  name: 'trio',
  version,
  kernel: '^0.1.0',
  validate(payload) {
    if (typeof payload !== 'function') {
      throw new TypeError(
        'a trio payload is a generator function (function*) or a function that returns an ' +
          `Effection operation, got ${payload === null ? 'null' : typeof payload}`,
      );
    }
    if (asyncKinds.has(Object.prototype.toString.call(payload))) {
      throw new TypeError(
        `trio payload '${payload.name || 'anonymous'}' is an async function, but trio payloads are ` +
          'generator functions (function*) that yield* Effection operations (wrap promises with ' +
          'yield* until(promise)): did you mean the asyncio flavour?',
      );
    }
  },
  createRunner: (host) => new TrioRunner(host),
});

registerFlavour(trio);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    trio: typeof trio;
  }
}
