/**
 * What a flavour author gives the conformance kit: the test runner's `describe` and `it`, the
 * flavour, and payloads written in the flavour's kind that behave in a few known ways.
 */
import { isFlavour, type Flavour, type TypesOf } from '@cobald/kernel';

/**
 * One run of a payload: the payload itself and the arguments to run it with (`args` of
 * `adopt`/`execute`). Flavours whose payloads cannot close over values (threads, commands) pass
 * them as `args`.
 *
 * @example
 * const run: PayloadRun<(value: string) => string> = { payload: (value) => value, args: ['hello'] };
 */
export interface PayloadRun<P = unknown> {
  readonly payload: P;
  readonly args?: readonly unknown[];
}

/**
 * Payloads in the flavour's kind, one factory per behaviour the contract is checked with. Each
 * call must make a payload that is independent of every earlier one.
 *
 * @example
 * // the asyncio flavour's
 * const payloads: ConformancePayloads<AsyncioTypes['payload']> = {
 *   returns: (value) => ({ payload: async () => value }),
 *   returnsAfter: (ms, value) => ({ payload: async () => { await delay(ms); return value; } }),
 *   completes: () => ({ payload: async () => {} }),
 *   throws: (message) => ({ payload: async () => { throw new Error(message); } }),
 *   failsTimes: (failures) => { let runs = 0; return { payload: async () => { if (++runs <= failures) throw new Error(`failure ${runs}`); } }; },
 *   waitsForCancel: (cleanupMs, readyFile) => ({ payload: async () => { writeFileSync(readyFile, ''); try { await delay(1e9, undefined, { signal: currentSignal() }); } finally { await delay(cleanupMs); } } }),
 *   ignoresCancel: (readyFile) => ({ payload: () => { writeFileSync(readyFile, ''); return new Promise(() => {}); } }),
 * };
 */
export interface ConformancePayloads<P = unknown> {
  /** Returns `value` at once. */
  returns(value: string): PayloadRun<P>;
  /** Returns `value` after about `ms` milliseconds. */
  returnsAfter(ms: number, value: string): PayloadRun<P>;
  /** Ends at once, without a value (`undefined`): a clean end of an adopted payload. */
  completes(): PayloadRun<P>;
  /** Fails with an error whose message contains `message`. */
  throws(message: string): PayloadRun<P>;
  /**
   * Fails its first `failures` runs (each with an error whose message says which run it was),
   * then ends without a value. The same payload is run again by restart policies, so it counts
   * its runs: in a closure where it can, or in `counterFile` (a path of a file that does not
   * exist yet, in a fresh temporary folder) where it runs elsewhere (a thread, a process).
   */
  failsTimes(failures: number, counterFile: string): PayloadRun<P>;
  /**
   * Runs until the runtime stops it, then takes about `cleanupMs` milliseconds to clean up (an
   * asyncio payload awaits after its signal aborted, a trio one sleeps in `finally`) and ends as
   * cancelled (the asyncio payload lets its `AbortError` through).
   * A mechanism that can only stop a payload at once (terminating a thread) may ignore `cleanupMs`.
   * Once it runs, ready to be stopped, it creates the empty file `readyFile`: the kit waits for
   * that file before it stops the runtime, so that it stops a payload that really runs.
   */
  waitsForCancel(cleanupMs: number, readyFile: string): PayloadRun<P>;
  /**
   * Ignores the runtime's request to stop: keeps waiting, never ends by itself. The runtime must
   * still stop in time (by force, or by abandoning it after its shutdown timeout). It should
   * wait without holding a handle (a promise that never settles, not a timer), so that an
   * abandoned one does not keep the test process alive. Once it runs and ignores cancellation
   * (has set up whatever ignores it), it creates the empty file `readyFile`.
   */
  ignoresCancel(readyFile: string): PayloadRun<P>;
}

/** How a service the kit makes behaves: as the payload of the same name. */
export type ServiceBehaviour =
  | { readonly kind: 'waitsForCancel'; readonly cleanupMs: number; readonly readyFile: string }
  | { readonly kind: 'ignoresCancel'; readonly readyFile: string }
  | { readonly kind: 'throws'; readonly message: string };

/** What a service the kit makes is decorated with, and how it behaves. */
export interface ServiceSpec<P = unknown> {
  /** The service's name: pass it as `@service({ name })`. */
  readonly name: string;
  /** The flavour object, or its registered name (the kit checks services by name too). */
  readonly flavour: Flavour | string;
  /** Pass it as `@service({ shutdownTimeout })` when set. */
  readonly shutdownTimeout?: number;
  readonly behaviour: ServiceBehaviour;
  /** The payload of the same behaviour, made by your `payloads`: what the default service runs. */
  readonly run: PayloadRun<P>;
}

/** The parts of the contract, each a `describe` block of its own. */
export type SectionName = 'execute' | 'adopt' | 'services' | 'restarts' | 'shutdown' | 'instrumentation' | 'registration' | 'supervision';

