/** Waiting for a promise at most so long. */
import { maxTimerDelay } from './supervision-options.js';

/** A timer that resolves `expired` with `'timeout'` after its delay, unless cleared first; no `expired` if it never does. */
export interface Deadline {
  readonly expired: Promise<'timeout'> | undefined;
  clear(): void;
}

// No shared promise that never settles: every race against one would leave a reaction on it for good.
const never: Deadline = { expired: undefined, clear: () => {} };

/**
 * A deadline `ms` milliseconds from now. `undefined`, `Infinity` or any delay longer than a timer
 * can wait for never expires (and holds no timer).
 */
export function deadline(ms: number | undefined): Deadline {
  if (ms === undefined || ms > maxTimerDelay) return never;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, ms, 'timeout')));
  return { expired, clear: () => clearTimeout(timer) };
}

/** Wait for `promise` until `limit` expires: its value, or `'timeout'`; the limit is cleared either way. */
export async function until<T>(promise: Promise<T>, limit: Deadline): Promise<T | 'timeout'> {
  if (!limit.expired) return promise;
  try {
    return await Promise.race([promise, limit.expired]);
  } finally {
    limit.clear();
  }
}

/**
 * Wait for `promise` at most `ms` milliseconds: its value, or `'timeout'`. `undefined`,
 * `Infinity` or any delay longer than a timer can wait for waits as long as it takes.
 */
export function within<T>(promise: Promise<T>, ms: number | undefined): Promise<T | 'timeout'> {
  return until(promise, deadline(ms));
}
