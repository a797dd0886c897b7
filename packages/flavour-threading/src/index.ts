/** @cobald/flavour-threading: payloads of the cobald-ts runtime in worker threads. */
export { threading, type ThreadingTypes, type ThreadingPayload } from './threading.js';
export { ThreadingRunner, type ThreadingOptions } from './runner.js';
export { WorkerCrashed, type PoolStats } from './pool.js';
export { PayloadSourceError, type ModulePayload } from './payload-source.js';
