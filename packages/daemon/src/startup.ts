/**
 * The daemon's start, before the runtime accepts: importing the configuration and running its
 * default function. The kernel handles signals and escaped errors only while it accepts; until
 * then the daemon does. A SIGINT or SIGTERM is logged and asks the configuration to stop (its
 * `signal` aborts), which is then waited for, within the grace period; an error that escapes
 * the configuration's code is its failure; a start that takes longer than the start timeout,
 * or that waits on a promise nothing can settle any more (the event loop is empty), is
 * reported instead of hanging or ending with Node's bare exit code 13. So is a configuration
 * that calls `accept()` itself (the single-file pattern of a plain Node.js script): its import
 * would never end while the runtime runs, unseen by the daemon, until the start timeout cut it.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Logger as PinoLogger } from 'pino';
import { describe } from './describe.js';
import { releaseStopSignals, type StopSignal } from './early-signals.js';

/** How the start ended. */
export type StartOutcome<T> =
  /** The configuration is loaded: accept. */
  | { readonly kind: 'started'; readonly value: T }
  /** The start's own work failed (it threw or rejected); nothing is logged yet. */
  | { readonly kind: 'failed'; readonly error: unknown }
  /** A signal asked to stop, and the configuration's work stopped in time (or nothing of it was left). */
  | { readonly kind: 'stopped'; readonly signal: StopSignal }
  /**
   * The start could not go on: it took too long, it can never finish, or an error escaped the
   * configuration's code. Already logged.
   */
  | { readonly kind: 'broken' }
  /** A second signal, or the configuration's work did not stop within the grace period. Already logged. */
  | { readonly kind: 'forced'; readonly signal: StopSignal | undefined };

/** Why a start stops before it accepts. */
type Interruption = Extract<StartOutcome<never>, { kind: 'stopped' | 'broken' }>;

/** How long the start may take, and how long the configuration gets to stop. */
export interface StartupOptions {
  readonly logger: PinoLogger;
  /** Milliseconds the start may take; `Infinity` for no limit. */
  readonly timeout: number;
  /** Milliseconds the configuration's work gets to stop once asked to. */
  readonly gracePeriod: number;
}

/** The runtime the daemon accepts on: stopped if the configuration accepts on it itself. */
export interface StartingRuntime {
  shutdown(): Promise<void>;
}

/** The longest delay Node's timers keep; a longer one would fire at once. */
const maxDelay = 2 ** 31 - 1;

/**
 * Guards the start: from `listen()` until `dispose()`, SIGINT, SIGTERM, uncaught exceptions and
 * unhandled rejections are the daemon's. Call `listen()` before the daemon logs anything, so
 * that a supervisor that has seen a record knows its signals are handled, and `dispose()` only
 * once `runtime.accept()` has installed the kernel's handlers, so that no signal finds the
 * process without one (its default action would kill the daemon with no record).
 *
 * @example
 * const startup = new Startup({ logger, timeout: 60_000, gracePeriod: 3000 });
 * startup.listen();
 * try {
 *   const outcome = await startup.run(runtime, (signal) => loadAndSetUp(signal));
 *   if (outcome.kind === 'started') accepting = runtime.accept();
 * } finally {
 *   startup.dispose();
 * }
 */
export class Startup {
  readonly #options: StartupOptions;
  readonly #controller = new AbortController();
  readonly #timers = new Set<NodeJS.Timeout>();
  #signalled = false;
  /** Why the start stops before it accepts, once something interrupted it. */
  #interruption: Interruption | undefined;
  #finish: ((outcome: StartOutcome<never>) => void) | undefined;
  #listening = false;
  /** Whether the start is still under way: from `listen()` until `run()` resolves. */
  #starting = false;
  /** A second signal before `run()`: the start ends as soon as it is run. */
  #forced: StartOutcome<never> | undefined;
  #runtime: StartingRuntime | undefined;

  constructor(options: StartupOptions) {
    this.#options = options;
  }

