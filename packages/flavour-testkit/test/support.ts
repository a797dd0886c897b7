/**
 * Flavours made for testing the kit: a sound one, and broken ones that each break one rule of
 * the contract. Their payloads are functions run in the payload's cancel scope, as asyncio's.
 */
import { defineFlavour, registerFlavour, type PayloadTypes } from '@cobald/kernel';
import { describeConformance, type ConformanceOptions } from '@cobald/flavour-testkit';

export { functionPayloads } from '@cobald/flavour-testkit';

interface FunctionTypes extends PayloadTypes {
  readonly payload: (...args: any[]) => unknown;
  readonly args: this['input'] extends (...args: infer A) => unknown ? A : never;
  readonly result: this['input'] extends (...args: any[]) => infer R ? Awaited<R> : never;
}

/** What a test flavour gets wrong, if anything. */
export interface Defects {
  /** Its run() resolves with undefined when the payload fails. */
  readonly swallowsErrors?: boolean;
  /** Its run() turns a cancellation into an ordinary error. */
  readonly cancellationAsFailure?: boolean;
  /** Its run() resolves adopted payloads with undefined, whatever they return. */
  readonly dropsAdoptedValues?: boolean;
  /** It accepts anything as a payload. */
  readonly validatesNothing?: boolean;
  /** It does not register itself. */
  readonly unregistered?: boolean;
  /** It leaves a referenced setInterval per run, or per runner, never cleared: pushed to `intervals`, for the test to clear afterwards. */
  readonly leaks?: { readonly per: 'run' | 'runner'; readonly intervals: NodeJS.Timeout[] };
}

/** A flavour of functions named `name`, with the given defects. */
export function functionFlavour(name: string, defects: Defects = {}) {
  const flavour = defineFlavour<FunctionTypes>({
    name,
    version: '1.0.0',
    kernel: '^0.1.0',
    validate(payload) {
      if (!defects.validatesNothing && typeof payload !== 'function') throw new TypeError(`a ${name} payload is a function`);
    },
    createRunner: (host) => {
      if (defects.leaks?.per === 'runner') defects.leaks.intervals.push(setInterval(() => {}, 60_000));
      return {
        run(payload, args, context) {
          if (defects.leaks?.per === 'run') defects.leaks.intervals.push(setInterval(() => {}, 60_000));
          let outcome = Promise.resolve().then(() => host.cancelScope(context).run(payload, args));
          if (defects.swallowsErrors) outcome = outcome.catch(() => undefined);
          if (defects.cancellationAsFailure)
            outcome = outcome.catch((error: unknown) => Promise.reject(new Error(`stopped: ${String(error)}`)));
          if (defects.dropsAdoptedValues && context.kind === 'adopt') outcome = outcome.then(() => undefined);
          return outcome;
        },
        close: async () => {},
      };
    },
  });
  if (!defects.unregistered) registerFlavour(flavour);
  return flavour;
}

/**
 * The kit's checks for `options`, by title (`section › check`), collected through a `describe`
 * and `it` of our own instead of run: a test can then run one and see it fail.
 */
export function collectChecks(options: Omit<ConformanceOptions, 'describe' | 'it'>): Map<string, () => Promise<void>> {
  const checks = new Map<string, () => Promise<void>>();
  const path: string[] = [];
  describeConformance({
    ...options,
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn) => void checks.set([...path.slice(1), name].join(' › '), fn),
  });
  return checks;
}
