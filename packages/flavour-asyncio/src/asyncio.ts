/**
 * The asyncio flavour: payloads are functions that return a value or a promise. Each runs in
 * a {@link CancelScope}, so `currentSignal()` inside it gives the signal the runtime aborts when
 * the payload must stop; an `AbortError` after that abort is a cancellation, not a failure.
 */
import {
  cancelled,
  defineFlavour,
  registerFlavour,
  type FlavourHost,
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

const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

class AsyncioRunner implements FlavourRunner<AsyncioTypes> {
  readonly #host: FlavourHost;
  #closed = false;

  constructor(host: FlavourHost) {
    this.#host = host;
  }

  // The kernel owns each payload's cancel scope: it cancels it when the payload must stop and
  // takes the AbortError that follows for a cancellation. So nothing is chained to the payload's
  // promise here, and there is no list of payloads to keep.
  run(payload: AsyncioPayload, args: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closed) return Promise.reject(cancelled(context));
    try {
      // For a native promise, Promise.resolve() is that promise itself.
      return Promise.resolve(this.#host.cancelScope(context).run(payload, args));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
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
      throw new TypeError(`an asyncio payload is a function (sync or async), got ${payload === null ? 'null' : typeof payload}`);
    }
    // Called, a generator function only makes a generator: its body would never run.
    const kind = payload.constructor;
    if (kind === GeneratorFunction || kind === AsyncGeneratorFunction) {
      throw new TypeError(
        `asyncio payload '${payload.name || 'anonymous'}' is a generator function, whose body asyncio would never ` +
          'run: a function* is a trio payload (Effection operation), use the trio flavour; or make it an async function',
      );
    }
  },
  createRunner: (host) => new AsyncioRunner(host),
});

registerFlavour(asyncio);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    asyncio: typeof asyncio;
  }
}
