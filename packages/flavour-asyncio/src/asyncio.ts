/**
 * The asyncio flavour: payloads are functions that return a value or a promise. Each runs in
 * a {@link CancelScope}, so `currentSignal()` inside it gives the signal the runtime aborts when
 * the payload must stop; an `AbortError` after that abort is a cancellation, not a failure.
 */
import {
  CancelScope,
  cancelled,
  defineFlavour,
  registerFlavour,
  type FlavourRunner,
  type PayloadTypes,
  type RunContext,
} from '@cobald/kernel';
import { version } from './version.js';

/** The payload types of the asyncio flavour: any function; its result is awaited. */
export interface AsyncioTypes extends PayloadTypes {
  readonly payload: (...args: any[]) => unknown;
  readonly args: this['input'] extends (...args: infer A) => unknown ? A : never;
  readonly result: this['input'] extends (...args: any[]) => infer R ? Awaited<R> : never;
}

type AsyncioPayload = AsyncioTypes['payload'];

class AsyncioRunner implements FlavourRunner<AsyncioTypes> {
  readonly #running = new Map<RunContext, CancelScope>();
  #closed = false;

  run(payload: AsyncioPayload, args: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closed) return Promise.reject(cancelled(context, stopReason));
    const scope = new CancelScope();
    this.#running.set(context, scope);
    let result: unknown;
    try {
      result = scope.run(payload, args);
    } catch (error) {
      this.#running.delete(context);
      return Promise.reject(error);
    }
    if (!isThenable(result)) {
      // A sync payload has ended already: no callbacks to allocate, no microtask to wait for.
      this.#running.delete(context);
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.#running.delete(context);
        return value;
      },
      (error: unknown) => {
        this.#running.delete(context);
        throw scope.cancelled && isAbort(error) ? cancelled(context, error) : error;
      },
    );
  }

  cancel(context: RunContext): void {
    this.#running.get(context)?.cancel(stopReason);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const scope of this.#running.values()) scope.cancel(stopReason);
  }
}

/** The reason every cancelled payload's signal aborts with. */
const stopReason = new DOMException('the runtime is stopping this payload', 'AbortError');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

// By name, not instanceof: Node's own AbortError may come from another realm than ours.
function isAbort(error: unknown): boolean {
  return error === stopReason || (typeof error === 'object' && error !== null && (error as Error).name === 'AbortError');
}

/**
 * The asyncio flavour. Importing this package registers it, so `{ flavour: 'asyncio' }` works
 * too. On shutdown each payload's signal aborts; payloads get the runner's grace period to
 * settle, then they are abandoned and logged.
 *
 * @example
 * import { runtime, currentSignal } from '@cobald/kernel';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * const body = await runtime.execute(
 *   async (url: string) => (await fetch(url, { signal: currentSignal() })).text(),
 *   { flavour: asyncio, args: ['http://localhost:8080/'] },
 * );
 */
export const asyncio = defineFlavour<AsyncioTypes>({
  name: 'asyncio',
  version,
  kernel: '^0.1.0',
  validate(payload) {
    if (typeof payload !== 'function') {
      throw new TypeError(
        `an asyncio payload is a function (sync or async), got ${payload === null ? 'null' : typeof payload}`,
      );
    }
  },
  createRunner: () => new AsyncioRunner(),
});

registerFlavour(asyncio);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    asyncio: typeof asyncio;
  }
}
