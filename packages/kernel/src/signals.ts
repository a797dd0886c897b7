/**
 * SIGINT and SIGTERM while a runner accepts: the first asks for a graceful shutdown, one that
 * arrives while the runner already stops forces the process to exit, as daemons do.
 */
import { constants } from 'node:os';

const shutdownSignals = ['SIGINT', 'SIGTERM'] as const;
export type ShutdownSignal = (typeof shutdownSignals)[number];

/** Call `onSignal` on SIGINT and SIGTERM until the returned function removes the handlers. */
export function trapShutdownSignals(onSignal: (signal: ShutdownSignal) => void): () => void {
  const handler = (signal: ShutdownSignal): void => onSignal(signal);
  for (const signal of shutdownSignals) process.on(signal, handler);
  return () => {
    for (const signal of shutdownSignals) process.off(signal, handler);
  };
}

/** End the process at once, with the exit code a shell gives for death by `signal`. */
export function forceExit(signal: ShutdownSignal): never {
  process.exit(128 + constants.signals[signal]);
}
