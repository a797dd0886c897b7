/**
 * The errors of the kernel. Each has a stable `name`, so code can tell them apart even across
 * two copies of the kernel in one process, and a message that says what to do.
 */
import { inspect } from 'node:util';

/** What an error knows about the payload it concerns. */
export interface PayloadInfo {
  /** Unique within the process, in order of creation. */
  readonly id: number;
  /** The payload's name: the one given in the options, or the function's or class's name. */
  readonly name: string;
  /** The name of the payload's flavour. */
  readonly flavour: string;
}

const describe = (p: PayloadInfo): string => `payload '${p.name}' (${p.flavour}, #${p.id})`;

/**
 * An adopted payload returned a value. Adopted payloads have no parent to receive it, so the
 * runtime treats the value as an error, just as it treats an exception.
 *
 * @example
 * runner.adopt(() => 42, { flavour: asyncio });
 * await runner.accept().catch((err) => err.cause); // OrphanedReturn: payload 'anonymous' … returned 42
 */
export class OrphanedReturn extends Error {
  override readonly name = 'OrphanedReturn';
  constructor(
    readonly payload: PayloadInfo,
    readonly value: unknown,
  ) {
    super(
      `${describe(payload)} returned ${formatValue(value)}, but an adopted payload has no parent ` +
        `to receive a value: return undefined, or run it with execute() to get its result`,
    );
  }
}

/**
 * The reason `accept()` rejects: an adopted payload failed (its error is `cause`) or returned
 * a value (`cause` is an {@link OrphanedReturn}), so the runtime stopped everything.
 */
export class PayloadFailure extends Error {
  override readonly name = 'PayloadFailure';
  constructor(
    readonly payload: PayloadInfo,
    cause: unknown,
  ) {
    super(`${describe(payload)} failed, so the runtime stopped: ${causeMessage(cause)}`, { cause });
  }
}

/**
 * The reason `accept()` rejects when an error escaped outside any payload: an uncaught
 * exception or an unhandled rejection, while the runner accepted, in code that no payload
 * started (the application's own). `cause` is the error; `origin` says which of the two it was.
 *
 * @example
 * await runner.accept().catch((err) => err.name === 'UncaughtFailure' && err.cause);
 */
export class UncaughtFailure extends Error {
  override readonly name = 'UncaughtFailure';
  constructor(
    readonly origin: string,
    cause: unknown,
  ) {
    super(`an error escaped outside any payload (${origin}), so the runtime stopped: ${causeMessage(cause)}`, { cause });
  }
}

/**
 * A restarted payload needed more restarts within the intensity period than its policy
 * allows, so it is escalated as fatal. `cause` is its last error (absent when it ended cleanly
 * under `restart: 'always'`).
 */
export class RestartIntensityExceeded extends Error {
  override readonly name = 'RestartIntensityExceeded';
  constructor(
    readonly payload: PayloadInfo,
    readonly restarts: number,
    readonly within: number,
    cause: unknown,
  ) {
    super(`${describe(payload)} exceeded its restart intensity of ${restarts} restarts within ${within} ms`, {
      cause,
    });
  }
}

/**
 * A child of a supervisor failed (or returned a value) and its `restart` did not restart it, so
 * the supervisor stopped its other children and failed with this error; `cause` is what the
 * child threw (or an {@link OrphanedReturn}). The supervisor's parent handles it like any
 * failure: restarts the supervisor by its policy, or escalates.
 *
 * @example
 * await runner.accept().catch((err) => err.cause); // ChildFailure: child 'db' (asyncio, #6) of supervisor 'ingest' (#5) failed: …
 */
export class ChildFailure extends Error {
  override readonly name = 'ChildFailure';
  constructor(
    readonly child: PayloadInfo,
    readonly supervisor: PayloadInfo,
    cause: unknown,
  ) {
    super(
      `child '${child.name}' (${child.flavour}, #${child.id}) of supervisor '${supervisor.name}' (#${supervisor.id}) failed: ${causeMessage(cause)}`,
      {
        cause,
      },
    );
  }
}

