/**
 * Errors that escape every promise: an exception thrown by a timer or an emitter, or a promise
 * rejected with nobody to observe it. Without a handler Node ends the process at once, with no
 * graceful stop; while a runner accepts, it handles them instead, and the async context of the
 * error tells which payload it came from (see `ServiceRunner`'s `handleUncaught`).
 */

/** Where an error escaped: Node's names for the two ways. */
export type UncaughtOrigin = 'uncaughtException' | 'unhandledRejection';

/**
 * Call `onError` for every uncaught exception and unhandled rejection until the returned
 * function removes the handlers. `onError` runs in the async context the error escaped from.
 */
export function trapUncaught(onError: (error: unknown, origin: UncaughtOrigin) => void): () => void {
  const onException = (error: unknown): void => onError(error, 'uncaughtException');
  const onRejection = (reason: unknown): void => onError(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
