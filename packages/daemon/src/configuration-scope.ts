/**
 * The configuration's own code, told apart from everything else: its import and its default
 * function run in an async context of their own, which every promise, timer and callback they
 * start keeps. An error that escapes such code (a promise the configuration forgot to await,
 * rejected by I/O that failed after the configuration had loaded) is the configuration's failure,
 * exit 2, also when it arrives after the daemon accepted: the kernel can only say that it
 * escaped outside any payload.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export class ConfigurationScope {
  readonly #context = new AsyncLocalStorage<true>();
  readonly #escaped = new Set<unknown>();

  /** Run `work` as the configuration's code. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.#context.run(true, work);
  }

  /**
   * Note the errors that escape the configuration's code from now on, until the returned
   * function is called. Only while someone else handles them (the kernel, while it accepts): a
   * listener of `unhandledRejection` is a handler, and would keep Node.js from crashing.
   */
  watch(): () => void {
    const note = (error: unknown): void => {
      if (this.#context.getStore()) this.#escaped.add(error);
    };
    process.on('uncaughtExceptionMonitor', note);
    process.on('unhandledRejection', note);
    return () => {
      process.off('uncaughtExceptionMonitor', note);
      process.off('unhandledRejection', note);
    };
  }

  /** Whether `error` escaped the configuration's code while {@link watch} noted. */
  escaped(error: unknown): boolean {
    return this.#escaped.has(error);
  }
}
