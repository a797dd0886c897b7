/**
 * `@cobald/flavour-bullmq`: payloads are tasks of BullMQ queues on Redis, run by worker daemons
 * that `serveQueue()`, supervised end to end. Importing it registers the flavour as `'bullmq'`.
 */
export { bullmq, type BullmqTypes } from './bullmq.js';
export { serveQueue, type ServeQueueOptions } from './serve-queue.js';
export type { QueueTask } from './queue-task.js';
export type { Connection } from './connection.js';
export { RemoteTaskFailed, UnknownTask, JobFailed, JobLost } from './errors.js';
