/** Waiting for a promise at most so long. */
import { maxTimerDelay } from './supervision-options.js';

/**
 * Wait for `promise` at most `ms` milliseconds: its value, or `'timeout'`. `undefined`,
 * `Infinity` or any delay longer than a timer can wait for waits as long as it takes.
 */
export async function within<T>(promise: Promise<T>, ms: number | undefined): Promise<T | 'timeout'> {
  if (ms === undefined || ms > maxTimerDelay) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
