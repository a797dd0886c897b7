/** Reading the threading flavour's options, with an error that says what is wrong with each. */
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import type { ThreadingOptions } from './types.js';

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
