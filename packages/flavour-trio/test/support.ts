/** Helpers shared by the trio tests: a quiet runner and a promise with its resolvers. */
import { ServiceRunner, silentLogger, type ServiceRunnerOptions } from '@cobald/kernel';

/** A runner without signal handlers that logs nothing. */
export function quietRunner(options: ServiceRunnerOptions = {}): ServiceRunner {
  return new ServiceRunner({ handleSignals: false, logger: silentLogger, ...options });
}

/** A promise with its resolvers (Promise.withResolvers needs Node 22). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The number of active timers of the process. */
export const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
