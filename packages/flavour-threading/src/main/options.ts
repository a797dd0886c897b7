/** Reading the threading flavour's options, with an error that says what is wrong with each. */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { ThreadingOptions } from '../types.js';

/** The options given as `flavours: { threading: {...} }`, checked, with their defaults. */
export function readOptions(options: Readonly<Record<string, unknown>>): {
  maxWorkers: number;
  resourceLimits: ResourceLimits | undefined;
  forwardChannels: readonly string[];
  startTimeout: number;
} {
  const known = ['maxWorkers', 'resourceLimits', 'forwardChannels', 'startTimeout'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`unknown option '${key}' of the threading flavour (known: ${known.join(', ')})`);
    }
  }
  const { maxWorkers = availableParallelism(), resourceLimits } = options as ThreadingOptions;
  if (!Number.isSafeInteger(maxWorkers) || maxWorkers < 1) {
    throw new TypeError(`threading option 'maxWorkers' must be an integer >= 1, got ${String(maxWorkers)}`);
  }
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
    throw new TypeError("threading option 'resourceLimits' must be an object, as new Worker() takes it");
  }
  checkHeapLimit(resourceLimits?.maxOldGenerationSizeMb);
  checkStackLimit(resourceLimits?.stackSizeMb);
  const { forwardChannels = [] } = options as ThreadingOptions;
  if (!Array.isArray(forwardChannels) || !forwardChannels.every((name) => typeof name === 'string' && name !== '')) {
    throw new TypeError("threading option 'forwardChannels' must be an array of diagnostics channel names");
  }
  const { startTimeout = 30_000 } = options as ThreadingOptions;
  if (!(typeof startTimeout === 'number' && startTimeout > 0 && Number.isFinite(startTimeout))) {
    throw new TypeError(`threading option 'startTimeout' must be a number of milliseconds > 0, got ${String(startTimeout)}`);
  }
  return { maxWorkers, resourceLimits, forwardChannels: [...new Set(forwardChannels)], startTimeout };
}

/**
 * The smallest `resourceLimits.maxOldGenerationSizeMb` accepted. Below about 2.5 MB, V8 on
 * Node 22, 24 and 26 cannot even deserialize a new thread's heap and aborts the whole process
 * ("Fatal JavaScript out of memory: GC during deserialization", SIGTRAP), which nothing can catch
 * (Node 20 fails only that thread); measured on 22.23, 24.22 and 26.12. From 2.5 MB on, a
 * thread that does not fit fails with ERR_WORKER_OUT_OF_MEMORY (a `WorkerCrashed`); a threading
 * worker needs about 6-8 MB to start at all. 4 keeps a margin above the abort.
 */
export const minOldGenerationSizeMb = 4;

function checkHeapLimit(value: unknown): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= minOldGenerationSizeMb)) {
    throw new TypeError(
      `threading option 'resourceLimits.maxOldGenerationSizeMb' must be a number >= ${minOldGenerationSizeMb}, got ${String(value)}: ` +
        `below about 2.5 MB, V8 on Node 22 and later aborts the whole process when a thread starts, and a ` +
        `threading worker needs about 8 MB to start at all`,
    );
  }
}

/**
 * The smallest `resourceLimits.stackSizeMb` accepted. With 0.2 MB a thread overflows its stack
 * while it starts and takes the whole process with it (abort on Node 20, a segmentation fault
 * on 22, exit codes 10 and 7 on 24 and 26; measured on 20.20, 22.23, 24.22, 26.12); from about
 * 0.25 MB the thread fails alone (a `WorkerCrashed`), and a threading worker runs from 0.3 MB.
 */
export const minStackSizeMb = 0.5;

function checkStackLimit(value: unknown): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= minStackSizeMb)) {
    throw new TypeError(
      `threading option 'resourceLimits.stackSizeMb' must be a number >= ${minStackSizeMb}, got ${String(value)}: ` +
        `with less than about 0.25 MB a worker thread overflows its stack while it starts and ends the whole ` +
        `process (Node.js 20 to 26)`,
    );
  }
}
