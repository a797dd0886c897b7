import { ServiceRunner, silentLogger, type Logger, type ServiceRunnerOptions } from '@cobald/kernel';

/** A runner for tests: no signal handlers, a short grace period, and a logger that records. */
export function testRunner(options: ServiceRunnerOptions = {}) {
  const logged: { level: string; msg: string }[] = [];
  const record = (level: string) => (_obj: object, msg?: string) => logged.push({ level, msg: msg ?? '' });
  const logger: Logger = { ...silentLogger, error: record('error'), warn: record('warn') };
  const runner = new ServiceRunner({ handleSignals: false, gracePeriod: 200, logger, ...options });
  return { runner, logged };
}
