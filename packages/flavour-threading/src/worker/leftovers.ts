/**
 * In the worker: what a run leaves behind. A thread is given another payload only when nothing
 * of its last one can still run there (and fail the next one): no timer, unreferenced ones
 * included, no socket or other handle.
 *
 * While a run is in progress, an `async_hooks` init hook counts the async resources created
 * (promises, timers, immediates, ticks, handles) and keeps its timers. A run that created none
 * and returned a plain value left nothing behind, and is answered at once. Otherwise, after it
 * settled and a turn of the event loop (its unhandled rejections have been reported by then):
 * more referenced resources than the thread had when it started (`process.getActiveResourcesInfo()`)
 * means something is left; an unreferenced timer does not show there, so each one the run made
 * is referenced for a moment to see whether it is still pending (then it counts).
 */
import { createHook } from 'node:async_hooks';

let tracking = false;
let created = 0;
let timers: NodeJS.Timeout[] = [];

createHook({
  init(_id, type, _trigger, resource) {
    if (!tracking) return;
    created++;
    if (type === 'Timeout') timers.push(resource as NodeJS.Timeout);
  },
}).enable();

/** What is active in this thread when it runs nothing; taken once the worker is set up. */
let baseline = new Map<string, number>();

/** Take what is active now as what the thread has of its own. */
export function takeBaseline(): void {
  baseline = activeResources();
}

/** A run begins: count what it creates from now on. */
export function beginRun(): void {
  tracking = true;
  created = 0;
  timers = [];
}

/** Stop counting for the worker's own work (a `then`, a `setImmediate` of its own) and resume. */
export function pauseTracking(): boolean {
  const was = tracking;
  tracking = false;
  return was;
}
export function resumeTracking(was: boolean): void {
  tracking = was;
}

/** Whether the run has created no async resource at all so far. */
export function createdNothing(): boolean {
  return created === 0;
}

/** The run has ended: whether it left anything behind that could still run here. */
export function endRun(): boolean {
  tracking = false;
  if (created === 0) return false;
  const now = activeResources();
  for (const [type, count] of now) if (count > (baseline.get(type) ?? 0)) return true;
  const pending = now.get('Timeout') ?? 0;
  for (const timer of timers) {
    if (timer.hasRef()) continue; // counted above, if pending
    // Referencing a pending timer counts it among the active resources; a fired or cleared one not.
    timer.ref();
    const counted = countTimeouts();
    timer.unref();
    if (counted > pending) return true;
  }
  timers = [];
  return false;
}

function countTimeouts(): number {
  let count = 0;
  for (const type of process.getActiveResourcesInfo()) if (type === 'Timeout') count++;
  return count;
}

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}