/**
 * Why the runtime stopped a payload: the runtime stops (`'shutdown'`); or, for an `execute()`
 * called inside a payload, that caller's run ended (`'caller-ended'`), or the caller was stopped
 * to be restarted or because its supervisor stops (`'caller-stopped'`).
 */
export type CancelReason = 'shutdown' | 'caller-ended' | 'caller-stopped';

function because(reason: CancelReason, caller: PayloadInfo | undefined): string {
  if (reason === 'shutdown' || caller === undefined) return 'because the runtime is shutting down';
  const who = `${describe(caller)}, which executed it,`;
  return reason === 'caller-ended' ? `because the run of ${who} ended` : `because ${who} was stopped`;
}

/**
 * A payload was stopped by the runtime: it shuts down, or the payload that executed it ended or
 * was stopped (`reason`). `execute()` rejects with it; for adopted payloads it is not a failure.
 */
export class PayloadCancelled extends Error {
  override readonly name = 'PayloadCancelled';
  constructor(
    readonly payload: PayloadInfo,
    cause?: unknown,
    readonly reason: CancelReason = 'shutdown',
    /** The payload that executed it, for the reasons that concern it. */
    readonly caller?: PayloadInfo,
  ) {
    super(`${describe(payload)} was cancelled ${because(reason, caller)}`, { cause });
  }
}
/**
 * A payload was cancelled by the runtime (see {@link PayloadCancelled}), but did not stop within
 * its shutdown timeout (or the grace period), so the runtime gave up on it: an `execute()` of it
 * rejects with this, since its own promise may never settle. Like {@link PayloadCancelled}, it is
 * a cancellation, not a failure.
 *
 * @example
 * await runner.execute(ignoresItsSignal, { flavour: asyncio }).catch((err) => err.name); // 'PayloadAbandoned'
 */
export class PayloadAbandoned extends Error {
  override readonly name = 'PayloadAbandoned';
  constructor(
    readonly payload: PayloadInfo,
    readonly timeout: number,
    readonly reason: CancelReason = 'shutdown',
    readonly caller?: PayloadInfo,
  ) {
    super(`${describe(payload)} was abandoned: it was cancelled ${because(reason, caller)}, and did not stop within ${timeout} ms`);
  }
}

// Marks cancellations across copies of the kernel, where `instanceof` does not work.
const cancelledKey = Symbol.for('@cobald/kernel/cancelled');
Object.defineProperty(PayloadCancelled.prototype, cancelledKey, { value: true });
Object.defineProperty(PayloadAbandoned.prototype, cancelledKey, { value: true });

/** Whether `error` reports a cancellation by the runtime rather than a failure. */
export function isCancellation(error: unknown): error is PayloadCancelled {
  try {
    return typeof error === 'object' && error !== null && cancelledKey in error;
  } catch {
    // A proxy whose `has` trap throws is what a payload threw, not a cancellation.
    return false;
  }
}

/** `error.name === name`, false for a value whose `name` cannot be read (a getter or a proxy trap that throws). */
function isNamed(error: unknown, name: string): boolean {
  try {
    return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
  } catch {
    return false;
  }
}

/** `value instanceof Error`, false for a proxy whose `getPrototypeOf` trap throws. */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * Whether `error` is an `AbortError`, as aborted signals, timers and fetch throw it. Checked by
 * name: Node's own AbortError may come from another realm than the caller's.
 */
export function isAbortError(error: unknown): boolean {
  return isNamed(error, 'AbortError');
}

