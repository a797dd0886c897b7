/**
 * SIGINT and SIGTERM from the first moment of the `cobald` process. Loading the daemon's own
 * modules and setting up logging takes a while (over a second on a busy machine); a signal then
 * would kill the daemon by its default action, with no record. The executable holds them from
 * its first line, and the start's guard takes them over (and acts on them) once it listens.
 * This module imports nothing, so that holding begins before anything else loads.
 */

/** The signals that stop the daemon. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

let held: { readonly signals: StopSignal[]; readonly hold: (signal: StopSignal) => void } | undefined;

/**
 * Catch SIGINT and SIGTERM and keep them, until `releaseStopSignals()`.
 *
 * @example
 * holdStopSignals();
 * const { main } = await import('./main.js'); // takes a while; a SIGTERM meanwhile is kept
 */
export function holdStopSignals(): void {
  if (held) return;
  const signals: StopSignal[] = [];
  const hold = (signal: StopSignal): void => {
    signals.push(signal);
  };
  held = { signals, hold };
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
}

/**
 * Stop holding, and return the signals kept so far, oldest first. Call it after installing the
 * handler that takes over, so that no signal finds the process without one.
 */
export function releaseStopSignals(): StopSignal[] {
  if (!held) return [];
  const { signals, hold } = held;
  held = undefined;
  process.off('SIGINT', hold);
  process.off('SIGTERM', hold);
  return signals;
}
