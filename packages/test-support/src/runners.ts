/** Service runners for tests: no signal handlers (jest's `process` never gets real signals), and logs kept. */
import { ServiceRunner, silentLogger, type Logger, type ServiceRunnerOptions } from '@cobald/kernel';

/** One record the runner logged. */
export interface Logged {
  readonly level: 'error' | 'warn';
  readonly msg: string;
  /** The structured part of the record. */
  readonly obj: object;
}

/**
 * A runner for tests with a short grace period (200 ms) whose warnings and errors are kept,
 * oldest first, in live arrays: `logged` (level and message), `messages` (the messages) and
 * `warnings` (the warnings' messages alone).
 *
 * @example
 * const { runner, logged } = testRunner({ gracePeriod: 50 });
 */
export function testRunner(options: ServiceRunnerOptions = {}) {
  const logged: Logged[] = [];
  const messages: string[] = [];
  const warnings: string[] = [];
  const record =
    (level: Logged['level']) =>
    (obj: object, msg = '') => {
      logged.push({ level, msg, obj });
      messages.push(msg);
      if (level === 'warn') warnings.push(msg);
    };
  const logger: Logger = { ...silentLogger, error: record('error'), warn: record('warn') };
  const runner = new ServiceRunner({ handleSignals: false, gracePeriod: 200, logger, ...options });
  return { runner, logged, messages, warnings };
}

/** A runner without signal handlers that logs nothing. */
export function quietRunner(options: ServiceRunnerOptions = {}): ServiceRunner {
  return new ServiceRunner({ handleSignals: false, logger: silentLogger, ...options });
}
