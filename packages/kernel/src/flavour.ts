/**
 * The contract between the kernel and a flavour. A flavour is a plain object made with
 * {@link defineFlavour}; for each accepting {@link ServiceRunner} it creates one
 * {@link FlavourRunner}, which runs that runner's payloads of the flavour by its own mechanism
 * (promises, Effection, worker threads, …) and reports each outcome by settling a promise.
 * The built-in flavours use nothing but this file's exports.
 */
import { CancelScope } from './cancellation.js';
import { silentLogger, type Logger } from './logger.js';
import type { CancelReason, PayloadInfo } from './errors.js';
import type { SupervisionOptions } from './supervision-options.js';
import { PayloadCancelled } from './errors.js';

/**
 * The payload types of a flavour, as a type-level function: the kernel fills in `input` with
 * the payload given to `adopt`/`execute`, and reads `args` and `result` off it. This lets
 * `execute()` infer its result type and reject payloads of the wrong kind at compile time.
 *
 * @example
 * interface PromiseTypes extends PayloadTypes {
 *   readonly payload: (...args: any[]) => unknown;
 *   readonly args: this['input'] extends (...args: infer A) => unknown ? A : never;
 *   readonly result: this['input'] extends (...args: any[]) => infer R ? Awaited<R> : never;
 * }
 */
export interface PayloadTypes {
  /** What the flavour accepts as a payload. */
  readonly payload: unknown;
  /** Set by the kernel to the payload's own type; do not set it. */
  readonly input: unknown;
  /** The arguments the payload takes, computed from `input`. */
  readonly args: readonly unknown[];
  /** What running the payload yields, computed from `input`. */
  readonly result: unknown;
}

/** The arguments of payload `P` under the types `T`. */
export type ArgsOf<T extends PayloadTypes, P> = (T & { readonly input: P })['args'];
/** The result of payload `P` under the types `T`. */
export type ResultOf<T extends PayloadTypes, P> = (T & { readonly input: P })['result'];

/** Whether a payload is run by `adopt` (no parent) or by `execute` (a caller awaits it). */
export type RunKind = 'adopt' | 'execute';

/** What a flavour runner knows about one payload it runs. */
export interface RunContext extends PayloadInfo {
  readonly kind: RunKind;
  /**
   * The payload's own time to stop on shutdown, in milliseconds, when it has one; otherwise
   * the host's `gracePeriod` applies. A runner that waits for payloads in `close()` waits no
   * longer than this for this one.
   */
  readonly shutdownTimeout?: number | undefined;
}

/** Options of a service, as given to the `@service(…)` decorator. */
export interface ServiceOptions extends SupervisionOptions {
  /** The flavour to run the service's `run()` in: a flavour object or a registered name. */
  readonly flavour: Flavour | string;
  /** The name of the service's node; by default `ClassName.run`. */
  readonly name?: string;
  /** Options particular to a flavour (for example `module` for threading). */
  readonly [option: string]: unknown;
}

/** What the kernel gives a flavour when it creates a runner. */
export interface FlavourHost {
  /** The runner's logger. */
  readonly logger: Logger;
  /** How long, in milliseconds, payloads get to stop after cancellation before they are abandoned. */
  readonly gracePeriod: number;
  /** The options given for this flavour: `new ServiceRunner({ flavours: { [name]: options } })`. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The cancel scope of a payload: run the payload in it (`scope.run(fn, args)`) and
   * `currentSignal()` inside finds its signal. The kernel cancels it, with an `AbortError`, when
   * the payload must stop, and takes the `AbortError` that follows for a cancellation; the scope
   * lives and dies with the payload, so the flavour keeps no list of scopes.
   */
  cancelScope(context: RunContext): CancelScope;
}

/**
 * Runs the payloads of one flavour for one accepting runner.
 *
 * Contract:
 * - `run()` settles exactly once: with the payload's result, or with its error. A payload that
 *   was stopped by `cancel()` or `close()` settles with {@link cancelled | cancelled(context)}
 *   (or any error for which `isCancellation()` holds), or with an `AbortError`, which the
 *   kernel takes for a cancellation from a payload it asked to stop: none of these is a failure.
 * - `close()` stops everything the runner runs, as gracefully as the mechanism allows, and
 *   resolves once its resources are released. The kernel waits for every `run()` to settle
 *   for at most its grace period, then abandons the rest: `close()` must not wait forever on a
 *   payload either.
 * - After `close()`, the runner is not used again.
 */
export interface FlavourRunner<T extends PayloadTypes = PayloadTypes> {
  /** Prepare to run payloads; the kernel awaits it before the first `run()`. */
  start?(): void | Promise<void>;
  /** Run one payload to completion. */
  run(payload: T['payload'], args: readonly unknown[], context: RunContext): Promise<unknown>;
  /**
   * Stop one payload, as gracefully as the mechanism allows (abort its signal, halt it,
   * terminate its worker); its `run()` then settles, as cancelled. Optional. With it, the
   * kernel stops services one at a time, newest first, and then calls it for every payload
   * still running, before it closes the runner: a runner with `cancel()` needs no list of its
   * own payloads to stop them in `close()`.
   */
  cancel?(context: RunContext): void;
  /** Stop every payload and release all resources. */
  close(): Promise<void>;
}

