/**
 * The runner of the trio flavour: one Effection scope per accepting runner, in which each
 * payload runs as a task of its own, so that its outcome (and that
 * of anything it spawned) is reported as that payload's outcome and never tears down the
 * scope or its siblings. Closing halts every task at once and then destroys the scope.
 */
import { cancelled, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { createScope, type Future, type Operation, type Scope, type Task } from 'effection';
import type { TrioPayload, TrioTypes } from './trio.js';

/**
 * Runs trio payloads for one accepting `ServiceRunner`; made by the flavour's `createRunner`.
 * The scope is made by `start()`. `run()` settles with the operation's result or error, or
 * with `cancelled(context)` when `close()` halted it; an error thrown by a `finally` block
 * while halting is reported as the payload's error. After `close()`, `run()` rejects with
 * `cancelled(context)` without starting anything.
 *
 * @example
 * const runner = new TrioRunner(createFlavourHost({ gracePeriod: 1000 }));
 * runner.start();
 * const context = { id: 1, name: 'answer', flavour: 'trio', kind: 'execute' } as const;
 * await runner.run(function* () { yield* sleep(10); return 42; }, [], context); // 42
 * await runner.close();
 */
export class TrioRunner implements FlavourRunner<TrioTypes> {
  readonly #host: FlavourHost;
  #scope: Scope | undefined;
  #destroy: (() => Future<void>) | undefined;
  /** The payloads that have not settled yet. */
  readonly #runs = new Map<RunContext, PendingRun>();
  /** Payloads whose task this runner halted: through `cancel()`, or `close()`. */
  readonly #cancelled = new WeakSet<RunContext>();
  #closed: Promise<void> | undefined;

  constructor(host: FlavourHost) {
    this.#host = host;
  }

  /** Make the scope that every payload of this runner runs in. */
  start(): void {
    this.#open();
  }

  run(payload: TrioPayload, args: readonly unknown[], context: RunContext): Promise<unknown> {
    // A destroyed scope would still start a task, and nothing would ever halt it.
    if (this.#closed) return Promise.reject(cancelled(context));
    let operation: Operation<unknown>;
    try {
      operation = toOperation(payload, args, context);
    } catch (error) {
      return Promise.reject(error);
    }
    const scope = this.#open();
    return new Promise((resolve, reject) => {
      const pending: PendingRun = { task: undefined, resolve, reject, ended: undefined };
      this.#runs.set(context, pending);
      // A restarted payload runs with the same context: a halt of its earlier run is not this run's.
      this.#cancelled.delete(context);
      // Started in the payload's cancel scope, so that what the operation does (its timers, its
      // executes) runs in the payload's async context and is known to be its work; and from a
      // microtask of that context, not from here: called by another trio payload (its execute()
      // or adopt()), Effection would run the new task later in that payload's step, in its
      // context, and what the new one leaves behind would be blamed on its caller.
      this.#host.cancelScope(context).run(queueMicrotask, [() => this.#begin(scope, operation, context, pending)]);
    });
  }

  #begin(scope: Scope, operation: Operation<unknown>, context: RunContext, pending: PendingRun): void {
    // Halted, or its runner closed, before it began.
    if (this.#cancelled.has(context) || this.#closed) {
      this.#runs.delete(context);
      pending.reject(withoutStack(() => cancelled(context)));
      return;
    }
    pending.task = scope.run(() => this.#observe(operation, context, pending));
    // An operation that never yields ends inside scope.run(), before its task was known.
    if (pending.ended) confirm(pending.task, pending.ended.value, pending);
  }

  /**
   * The payload's operation, watched from inside its task: its error (also that of a `finally`
   * block that failed while it was halted) and its end settle its run. The task's own promise
   * is asked only when the payload was not halted here: a task it spawned may have failed it
   * (then its generator ends like a return, or without an outcome, and only the task knows the
   * error). For a halted task, Effection makes that promise's Error('halted') on demand, and its
   * stack, taken through the generator frames, costs more than the halt itself: ten thousand
   * times over on a shutdown.
   */
  *#observe(operation: Operation<unknown>, context: RunContext, pending: PendingRun): Operation<void> {
    let ended = false;
    try {
      const value = yield* operation;
      ended = true;
      this.#ended(context, pending, value);
    } catch (error) {
      ended = true;
      this.#runs.delete(context);
      pending.reject(isStarlessYield(error) ? starlessYield(context, error) : error);
    } finally {
      if (!ended) this.#ended(context, pending, undefined);
    }
  }

  /** The payload's generator is done, by a return or without an outcome. */
  #ended(context: RunContext, pending: PendingRun, value: unknown): void {
    this.#runs.delete(context);
    // Halted here: if its finally blocks yielded, it ended like a return, but it was cancelled.
    if (this.#cancelled.has(context)) pending.reject(withoutStack(() => cancelled(context)));
    else if (pending.task) confirm(pending.task, value, pending);
    else pending.ended = { value };
  }

  /** Halt one payload: its `finally` blocks run, and its `run()` settles as cancelled. */
  cancel(context: RunContext): void {
    const pending = this.#runs.get(context);
    if (!pending) return;
    this.#cancelled.add(context);
    if (pending.task) this.#haltIn(context, pending.task);
  }

  /**
   * Halt every payload and destroy the scope; resolves once every `finally` block has run, or
   * after the grace period if one hangs (the kernel abandons that payload).
   */
  close(): Promise<void> {
    return (this.#closed ??= this.#halt());
  }

  /**
   * Halt `task` in its payload's async context: its `finally` blocks run inside the halt, and
   * what they leave behind (a timer that throws later) is that payload's, not the caller's of
   * cancel() or close().
   */
  #haltIn(context: RunContext, task: Task<void>): void {
    this.#host.cancelScope(context).run(halt, [task]);
  }

  #open(): Scope {
    if (!this.#scope) [this.#scope, this.#destroy] = createScope();
    return this.#scope;
  }

  async #halt(): Promise<void> {
    const destroy = this.#destroy;
    this.#scope = this.#destroy = undefined;
    if (!destroy) return;
    const { logger, gracePeriod } = this.#host;
    // Wait no longer than the payloads are given to stop: the kernel abandons them then.
    const limit = Math.max(0, ...[...this.#runs.keys()].map((context) => context.shutdownTimeout ?? gracePeriod));
    // Destroying a scope halts its tasks one after another, newest first: one payload whose
    // `finally` hangs would keep every older one from even starting its cleanup. Halt them all
    // at once, as trio cancels a whole cancel scope; destroying the scope then waits for them.
    // A task that cancel() already halts (the kernel cancels every payload before close()) is
    // not halted again: a second halt() costs as much as the first and changes nothing.
    for (const [context, { task }] of this.#runs) {
      if (this.#cancelled.has(context)) continue;
      this.#cancelled.add(context);
      if (task) this.#haltIn(context, task);
    }
    let timer: NodeJS.Timeout | undefined;
    // Infinity (a payload that may take as long as it needs) sets no timer: Node would fire it at once.
    const graceOver = new Promise<'timeout'>((resolve) => {
      if (limit !== Infinity) timer = setTimeout(resolve, limit, 'timeout');
    });
    const destroyed = destroy().then(
      () => 'destroyed' as const,
      (err: unknown) => {
        // The error of a payload whose finally failed: its run() reports it as its outcome.
        logger.debug({ err }, `the trio scope closed with an error its payload reports: ${String(err)}`);
        return 'destroyed' as const;
      },
    );
    const outcome = await Promise.race([destroyed, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      logger.debug(
        { pending: this.#runs.size },
        `the trio scope did not close within ${limit} ms, the time its payloads had to stop: those still in finally are abandoned`,
      );
    }
  }
}

/** A payload's run: its task, and how to settle what `run()` returned. */
interface PendingRun {
  /** Known once `scope.run()` returned. */
  task: Task<void> | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** What its operation returned, when that was before its task was known. */
  ended: { readonly value: unknown } | undefined;
}

/** Resolve with `value` once the task says nothing failed it (a task the payload spawned may have). */
function confirm(task: Task<void>, value: unknown, pending: PendingRun): void {
  task.then(() => pending.resolve(value), pending.reject);
}

/** Call `payload`, and check that it gave an operation: a promise means it is no trio payload. */
function toOperation(payload: TrioPayload, args: readonly unknown[], context: RunContext): Operation<unknown> {
  const operation: unknown = payload(...args);
  if (isOperation(operation)) return operation;
  // It fails here as a trio payload already; its own rejection must not crash the process too.
  if (isThenable(operation)) operation.then(undefined, () => {});
  throw new TypeError(
    `trio payload '${context.name}' returned ${describe(operation)} instead of an Effection operation: trio ` +
      'payloads are generator functions (function*) or functions that return an operation. ' +
      'Did you mean the asyncio flavour?',
  );
}

function halt(task: Task<void>): void {
  task.halt().then(undefined, reportedByTask);
}

/**
 * A halt that fails rejects with the error of the `finally` block that failed; the task's own
 * promise rejects with that error too, and `run()` reports it as the payload's outcome, so the
 * halt's rejection needs no report of its own.
 */
function reportedByTask(): void {}

/**
 * Effection's error for an operation that yielded something that is not an effect: `yield op`
 * instead of `yield* op`, which hands Effection the operation itself.
 */
function isStarlessYield(error: unknown): boolean {
  try {
    return error instanceof TypeError && /\benter is not a function\b/.test(error.message);
  } catch {
    // A proxy whose traps throw, thrown by the payload: reported as it is.
    return false;
  }
}

function starlessYield(context: RunContext, error: unknown): TypeError {
  return new TypeError(
    `trio payload '${context.name}' used 'yield' where it needs 'yield*': an Effection operation is ` +
      "run with yield* (for example 'yield* sleep(100)'); a plain yield hands Effection the operation itself",
    { cause: error },
  );
}

/**
 * Make an error without capturing a stack trace. The stack of a cancellation made here would show
 * only this module's promise handler, and capturing it (through Effection's generator frames)
 * costs more than halting the payload: a third of a 10k-payload shutdown.
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isOperation(value: unknown): value is Operation<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Partial<Operation<unknown>>)[Symbol.iterator] === 'function'
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function describe(value: unknown): string {
  if (isThenable(value)) return 'a promise';
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}
