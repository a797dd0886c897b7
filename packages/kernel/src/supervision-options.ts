/**
 * How an adopted payload or a service is supervised: whether it is restarted (OTP's and
 * systemd's restart policies), how often at most, how long to wait between restarts, and how
 * long it gets to stop. The default is cobald's: never restart, any failure is fatal.
 */

/**
 * When to restart a payload that ended:
 * - `'never'`: any failure or returned value is fatal to the runtime (cobald's default);
 * - `'on-failure'`: restart after a failure (an error, or a returned value); ending with
 *   `undefined` is done;
 * - `'always'`: restart after it ended in any way, until the runtime stops.
 */
export type RestartMode = 'never' | 'on-failure' | 'always';

/** Supervision options of `adopt()` and of `@service()`. */
export interface SupervisionOptions {
  /** When to restart the payload. Default `'never'`. */
  readonly restart?: RestartMode;
  /**
   * At most `restarts` restarts within `within` milliseconds; one more is escalated as fatal,
   * as an OTP supervisor's intensity. Default 3 within 5000 ms.
   */
  readonly intensity?: { readonly restarts: number; readonly within: number };
  /**
   * The wait before a restart: `initial` ms, times `factor` for each further restart within
   * the intensity period, at most `max` ms. Default 100 ms, factor 2, at most 5000 ms.
   */
  readonly backoff?: { readonly initial?: number; readonly factor?: number; readonly max?: number };
  /**
   * Milliseconds this payload gets to stop when the runtime shuts down, instead of the
   * runner's grace period; then it is abandoned (its flavour has already stopped it as well as
   * it can: aborted, halted or terminated). `Infinity` waits as long as it takes.
   */
  readonly shutdownTimeout?: number;
}

/** A restart policy in effect, with every default filled in. */
export interface RestartPolicy {
  readonly mode: 'on-failure' | 'always';
  readonly maxRestarts: number;
  readonly within: number;
  readonly initial: number;
  readonly factor: number;
  readonly max: number;
}

const modes: readonly RestartMode[] = ['never', 'on-failure', 'always'];

/** The policy that `options` ask for, or undefined for `'never'`; throws a TypeError for bad options. */
export function restartPolicy(options: SupervisionOptions): RestartPolicy | undefined {
  const { restart = 'never', intensity, backoff, shutdownTimeout } = options;
  if (!modes.includes(restart)) {
    throw new TypeError(`'restart' must be one of ${modes.map((m) => `'${m}'`).join(', ')}, got ${String(restart)}`);
  }
  if (shutdownTimeout !== undefined) checkMilliseconds('shutdownTimeout', shutdownTimeout, true);
  if (intensity !== undefined) {
    if (typeof intensity !== 'object' || intensity === null) throw new TypeError("'intensity' must be { restarts, within }");
    count('intensity.restarts', intensity.restarts);
    // A period to count restarts in, not a timer: any length is fine, Infinity is "ever"; 0
    // would count no restart at all, and so never stop a restart loop (OTP requires >= 1).
    checkMilliseconds('intensity.within', intensity.within, true, false);
    if (intensity.within === 0)
      throw new TypeError("'intensity.within' must be more than 0 ms: a period of 0 counts no restart and never stops a loop");
  }
  if (backoff !== undefined) {
    if (typeof backoff !== 'object' || backoff === null) throw new TypeError("'backoff' must be { initial?, factor?, max? }");
    if (backoff.initial !== undefined) checkMilliseconds('backoff.initial', backoff.initial, false);
    if (backoff.max !== undefined) checkMilliseconds('backoff.max', backoff.max, false);
    if (backoff.factor !== undefined && !(typeof backoff.factor === 'number' && backoff.factor >= 1)) {
      throw new TypeError(`'backoff.factor' must be a number >= 1, got ${String(backoff.factor)}`);
    }
  }
  if (restart === 'never') return undefined;
  return {
    mode: restart,
    maxRestarts: intensity?.restarts ?? 3,
    within: intensity?.within ?? 5000,
    initial: backoff?.initial ?? 100,
    factor: backoff?.factor ?? 2,
    max: backoff?.max ?? 5000,
  };
}

/** The wait before the `n`th restart (0-based) within the intensity period. */
export function backoffDelay(policy: RestartPolicy, n: number): number {
  return Math.min(policy.max, policy.initial * policy.factor ** n);
}

/** The longest delay Node's timers take; a longer one fires after 1 ms instead. */
export const maxTimerDelay = 2 ** 31 - 1;

/**
 * Check a duration in milliseconds: a number >= 0 that a timer can wait for (at most
 * {@link maxTimerDelay}, about 24.8 days), or `Infinity` where `forever` allows waiting forever.
 * `timer: false` for a period that no timer waits for. Throws a `TypeError` that says what fits.
 */
export function checkMilliseconds(name: string, value: unknown, forever: boolean, timer = true): void {
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (value === Infinity ? forever : Number.isFinite(value) && (!timer || value <= maxTimerDelay));
  if (ok) return;
  const range = timer ? `from 0 to ${maxTimerDelay} (about 24.8 days)` : '>= 0';
  throw new TypeError(
    `'${name}' must be a number of milliseconds ${range}${forever ? ', or Infinity to wait forever' : ''}, got ${String(value)}`,
  );
}

function count(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw new TypeError(`'${name}' must be a whole number >= 0, got ${String(value)}`);
  }
}
