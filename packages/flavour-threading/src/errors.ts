/**
 * The errors of the threading flavour: a payload's thread that died ({@link WorkerCrashed}) and a
 * function payload whose source cannot run in another thread ({@link PayloadSourceError}).
 */

/**
 * The worker thread that ran a payload died under it: an uncaught error (in a timer, say),
 * `process.exit()` in the payload, running out of memory under `resourceLimits`, or a failure
 * to start. `cause` is the thread's error when there was one.
 *
 * @example
 * await runner.execute(() => process.exit(3), { flavour: threading })
 *   .catch((err) => err instanceof WorkerCrashed && err.exitCode); // 3
 */
export class WorkerCrashed extends Error {
  override readonly name = 'WorkerCrashed';
  constructor(
    /** The name of the payload whose thread died. */
    readonly payloadName: string,
    /** The thread's exit code. */
    readonly exitCode: number,
    /** Whether the thread died while starting, before it ran the payload. */
    readonly starting: boolean,
    cause?: unknown,
    /**
     * The payload that ran on the thread before and left behind the error that killed it, when
     * the error came from that one and not from this payload.
     */
    readonly leftBy?: string,
  ) {
    const when = starting ? 'before it could run it' : 'while running it';
    const subject = starting ? `the worker thread started for payload '${payloadName}'` : `worker thread of payload '${payloadName}'`;
    let message: string;
    if (cause === undefined) message = `${subject} exited with code ${exitCode} ${when}`;
    else {
      // Not `instanceof Error`: a thread's error may come from another realm.
      const { name, message: text } = (typeof cause === 'object' && cause !== null ? cause : {}) as { name?: unknown; message?: unknown };
      const detail = typeof text === 'string' ? `${String(name ?? 'Error')}: ${text}` : String(cause);
      const outOfMemory = (cause as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (outOfMemory) message = `${subject} ran out of memory ${when} (raise the threading option resourceLimits): ${detail}`;
      else if (leftBy !== undefined)
        message = `${subject} crashed ${when}, of an uncaught error that payload '${leftBy}', which ran there before, left behind: ${detail}`;
      else message = `${subject} crashed ${when}: ${detail}`;
    }
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * A payload's source that cannot run in a worker thread, with the reason and what to do
 * instead. Thrown by the flavour's `validate()`, so `adopt()`/`execute()` refuse the payload
 * before anything is sent.
 *
 * @example
 * try { runner.adopt(Math.max, { flavour: threading }); }
 * catch (err) { if (err instanceof PayloadSourceError) console.error(err.message); }
 */
export class PayloadSourceError extends TypeError {
  override readonly name = 'PayloadSourceError';
  constructor(
    /** The payload's name. */
    readonly payloadName: string,
    /** Why its source cannot run, and what to do instead. */
    readonly reason: string,
  ) {
    super(`threading payload '${payloadName}' cannot run in a worker thread: ${reason}`);
  }
}