/** `execute()` (or a wait for the runner's state) was called while no `accept()` is running. */
export class RunnerNotAccepting extends Error {
  override readonly name = 'RunnerNotAccepting';
  /** `inThread`: called in a thread where no runner may accept (a threading worker). */
  constructor(method = 'execute', inThread = false) {
    super(
      inThread
        ? `${method}() was called inside a worker thread that runs a threading payload, where no runner accepts ` +
            'and none may: do the work in the thread itself, or hand what it needs back to the main thread and ' +
            `${method}() it there`
        : `${method}() needs a runner that accepts work: call runner.accept() first ` +
            '(adopt() may come before accept(); its payloads are queued until then)',
    );
  }
}

/** `adopt()` or `execute()` was called while the runner shuts down. */
export class RunnerStopping extends Error {
  override readonly name = 'RunnerStopping';
  constructor(method: 'adopt' | 'execute', payloadName: string) {
    super(`${method}() of payload '${payloadName}' was refused: the runner is shutting down`);
  }
}

/** Whether `error` is a {@link RunnerStopping}, from this copy of the kernel or another. */
export function isRunnerStopping(error: unknown): boolean {
  return isNamed(error, 'RunnerStopping');
}

/** A second `accept()` while a runner of this process already accepts. */
export class AlreadyAccepting extends Error {
  override readonly name = 'AlreadyAccepting';
  constructor(same: boolean) {
    super(
      same
        ? 'accept() is already running on this runner; await it instead of calling it again'
        : 'another ServiceRunner already accepts in this process: only one may run at a time, ' + 'shut it down first',
    );
  }
}

/**
 * A flavour was named that is not registered, and the package that would provide it by the
 * naming convention ({@link packageOf}) is not installed.
 */
export class UnknownFlavour extends Error {
  override readonly name = 'UnknownFlavour';
  /** The package that provides the flavour by the naming convention. */
  readonly package: string;
  constructor(
    readonly flavour: string,
    known: readonly string[],
  ) {
    const pkg = packageOf(flavour);
    super(
      `unknown flavour '${flavour}': no flavour of that name is registered and its package '${pkg}' ` +
        `is not installed; install it (npm install ${pkg}), or import the package that registers it ` +
        (known.length ? `(registered: ${known.join(', ')})` : '(none is registered)'),
    );
    this.package = pkg;
  }
}

/** A flavour was made for other versions of the kernel than this one. */
export class IncompatibleFlavour extends Error {
  override readonly name = 'IncompatibleFlavour';
  constructor(flavour: string, version: string, range: string, kernel: string) {
    super(
      `flavour '${flavour}' ${version} supports @cobald/kernel ${range}, but this is ${kernel}: ` + `install versions that fit together`,
    );
  }
}

/**
 * The npm package that provides a flavour, by the naming convention of flavour packages:
 * the built-in `'trio'` is `@cobald/flavour-trio`, a third party's `'x'` is
 * `cobald-flavour-x`, and a scoped `'@scope/x'` is `@scope/cobald-flavour-x`.
 */
export function packageOf(flavour: string): string {
  if (flavour.startsWith('@')) {
    const [scope, name] = flavour.split('/');
    return `${scope}/cobald-flavour-${name}`;
  }
  return ['asyncio', 'trio', 'threading'].includes(flavour) ? `@cobald/flavour-${flavour}` : `cobald-flavour-${flavour}`;
}

function formatValue(value: unknown): string {
  let text: string;
  try {
    text = inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60 });
  } catch {
    // A proxy or a getter that throws can defeat even inspect().
    text = `[${typeof value} that cannot be shown]`;
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * A line that says what a payload threw or rejected with, whatever it is: an error's name and
 * message, or any other value shown safely (a null-prototype object, one whose `toString`
 * throws, a revoked proxy…).
 */
export function describeValue(value: unknown): string {
  if (isError(value)) {
    try {
      return `${value.name}: ${value.message}`;
    } catch {
      // An error whose name or message getter throws.
    }
  }
  return formatValue(value);
}

function causeMessage(cause: unknown): string {
  if (isError(cause)) return describeValue(cause);
  return `non-Error value thrown: ${formatValue(cause)}`;
}
