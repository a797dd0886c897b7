/**
 * In the worker: taking runs from the mailbox and answering them, one run at a time, in order.
 *
 * The loop takes the next run, claims it (a run the main thread took back is skipped), calls
 * the payload in its {@link RunScope} and answers. A run that returned a plain value and created
 * no async resource is answered at once and the loop goes on; any other is answered after it
 * settled and one more turn of the event loop, and only then is the next one taken. With nothing
 * to run, the thread sleeps in `Atomics.wait` until the main thread rings: nothing of a payload
 * is pending in its event loop then (a run that left something is the thread's last), so
 * blocking it costs nothing and wakes fastest. While a run is pending the loop is not running:
 * the event loop is free, and cancellations arrive on the port.
 *
 * A run that left timers or handles behind is the thread's last: the loop stops, and the main
 * thread terminates the thread (its answer says it is not clean).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { answerCancelled, answerClean, answerOk, answerOnPort, onPort, type Mailbox, type TakenRun } from '../shared/mailbox.js';
import type { PayloadSource, RunData, ToWorker } from '../shared/messages.js';
import { toThrown } from '../shared/thrown.js';
import { beginRun, createdNothing, endRun, pauseTracking, resumeTracking } from './leftovers.js';
import { callPayload, definedPayload, explainError, receivedPayload, type Payload } from './payloads.js';
import { RunScope } from './run-scope.js';

/** The run in progress. */
interface Current {
  readonly id: number;
  readonly scope: RunScope;
  readonly payload: Payload;
}

const abortReason = (): DOMException => new DOMException('the runtime is stopping this payload', 'AbortError');

/**
 * The loop of one worker thread over its mailbox and port.
 *
 * @example
 * const loop = new RunLoop(new Mailbox(workerData.mailbox), port);
 * setImmediate(() => loop.pump());
 */
export class RunLoop {
  readonly #mailbox: Mailbox;
  readonly #port: MessagePort;
  #nextId = 1;
  #current: Current | undefined;
  /** The last run begun; an uncaught error outside every run's context is blamed on it. */
  #lastBegun = 0;
  /** Set once the thread takes no more runs: a run left it unclean, or it is dying. */
  #halted = false;
  readonly #runData = new Map<number, RunData>();
  /** The port's messages received so far (the main thread counts those it posted). */
  #portPostsSeen = 0;
  /** Runs the main thread cancelled before this thread began them. */
  readonly #cancelledEarly = new Set<number>();

  constructor(mailbox: Mailbox, port: MessagePort) {
    this.#mailbox = mailbox;
    this.#port = port;
    // While a run is pending the loop sleeps not: messages arrive as events.
    port.on('message', (message: ToWorker) => this.#receive(message));
  }

  /** The run whose code runs, or ran last: what an uncaught error with no run of its own is blamed on. */
  get lastRun(): number {
    return this.#current?.id ?? this.#lastBegun;
  }

  /** An uncaught error is ending the thread: answer nothing more. */
  halt(): void {
    this.#halted = true;
  }

  /** Run what is published, sleeping while there is nothing; returns when a run is pending or the loop halted. */
  pump(): void {
    const mailbox = this.#mailbox;
    while (!this.#halted) {
      if (mailbox.portPosts() !== this.#portPostsSeen) this.#drainPort();
      if (mailbox.runsPublished() < this.#nextId) {
        mailbox.sleep(this.#hasWork);
        continue;
      }
      if (!this.#begin(mailbox.takeRun(this.#nextId++))) return;
    }
  }

  readonly #hasWork = (): boolean => this.#mailbox.runsPublished() >= this.#nextId || this.#mailbox.portPosts() !== this.#portPostsSeen;

  #receive(message: ToWorker): void {
    this.#portPostsSeen++;
    if (message.type === 'run') this.#runData.set(message.id, message);
    else if (this.#current?.id === message.id) this.#current.scope.cancel(abortReason());
    else this.#cancelledEarly.add(message.id);
  }

  #drainPort(): void {
    for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) {
      this.#receive(received.message as ToWorker);
    }
  }

  /** Begin run `taken`; true if it is over (answered, or skipped) and the loop may go on. */
  #begin(taken: TakenRun): boolean {
    const { id } = taken;
    let data: RunData | undefined;
    if (taken.flags & onPort) {
      data = this.#runData.get(id);
      if (!data) {
        this.#drainPort();
        data = this.#runData.get(id)!;
      }
      this.#runData.delete(id);
    }
    // Kept even for a run taken back: later runs may name its payload by number.
    const payload = data?.payload ? receivedPayload(data.payload, data.define ?? 0) : definedPayload(taken.payload)!;
    if (!taken.claimed) {
      this.#cancelledEarly.delete(id);
      return true;
    }
    const args = data?.args ?? taken.args ?? [];
    const scope = new RunScope(id);
    if (this.#cancelledEarly.size > 0 && this.#cancelledEarly.delete(id)) scope.cancel(abortReason());
    const current: Current = { id, scope, payload };
    this.#current = current;
    this.#lastBegun = id;
    beginRun();
    let result: unknown;
    let threw = false;
    try {
      result = scope.run(callPayload, [payload, args]);
    } catch (error) {
      threw = true;
      result = error;
    }
    const thenable = !threw && typeof (result as PromiseLike<unknown> | null)?.then === 'function';
    if (!thenable && createdNothing()) {
      endRun();
      this.#current = undefined;
      this.#answer(current, !threw, result, true);
      return true;
    }
    const was = pauseTracking();
    if (thenable) {
      Promise.resolve(result as PromiseLike<unknown>).then(
        (value) => this.#settled(current, true, value),
        (error: unknown) => this.#settled(current, false, error),
      );
    } else this.#settled(current, !threw, result);
    resumeTracking(was);
    return false;
  }

  /** The payload settled: answer after this turn, once its unhandled rejections have been reported. */
  #settled(current: Current, ok: boolean, value: unknown): void {
    const was = pauseTracking();
    setImmediate(() => this.#finish(current, ok, value));
    resumeTracking(was);
  }

  #finish(current: Current, ok: boolean, value: unknown): void {
    if (this.#halted) return;
    const clean = !endRun();
    this.#current = undefined;
    this.#answer(current, ok, value, clean);
    if (!clean) {
      this.#halted = true;
      return;
    }
    this.pump();
  }

  #answer({ id, scope, payload }: Current, ok: boolean, value: unknown, clean: boolean): void {
    const flags = (clean ? answerClean : 0) | (scope.cancelled ? answerCancelled : 0);
    if (ok) {
      if (this.#mailbox.publishAnswer(id, flags | answerOk, value)) return;
      try {
        this.#port.postMessage({ type: 'answer', id, value });
        this.#mailbox.publishAnswer(id, flags | answerOk | answerOnPort, undefined);
        return;
      } catch (error) {
        value = unsendable(payload.source, error);
      }
    } else {
      try {
        value = explainError(value, payload);
      } catch {
        // A thrown proxy or an object whose getters throw: reported as it is (thrown.ts describes it).
      }
    }
    this.#port.postMessage({ type: 'answer', id, value: toThrown(value) });
    this.#mailbox.publishAnswer(id, flags | answerOnPort, undefined);
  }
}

function unsendable(source: PayloadSource, error: unknown): TypeError {
  return new TypeError(
    `the result of threading payload '${source.name}' cannot be sent back to the main thread ` +
      `(${error instanceof Error ? error.message : String(error)}): results travel by structured clone, ` +
      `so return plain data, not functions or objects bound to the worker`,
  );
}
