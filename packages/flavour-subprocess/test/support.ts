import { ServiceRunner, silentLogger, type Logger, type ServiceRunnerOptions } from '@cobald/kernel';
import { setTimeout as delay } from 'node:timers/promises';

/** A runner for tests: no signal handlers, a short grace period, and a logger that records. */
export function testRunner(options: ServiceRunnerOptions = {}) {
  const logged: { level: string; msg: string }[] = [];
  const record = (level: string) => (_obj: object, msg?: string) => logged.push({ level, msg: msg ?? '' });
  const logger: Logger = { ...silentLogger, error: record('error'), warn: record('warn') };
  const runner = new ServiceRunner({ handleSignals: false, gracePeriod: 300, logger, ...options });
  return { runner, logged };
}

/** A node script as a command: `node -e <source> <args>`. */
export const node = (source: string, ...args: string[]) => ({ command: process.execPath, args: ['-e', source, ...args] });

/** Whether process `pid` is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait until `check()` holds, for at most `ms`. */
export async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await delay(20);
  }
  return true;
}