/**
 * A host for driving a flavour runner without a `ServiceRunner`, as a flavour's own tests do:
 * a silent logger, a grace period of one second and no options unless given; each payload
 * gets a cancel scope of its own, which nothing cancels.
 *
 * @example
 * const runner = asyncio.createRunner(createFlavourHost({ gracePeriod: 100 }));
 * const context = { id: 1, name: 'sum', flavour: 'asyncio', kind: 'execute' } as const;
 * console.log(await runner.run((a: number, b: number) => a + b, [1, 2], context)); // 3
 * await runner.close();
 */
export function createFlavourHost(host: Partial<Omit<FlavourHost, 'cancelScope'>> = {}): FlavourHost {
  return {
    logger: host.logger ?? silentLogger,
    gracePeriod: host.gracePeriod ?? 1000,
    options: host.options ?? {},
    cancelScope: () => new CancelScope(),
  };
}

const flavourBrand = Symbol.for('@cobald/kernel/flavour');

/** What a flavour package defines; {@link defineFlavour} turns it into a {@link Flavour}. */
export interface FlavourSpec<T extends PayloadTypes = PayloadTypes> {
  /** The name under which the flavour registers, such as `'asyncio'`. */
  readonly name: string;
  /** The version of the flavour package. */
  readonly version: string;
  /** The versions of `@cobald/kernel` the flavour works with, as a semver range. */
  readonly kernel: string;
  /** Throw a `TypeError` that says what is expected when `payload` cannot be run. */
  validate(payload: unknown): void;
  /** The name of a payload for logs and errors; by default the function's name. */
  nameOf?(payload: T['payload']): string;
  /** Make the runner for one accepting `ServiceRunner`. */
  createRunner(host: FlavourHost): FlavourRunner<T>;
  /**
   * Turn a service instance into the payload that runs its `run()`. Without it, the payload is
   * `() => instance.run()`.
   */
  bindService?(instance: { run(): unknown }, options: ServiceOptions): T['payload'];
  /**
   * Check a service's options when its class is decorated, so that a mistake shows at once
   * rather than when the service starts; throw a `TypeError` that says what is expected.
   */
  checkServiceOptions?(options: ServiceOptions, target: abstract new (...args: any[]) => unknown): void;
}

/**
 * A flavour: the object a flavour package exports and users pass as `{ flavour }`.
 * `T` carries the flavour's payload types for type inference only.
 */
export interface Flavour<T extends PayloadTypes = PayloadTypes> extends FlavourSpec<T> {
  readonly [flavourBrand]: true;
  /** Type-level only: never set at run time. */
  readonly types?: T;
}

/**
 * Make a flavour from its spec: brand it, so that every copy of the kernel recognises it, and
 * freeze it.
 *
 * @example
 * export const inline = defineFlavour<InlineTypes>({
 *   name: 'inline', version: '1.0.0', kernel: '^0.1.0',
 *   validate(payload) { if (typeof payload !== 'function') throw new TypeError('inline payloads are functions'); },
 *   createRunner: () => ({ run: async (payload, args) => payload(...args), close: async () => {} }),
 * });
 */
export function defineFlavour<T extends PayloadTypes>(spec: FlavourSpec<T>): Flavour<T> {
  for (const key of ['name', 'version', 'kernel'] as const) {
    if (typeof spec[key] !== 'string' || spec[key] === '') {
      throw new TypeError(`a flavour needs a non-empty string '${key}'`);
    }
  }
  for (const key of ['validate', 'createRunner'] as const) {
    if (typeof spec[key] !== 'function') throw new TypeError(`flavour '${spec.name}' needs a function '${key}'`);
  }
  return Object.freeze({ ...spec, [flavourBrand]: true as const });
}

/** Whether `value` is a flavour made by `defineFlavour` of any copy of the kernel. */
export function isFlavour(value: unknown): value is Flavour {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[flavourBrand] === true;
}

/**
 * The error a runner settles a payload with when `close()` stopped it.
 *
 * @example
 * signal.addEventListener('abort', () => reject(cancelled(context, signal.reason)));
 */
export function cancelled(context: PayloadInfo, cause?: unknown): PayloadCancelled {
  // A kernel node knows why it was stopped, and who executed it.
  const { cancelReason, parent } = context as { cancelReason?: CancelReason; parent?: PayloadInfo };
  const caller = parent && { id: parent.id, name: parent.name, flavour: parent.flavour };
  // Without a stack trace: it would show the flavour's or the kernel's own code, which stopped
  // the payload, and a shutdown with 100k payloads pending spent a seventh of its time making
  // those stacks. Its cause keeps its own.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new PayloadCancelled({ id: context.id, name: context.name, flavour: context.flavour }, cause, cancelReason, caller);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The flavours known by name, for typing `{ flavour: 'name' }`. Flavour packages add
 * themselves by declaration merging:
 *
 * @example
 * declare module '@cobald/kernel' {
 *   interface KnownFlavours { asyncio: typeof asyncio }
 * }
 */
export interface KnownFlavours {}

/** The payload types of a flavour. */
export type TypesOf<F> = F extends Flavour<infer T> ? T : PayloadTypes;
