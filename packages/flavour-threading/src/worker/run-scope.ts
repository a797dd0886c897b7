/**
 * In the worker: the cancel scope of one run, which also tells whose code is running. Each run
 * is called inside a kernel `CancelScope` (so `currentSignal()` in the payload is its signal);
 * this one knows its run's id, so that an uncaught error, in whatever timer or promise of the
 * payload it was thrown, is blamed on the run it came from, through the one async context the
 * run has.
 */
import { CancelScope, currentSignal } from '@cobald/kernel';

/** The run of each signal handed out, found from `currentSignal()` by {@link currentRun}. */
const runOfSignal = new WeakMap<AbortSignal, number>();

/**
 * The cancel scope of run `id`.
 *
 * @example
 * const scope = new RunScope(7);
 * scope.run(payload, args); // currentRun() inside is 7
 */
export class RunScope extends CancelScope {
  #known = false;

  constructor(readonly id: number) {
    super();
  }

  override get signal(): AbortSignal {
    const signal = super.signal;
    if (!this.#known) {
      this.#known = true;
      runOfSignal.set(signal, this.id);
    }
    return signal;
  }
}

/**
 * The id of the run whose code is running now (after any number of awaits and timers), or
 * undefined outside every run. Asks for the scope's signal, so call it only when it matters
 * (an uncaught error), not on every run.
 */
export function currentRun(): number | undefined {
  try {
    return runOfSignal.get(currentSignal());
  } catch {
    return undefined; // outside every scope
  }
}
