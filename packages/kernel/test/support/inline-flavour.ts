/**
 * A minimal flavour for testing the kernel on its own: payloads are functions called on the
 * spot; close() cancels every payload that still runs. `startDelay` makes its start slow.
 */
import { cancelled, defineFlavour, type FlavourRunner, type PayloadTypes, type RunContext } from '@cobald/kernel';

export interface InlineTypes extends PayloadTypes {
  readonly payload: (...args: any[]) => unknown;
  readonly args: this['input'] extends (...args: infer A) => unknown ? A : never;
  readonly result: this['input'] extends (...args: any[]) => infer R ? Awaited<R> : never;
}

export interface InlineFlavourOptions {
  name?: string;
  /** Milliseconds before the runner is ready. */
  startDelay?: number;
  /** Record of the runners' lifecycle, for assertions. */
  events?: string[];
  /** Whether close() cancels running payloads; false makes them outlive it (to test abandonment). */
  cancelOnClose?: boolean;
  /**
   * Give the runner a cancel(context), recorded in `events` as `cancel <name>`, that cancels
   * that payload, or (`'deaf'`) does nothing else.
   */
  cancellable?: boolean | 'deaf';
  /** Run each payload in its kernel-owned cancel scope, as asyncio does, so that currentSignal() works. */
  scoped?: boolean;
}

export function inlineFlavour({
  name = 'inline',
  startDelay = 0,
  events = [],
  cancelOnClose = true,
  cancellable = false,
  scoped = false,
}: InlineFlavourOptions = {}) {
  return defineFlavour<InlineTypes>({
    name,
    version: '0.0.0',
    kernel: '*',
    validate(payload) {
      if (typeof payload !== 'function') throw new TypeError(`an ${name} payload is a function`);
    },
    createRunner(host): FlavourRunner<InlineTypes> {
      const running = new Map<RunContext, (error: unknown) => void>();
      const cancel = (context: RunContext) => {
        events.push(`cancel ${context.name}`);
        if (cancellable !== 'deaf') running.get(context)?.(cancelled(context));
      };
      return {
        ...(cancellable ? { cancel } : {}),
        async start() {
          events.push('start');
          if (startDelay) await new Promise((resolve) => setTimeout(resolve, startDelay));
          events.push('ready');
        },
        run(payload, args, context) {
          return new Promise((resolve, reject) => {
            running.set(context, reject);
            Promise.resolve()
              .then(() => (scoped ? host.cancelScope(context).run(payload, args) : payload(...args)))
              .then(resolve, reject)
              .finally(() => running.delete(context));
          });
        },
        async close() {
          events.push('close');
          if (cancelOnClose) for (const [context, reject] of running) reject(cancelled(context));
        },
      };
    },
  });
}

export { deferred } from '../../../test-support/src/index.js';
