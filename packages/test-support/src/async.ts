/** Small promise helpers for tests. */

/** A promise with its resolvers (`Promise.withResolvers` needs Node 22). */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolve once `check()` holds; reject after `timeout` ms. */
export async function until(check: () => boolean, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeout} ms`);
    await sleep(5);
  }
}

/** For `.then(unexpected, (err) => err)`: a promise that should have rejected resolved. */
export function unexpected(value: unknown): never {
  throw new Error(`expected a rejection, got ${String(value)}`);
}

/** The number of active timers of the process. */
export const activeTimers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
