/**
 * Worker threads that could not be terminated: blocked in a synchronous call (a read that
 * waits, `execSync`, a blocking addon), they never run JavaScript again, so `terminate()` never
 * takes effect. Node.js waits for every thread when the process exits, `process.exit()`
 * included, so one such thread would keep a stopped daemon from ever exiting. While any is
 * still blocked at exit, the process ends itself with SIGKILL, after saying why on stderr.
 */
import { writeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';

const stuck = new Map<Worker, string>();
let guarding = false;

function onExit(code: number): void {
  if (stuck.size === 0) return;
  const names = [...stuck.values()].map((name) => `'${name}'`).join(', ');
  try {
    writeSync(
      2,
      `@cobald/flavour-threading: the worker thread(s) of payload(s) ${names} are blocked in a synchronous call ` +
        `and could not be terminated; Node.js cannot exit while they are, so the process (exit code ${code}) ends with SIGKILL\n`,
    );
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * Make sure the process can exit although `worker`, which ran payload `name`, is stuck.
 *
 * @example
 * guardExit(worker, 'reader');
 */
export function guardExit(worker: Worker, name: string): void {
  stuck.set(worker, name);
  if (!guarding) {
    guarding = true;
    process.on('exit', onExit);
  }
}

/**
 * `worker` has exited after all.
 *
 * @example
 * worker.on('exit', () => releaseExitGuard(worker));
 */
export function releaseExitGuard(worker: Worker): void {
  stuck.delete(worker);
}
