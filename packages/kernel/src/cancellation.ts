/**
 * Cancellation of promise-based payloads: a {@link CancelScope} per payload, found through
 * async context by {@link currentSignal}. The `AbortController` behind a scope is made only
 * when someone asks for the signal: most payloads never do, and a controller costs several
 * times more than running a trivial payload.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<CancelScope>();

/**
 * The cancellation state of one payload. Flavours run a payload inside its scope with
 * {@link CancelScope.run}, and cancel it when the runtime stops.
 *
 * @example
 * const scope = new CancelScope();
 * const done = scope.run(async () => { await sleep(1000, undefined, { signal: currentSignal() }); });
 * scope.cancel(new Error('stop')); // the sleep rejects with an AbortError
 */
export class CancelScope {
  /**
   * @internal The kernel's node of the payload this scope belongs to: what runs in the scope
   * (after any number of awaits, timers and emitters) is that payload's work.
   */
  owner: object | undefined = undefined;
  #controller: AbortController | undefined;
  #cancelled = false;
  #reason: unknown;

  /** The signal that aborts when the scope is cancelled; made on first use. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Cancel the scope: its signal aborts with `reason`. Later calls do nothing. */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** Call `fn(...args)` so that {@link currentSignal} inside it, and in all it awaits, is this scope's. */
  run<R>(fn: (...args: any[]) => R, args: readonly unknown[]): R {
    return storage.run(this, fn, ...args);
  }
}

/**
 * @internal The cancel scope whose code runs now: the scope of one run of a payload (a restart
 * gets a new one), so an error can be told to come from the current run or an earlier one.
 */
export function currentScope(): CancelScope | undefined {
  return storage.getStore();
}

/**
 * The reason the runtime cancels a payload's scope with: an `AbortError`, as aborted fetches
 * and timers throw it, so that payloads and the kernel can tell a cancellation by its name.
 */
export const stopReason = new DOMException('the runtime is stopping this payload', 'AbortError');

/**
 * The `AbortSignal` of the payload that is running: it aborts when the runtime stops the
 * payload. Pass it on to whatever the payload waits for (timers, fetch, streams) so that it
 * ends promptly; a payload that ignores it is abandoned after the runner's grace period.
 *
 * @throws Error when called outside a payload of a flavour that provides signals (asyncio).
 *
 * @example
 * import { setTimeout as sleep } from 'node:timers/promises';
 * import { runtime, currentSignal } from '@cobald/kernel';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * runtime.adopt(async () => {
 *   const signal = currentSignal();
 *   while (!signal.aborted) await sleep(1_000, undefined, { signal }).catch(() => {});
 * }, { flavour: asyncio });
 */
export function currentSignal(): AbortSignal {
  const scope = storage.getStore();
  if (!scope) {
    throw new Error(
      'currentSignal() was called outside a payload: call it inside a payload run by a ' +
        'ServiceRunner with a flavour that provides signals (asyncio)',
    );
  }
  return scope.signal;
}
