/**
 * One job on a worker. It runs as a payload of the worker's runtime (this flavour's, named
 * `job <id>`), whose only work is the task itself, executed inside it in the task's own flavour:
 * so the job shows in `tree()` with its task under it, and stopping the job payload (for its
 * caller) ends the task as the kernel ends any execute of a payload: its signal aborts, and it
 * gets the grace period to settle before it is abandoned. The job's outcome is the task's, once
 * the task has really settled.
 */
import { cancelled, type Flavour, type RunContext, type ServiceRunner } from '@cobald/kernel';
import type { Job } from 'bullmq';
import type { StopReason } from './queue-server.js';

/** The task a job runs: a payload of the worker's task flavour. */
export interface JobTask {
  readonly payload: unknown;
  readonly flavour: Flavour | string;
  readonly name: string;
}

/** How a task ended. */
export type Outcome = { readonly value: unknown } | { readonly error: unknown };

/** The payload the job runs as. */
export interface JobPayload {
  readonly [jobBrand]: JobRun;
}

export const jobBrand = Symbol.for('@cobald/flavour-bullmq/job');

export const isJobPayload = (payload: unknown): payload is JobPayload =>
  typeof payload === 'object' && payload !== null && (payload as Record<symbol, unknown>)[jobBrand] instanceof JobRun;

export class JobRun {
  /** Why the server stopped the job, if it did. */
  stopReason: StopReason | undefined;
  /** Whether the job went back to the queue. */
  handedBack = false;
  #handBack: Promise<void> | undefined;
  #abort: (() => void) | undefined;
  #task: Promise<Outcome> | undefined;
  #args: readonly unknown[] = [];

  constructor(
    readonly job: Job,
    readonly token: string,
    readonly runner: ServiceRunner,
    readonly task: JobTask,
    readonly flavour: Flavour,
  ) {}

  /** Stop the job (for its caller, or because it is lost): its task's signal aborts; it does not run here again. */
  stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.#abort?.();
  }

  /** Give the job back to the queue, once. A failure leaves it to BullMQ's stalled-job recovery. */
  handBack(): Promise<void> {
    this.#handBack ??= this.job.moveToWait(this.token).then(
      () => void (this.handedBack = true),
      () => void (this.handedBack = true),
    );
    return this.#handBack;
  }

  /** Run the job as a payload of the runner; resolves with the task's outcome once the task has settled. */
  async start(args: readonly unknown[]): Promise<Outcome> {
    if (this.stopReason) return { error: cancelledBefore };
    this.#args = args;
    let outcome: Outcome;
    try {
      outcome = {
        value: await this.runner.execute({ [jobBrand]: this } satisfies JobPayload, { flavour: this.flavour, name: `job ${this.job.id}` }),
      };
    } catch (error) {
      outcome = { error };
    }
    return this.#task ? await this.#task : outcome;
  }

  /** The job payload's run, in its cancel scope: execute the task, and end early if the job is stopped. */
  enter(signal: AbortSignal, context: RunContext): Promise<unknown> {
    const { payload, flavour, name } = this.task;
    const task = this.runner.execute(payload, { flavour, args: this.#args, name } as never) as Promise<unknown>;
    this.#task = task.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    return new Promise((resolve, reject) => {
      task.then(resolve, reject);
      this.#abort = () => reject(cancelled(context));
      if (this.stopReason) this.#abort();
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
}

const cancelledBefore = new Error('the job was stopped before it started');
