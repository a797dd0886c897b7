import type { ServiceRunnerOptions } from '@cobald/kernel';
import { testRunner as sharedTestRunner } from '@cobald/test-support';
import { setTimeout as delay } from 'node:timers/promises';

/** A runner for tests whose warnings and errors are kept, with a grace period its children can use. */
export const testRunner = (options: ServiceRunnerOptions = {}) => sharedTestRunner({ gracePeriod: 300, ...options });

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
