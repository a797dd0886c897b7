/** The service the kit makes when the author gives no `service` option. */
import { service } from '@cobald/kernel';
import type { ServiceSpec } from './options.js';

/**
 * A service whose `run()` runs `spec.run`: it calls the payload with what `run()` was given and
 * then its arguments when it is a function (a flavour of functions runs what `run()` returns, by
 * the kernel's default `bindService` or one that passes `run()` a signal), and returns it otherwise (a flavour whose `bindService` takes the payload
 * from `run()`, such as a command).
 *
 * @example
 * const readyFile = join(tmpdir(), 'poller.ready');
 * const instance = defaultService({
 *   name: 'poller',
 *   flavour: asyncio,
 *   behaviour: { kind: 'ignoresCancel', readyFile },
 *   run: { payload: () => { writeFileSync(readyFile, ''); return new Promise(() => {}); } },
 * });
 */
export function defaultService(spec: ServiceSpec): object {
  const { payload, args = [] } = spec.run;
  const decorate = service({
    flavour: spec.flavour,
    name: spec.name,
    ...(spec.shutdownTimeout === undefined ? {} : { shutdownTimeout: spec.shutdownTimeout }),
  });
  const Service = decorate(
    class ConformanceService {
      // What the flavour's bindService passes to run() (a signal, say) comes first.
      run(...given: unknown[]): unknown {
        return typeof payload === 'function' ? (payload as (...args: readonly unknown[]) => unknown)(...given, ...args) : payload;
      }
    },
  );
  return new Service();
}
