/**
 * Worker threads that could not be terminated: blocked in a synchronous call (a read that
 * waits, `execSync`, a blocking addon), they never run JavaScript again, so `terminate()` never
 * takes effect. Node.js waits for every thread when the process exits, `process.exit()`
 * included, so one such thread would keep a stopped daemon from ever exiting. While any is
 * still blocked at exit, the process says which payloads' threads are stuck on stderr, runs the
 * rest of its exit listeners, and ends with its own exit code without waiting for them
 * (exit-now.ts).
 */
import { writeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { exitNow } from './exit-now.js';

const stuck = new Map<Worker, string>();
let guarding = false;

function onExit(code: number): void {
  if (stuck.size === 0) return;
  // The listeners after this one run first, as they would have: this one does not return.
  const listeners = process.listeners('exit');
  for (const listener of listeners.slice(listeners.indexOf(onExit) + 1)) {
    try {
      (listener as (code: number) => void).call(process, code);
    } catch (error) {
      writeSync(2, `an exit listener threw: ${String(error)}\n`);
    }
  }
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : code;
  const names = [...stuck.values()].map((name) => `'${name}'`).join(', ');
  try {
    writeSync(
      2,
      `@cobald/flavour-threading: the worker thread(s) of payload(s) ${names} are blocked in a synchronous call ` +
        `and could not be terminated; the process exits with code ${exitCode} without waiting for them\n`,
    );
  } finally {
    exitNow(exitCode);
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