/** A `describe` of jest, vitest or `node:test`. */
export type Describe = (name: string, fn: () => void) => unknown;
/** An `it` (or `test`) of jest, vitest or `node:test`; the kit passes its own time limit as third argument. */
export type It = (name: string, fn: () => Promise<void>, timeout?: number) => unknown;

/**
 * The options of {@link describeConformance}.
 *
 * @example
 * describeConformance({ describe, it, flavour: asyncio, payloads });
 */
export interface ConformanceOptions<F extends Flavour = Flavour> {
  /** Your test runner's `describe`: `import { describe, it } from 'node:test'` (or jest's, vitest's). */
  readonly describe: Describe;
  /** Your test runner's `it` or `test`. */
  readonly it: It;
  /** The flavour under test. */
  readonly flavour: F;
  /** Payloads in the flavour's kind. */
  readonly payloads: ConformancePayloads<TypesOf<F>['payload']>;
  /**
   * Make one service instance (`new (service({ flavour, name, shutdownTimeout })(class { run() … }))()`).
   * By default the kit decorates a class whose `run(...given)` calls
   * `spec.run.payload(...given, ...args)`, or returns the payload when it is not a function (a
   * flavour whose `bindService` takes the payload from `run()`, such as commands).
   * Give your own when a service of your flavour must live in a module (threads).
   */
  readonly service?: (spec: ServiceSpec<TypesOf<F>['payload']>) => object;
  /** What `execute()` resolves with, read as the value `returns(value)` was given. Default: the result itself. */
  readonly resultOf?: (result: unknown) => unknown;
  /**
   * What your flavour does with a value an adopted payload returns: `'orphaned'` (the default:
   * it hands it to the kernel, which fails the payload with `OrphanedReturn`), or `'discarded'`
   * (a flavour whose adopted payloads have no value, such as a command's exit, resolves them
   * with `undefined`).
   */
  readonly adoptedValues?: 'orphaned' | 'discarded';
  /** Options for your flavour: `new ServiceRunner({ flavours: { [flavour.name]: flavourOptions } })`. */
  readonly flavourOptions?: Readonly<Record<string, unknown>>;
  /** Payloads your flavour must refuse with a `TypeError`. Default: `null`, `42` and `'not a payload'`. */
  readonly invalidPayloads?: readonly unknown[];
  /** Import your side-effect entry (`() => import('my-flavour/register')`), if you have one. */
  readonly register?: () => Promise<unknown>;
  /** Milliseconds each check may take before the kit fails it. Default 15000. */
  readonly timeout?: number;
  /** Run only these sections (default: all), to split the kit over several test files. */
  readonly sections?: readonly SectionName[];
}

/** The options with every default filled in. */
export interface ResolvedOptions extends Required<Omit<ConformanceOptions, 'register' | 'service'>> {
  readonly register: (() => Promise<unknown>) | undefined;
  readonly service: (spec: ServiceSpec) => object;
}

const payloadKinds = ['returns', 'returnsAfter', 'completes', 'throws', 'failsTimes', 'waitsForCancel', 'ignoresCancel'] as const;

/** Check `options` and fill in the defaults; a mistake is a `TypeError` at once, not a failing check. */
export function resolveOptions(
  options: ConformanceOptions,
  defaults: { readonly service: (spec: ServiceSpec) => object; readonly sections: readonly SectionName[] },
): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('describeConformance() takes its options object');
  for (const key of ['describe', 'it'] as const) {
    if (typeof options[key] !== 'function') {
      throw new TypeError(`describeConformance() needs '${key}' from your test runner (jest, vitest or node:test)`);
    }
  }
  if (!isFlavour(options.flavour)) throw new TypeError("describeConformance() needs 'flavour': a flavour made with defineFlavour()");
  const { payloads } = options;
  for (const kind of payloadKinds) {
    if (typeof payloads?.[kind] !== 'function') {
      throw new TypeError(`describeConformance() needs 'payloads.${kind}': a function that makes such a payload in your flavour's kind`);
    }
  }
  const sections = options.sections ?? defaults.sections;
  for (const section of sections) {
    if (!defaults.sections.includes(section)) {
      throw new TypeError(`unknown section '${String(section)}'; the sections are ${defaults.sections.join(', ')}`);
    }
  }
  const adoptedValues = options.adoptedValues ?? 'orphaned';
  if (adoptedValues !== 'orphaned' && adoptedValues !== 'discarded') {
    throw new TypeError(`'adoptedValues' is 'orphaned' or 'discarded', got ${String(adoptedValues)}`);
  }
  const timeout = options.timeout ?? 15_000;
  if (!(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    throw new TypeError(`'timeout' must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  return {
    describe: options.describe,
    it: options.it,
    flavour: options.flavour,
    payloads,
    service: options.service ?? defaults.service,
    resultOf: options.resultOf ?? ((result) => result),
    adoptedValues,
    flavourOptions: options.flavourOptions ?? {},
    invalidPayloads: options.invalidPayloads ?? [null, 42, 'not a payload'],
    register: options.register,
    timeout,
    sections,
  };
}
