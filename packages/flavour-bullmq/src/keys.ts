/**
 * The Redis keys and channel this package adds beside BullMQ's own, all under the queue's prefix
 * (so a `{hash-tag}` prefix keeps them on the queue's Redis Cluster slot):
 * - `<prefix>:cobald:caller:<caller id>`: a caller's heartbeat, set with a TTL of its `callerLease`
 *   to `alive`, and to `gone` when it closed with jobs it could not withdraw in time;
 * - `<prefix>:cobald:cancel:<job id>`: set when a caller cancels a job, read before a job starts;
 * - `<prefix>:cobald:cancel` (pub/sub): the ids of cancelled jobs, separated by spaces, for the
 *   workers running them.
 */

export const callerKey = (prefix: string, caller: string): string => `${prefix}:cobald:caller:${caller}`;
export const cancelKey = (prefix: string, jobId: string): string => `${prefix}:cobald:cancel:${jobId}`;
/** The values of a caller's heartbeat key. */
export const alive = 'alive';
export const gone = 'gone';
export const cancelChannel = (prefix: string): string => `${prefix}:cobald:cancel`;

/** BullMQ's default prefix. */
export const defaultPrefix = 'bull';

/** What a job carries: the task's arguments and who waits for it. */
export interface JobData {
  readonly args: readonly unknown[];
  /** The caller's id: its heartbeat key says whether it is still there. */
  readonly caller: string;
  /** The caller's `callerLease`, in milliseconds. */
  readonly lease: number;
}

/** What a completed job returns: the value wrapped, so that `undefined` survives as `undefined`. */
export interface JobResult {
  readonly value?: unknown;
}