  /**
   * Run the start's `work`, guarded, and resolve with how the start ended. Call it once, after
   * `listen()`. If a signal came before, the work is not begun.
   */
  run<T>(runtime: StartingRuntime, work: (signal: AbortSignal) => Promise<T>): Promise<StartOutcome<T>> {
    this.#runtime = runtime;
    subscribe('cobald:runtime', this.#onRuntime);
    const { timeout } = this.#options;
    if (timeout !== Infinity) {
      this.#timer(Math.min(timeout, maxDelay), () => {
        this.#options.logger.fatal(
          { timeout },
          `the configuration did not finish loading within ${timeout} ms (--start-timeout); stopping it`,
        );
        this.#interrupt({ kind: 'broken' }, new Error(`the start timeout of ${timeout} ms is over`));
      });
    }
    return new Promise<StartOutcome<T>>((resolve) => {
      let done = false;
      const finish = (outcome: StartOutcome<T>): void => {
        if (done) return;
        done = true;
        this.#finish = undefined;
        this.#starting = false;
        unsubscribe('cobald:runtime', this.#onRuntime);
        for (const timer of this.#timers) clearTimeout(timer);
        this.#timers.clear();
        resolve(outcome);
      };
      this.#finish = finish;
      // Stopped before it began (a signal while the daemon loaded the kernel): nothing to run.
      const early = this.#forced ?? this.#interruption;
      if (early) {
        finish(early);
        return;
      }
      work(this.#controller.signal).then(
        (value) => finish(this.#interruption ?? { kind: 'started', value }),
        (error: unknown) => {
          const interruption = this.#interruption;
          if (!interruption) return finish({ kind: 'failed', error });
          if (!isAbort(error, this.#controller.signal)) {
            this.#options.logger.error({ err: error }, `the configuration failed while it stopped: ${describe(error)}`);
          }
          finish(interruption);
        },
      );
    });
  }

  /** Hand signals and escaped errors back: to the kernel, once it accepts. */
  dispose(): void {
    if (!this.#listening) return;
    this.#listening = false;
    for (const [event, handler] of this.#handlers()) process.off(event, handler);
  }

  /** Take SIGINT, SIGTERM and escaped errors from now on: call it before the first record. */
  listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#starting = true;
    for (const [event, handler] of this.#handlers()) process.on(event, handler);
    // What the executable kept from before the daemon could log (see early-signals.ts).
    for (const signal of releaseStopSignals()) this.#onSignal(signal);
  }

  /** The process's events that the guard takes while it listens, each with its handler. */
  #handlers(): [string, (...args: any[]) => void][] {
    return [
      ['SIGINT', this.#onSignal],
      ['SIGTERM', this.#onSignal],
      ['uncaughtException', this.#onException],
      ['unhandledRejection', this.#onRejection],
      ['beforeExit', this.#onEmptyLoop],
    ];
  }

  readonly #onSignal = (signal: StopSignal): void => {
    // After the start ended, until the kernel's handlers take over: the kernel's turn.
    if (!this.#starting) return;
    const { logger } = this.#options;
    if (this.#signalled) {
      logger.error({ signal }, `${signal} while stopping before accepting: forcing exit`);
      this.#forced = { kind: 'forced', signal };
      this.#finish?.(this.#forced);
      return;
    }
    this.#signalled = true;
    if (this.#interruption) {
      logger.info({ signal }, `${signal}: already stopping before accepting; another signal forces the exit`);
      return;
    }
    logger.info({ signal }, `${signal} while the configuration loads: stopping before accepting`);
    this.#interrupt({ kind: 'stopped', signal }, new Error(`${signal} while the configuration loads`));
  };

  /** A runner began to accept while the configuration loads: the configuration called accept(). */
  readonly #onRuntime = (event: unknown): void => {
    if (!this.#finish || (event as { state?: unknown }).state !== 'running' || this.#interruption) return;
    this.#options.logger.fatal(
      {},
      'the configuration calls accept() itself: under cobald run the daemon accepts, so remove that call ' +
        '(or run the module with node); stopping the runtime',
    );
    this.#interrupt({ kind: 'broken' }, new Error('the configuration calls accept() itself'));
    void this.#runtime?.shutdown();
  };

  readonly #onException = (error: unknown): void => this.#escaped(error, 'uncaughtException');
  readonly #onRejection = (reason: unknown): void => this.#escaped(reason, 'unhandledRejection');

  #escaped(error: unknown, origin: string): void {
    const { logger } = this.#options;
    if (!this.#finish) {
      logger.error({ err: error, origin }, `an error escaped before the runtime accepted (${origin}): ${describe(error)}`);
      return;
    }
    if (this.#interruption) {
      logger.error({ err: error, origin }, `an error escaped the configuration while it stopped (${origin}): ${describe(error)}`);
      return;
    }
    logger.fatal({ err: error, origin }, `an error escaped the configuration while it loaded (${origin}): ${describe(error)}`);
    this.#interrupt({ kind: 'broken' }, error instanceof Error ? error : new Error(describe(error)));
  }

  /** The event loop is empty: the start's work waits on something that can never happen. */
  readonly #onEmptyLoop = (): void => {
    const finish = this.#finish;
    if (!finish) return;
    if (this.#interruption) {
      // Nothing of the configuration's work can still run: it has stopped, as far as it can.
      finish(this.#interruption);
      return;
    }
    this.#options.logger.fatal(
      {},
      'the configuration never finishes loading: it awaits a promise that nothing is left to settle (the event loop is empty)',
    );
    finish({ kind: 'broken' });
  };

  /** Ask the configuration's work to stop, and give it the grace period to do so. */
  #interrupt(interruption: Interruption, reason: Error): void {
    if (this.#interruption) return;
    this.#interruption = interruption;
    this.#controller.abort(reason);
    const { gracePeriod, logger } = this.#options;
    if (gracePeriod === Infinity) return;
    this.#timer(Math.min(gracePeriod, maxDelay), () => {
      logger.error({ gracePeriod }, `the configuration did not stop within the grace period of ${gracePeriod} ms: forcing exit`);
      this.#finish?.({ kind: 'forced', signal: interruption.kind === 'stopped' ? interruption.signal : undefined });
    });
  }

  /** A timer that does not keep the process alive: an empty event loop is reported at once instead. */
  #timer(ms: number, callback: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}

/** Whether `error` is (or wraps, as a `ConfigError` does) the abort of `signal`. */
function isAbort(error: unknown, signal: AbortSignal): boolean {
  for (let depth = 0; depth < 4 && error !== undefined; depth++) {
    if (error === signal.reason || (error instanceof Error && error.name === 'AbortError')) return true;
    error = error instanceof Error ? error.cause : undefined;
  }
  return false;
}
