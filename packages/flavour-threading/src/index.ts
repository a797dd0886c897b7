/** @cobald/flavour-threading: payloads of the cobald-ts runtime in worker threads. */
export { threading } from './threading.js';
export { ThreadingRunner } from './main/runner.js';
export { WorkerCrashed, PayloadSourceError } from './errors.js';
export type { ThreadingTypes, ThreadingPayload, ThreadingOptions, ModulePayload, PoolStats } from './types.js';
