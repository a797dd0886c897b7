/**
 * The mailbox of one worker thread: a `SharedArrayBuffer` that both threads read and write with
 * `Atomics`, so that a run and its answer cross without a message when they are small.
 *
 * Two rings of {@link slotCount} slots: runs (main → worker) and answers (worker → main). Runs
 * are numbered 1, 2, 3… per thread and run `id` lives in slot `id % slotCount`; answers are
 * numbered in the order the worker publishes them. A side writes a slot, then publishes it by
 * storing its number in a counter (`Atomics.store`): the other side reads the counter, then the
 * slot. What does not fit in a slot (a payload's source, arguments that are not small values,
 * see inline-values.ts) is posted on the thread's port first, under the run's id, and the slot
 * says so; since it was posted before the slot was published, the reader finds it on the port
 * with `receiveMessageOnPort` as soon as it sees the slot.
 *
 * Waking up: the worker sleeps in `Atomics.wait` on the doorbell only when it has nothing to run
 * (its event loop has nothing of a payload's pending then); the main thread rings it after it
 * publishes runs or posts on the port, and wakes it (`Atomics.notify`, a system call) only when
 * it says it sleeps. The worker says so before it looks for work a last time, so a ring is never
 * missed. The main thread never blocks: it waits for answers with `Atomics.waitAsync`, only
 * while the thread has runs it has not answered.
 *
 * Claim slots: the first word of a run slot is the run's claim. The worker claims a run before
 * it begins it; the main thread may revoke a run the worker has not claimed, to give it to an
 * idle thread. Exactly one of the two wins (`Atomics.compareExchange`), so no run is lost or
 * executed twice.
 */
import { inlineEnd, readInline, writeInline } from './inline-values.js';

/** `Atomics.waitAsync` (Node.js 16+), which the compiler's ES2022 lib does not know yet. */
interface AtomicsWithWaitAsync {
  waitAsync(words: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Slots per ring: a thread has at most `slotCount - 1` runs sent and not answered. */
export const slotCount = 128;
const slotWords = 32;

// The header: words the main thread writes, then (a cache line further) those the worker writes.
const runsPublished = 0;
const doorbell = 1;
/** How many messages the main thread has posted on the port: the worker reads the port only when there are new ones. */
const portPosts = 2;
const answersPublished = 16;
/** The id of the last run the worker has taken from its slot (claimed or found revoked). */
const runsTaken = 17;
/** 1 while the worker sleeps (or is about to): only then does ringing need to wake it. */
const sleeping = 18;
const headerWords = 32;
const runRing = headerWords;
const answerRing = runRing + slotCount * slotWords;
const totalWords = answerRing + slotCount * slotWords;

// A run slot: claim, id, payload number, flags, then the inline arguments (count, values).
const open = 0;
const claimed = 1;
const revoked = 2;
/** Flag of a run or an answer whose data is in a port message under its id. */
export const onPort = 1;

// An answer slot: run id, flags, then the inline value.
/** Answer flags. */
export const answerOk = 1;
export const answerClean = 2;
export const answerCancelled = 4;
export const answerOnPort = 8;

/**
 * A run as the worker takes it from its slot.
 *
 * @example
 * const run = mailbox.takeRun(7); // { id: 7, claimed: true, payload: 3, flags: 0, args: [1] }
 */
export interface TakenRun {
  readonly id: number;
  /** False when the main thread revoked it: skip it. */
  readonly claimed: boolean;
  /** The number of the payload, as the thread was told to keep it. */
  readonly payload: number;
  readonly flags: number;
  /** The inline arguments; undefined when they are on the port. */
  readonly args: unknown[] | undefined;
}

/**
 * An answer as the main thread takes it from its slot.
 *
 * @example
 * const answer = mailbox.takeAnswer(); // { id: 7, flags: answerOk | answerClean, value: 1 }
 */
export interface TakenAnswer {
  readonly id: number;
  readonly flags: number;
  /** The inline value; on the port when `flags & answerOnPort`. */
  readonly value: unknown;
}

/**
 * The shared words of one thread's mailbox, with the operations of each side.
 *
 * @example
 * const mailbox = new Mailbox(); // main thread
 * new Worker(entry, { workerData: { mailbox: mailbox.buffer } });
 * const same = new Mailbox(workerData.mailbox); // worker
 */
export class Mailbox {
  readonly words: Int32Array;
  /** Main thread: answers taken so far. */
  #answersTaken = 0;
  /** Worker: answers published so far. */
  #answersPublished = 0;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(totalWords * Int32Array.BYTES_PER_ELEMENT)) {
    this.words = new Int32Array(buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  // --- main thread ---

  /**
   * Main thread: write run `id` (the next, in order) into its slot, its arguments inline if they
   * are small; false if they are not (then post them on the port and call again with `onPort`).
   * The run is published by {@link publishRuns}.
   */
  writeRun(id: number, payload: number, flags: number, args: readonly unknown[] | undefined): boolean {
    const words = this.words;
    const base = runRing + (id % slotCount) * slotWords;
    words[base + 1] = id;
    words[base + 2] = payload;
    words[base + 3] = flags;
    if (args !== undefined) {
      const end = base + slotWords;
      let at = base + 5;
      for (let i = 0; i < args.length; i++) {
        at = writeInline(words, at, end, args[i]);
        if (at < 0) return false;
      }
      words[base + 4] = args.length;
    }
    Atomics.store(words, base, open);
    return true;
  }

  /** Main thread: runs up to `lastId` may be taken; wakes the worker. */
  publishRuns(lastId: number): void {
    Atomics.store(this.words, runsPublished, lastId);
    this.ring();
  }

  /** Main thread: wake the worker (it has runs). */
  ring(): void {
    Atomics.add(this.words, doorbell, 1);
    if (Atomics.load(this.words, sleeping) === 1) Atomics.notify(this.words, doorbell);
  }

  /** Main thread: a message was posted on the port (ring, or publish runs, to wake the worker). */
  posted(): void {
    Atomics.add(this.words, portPosts, 1);
  }

  /** Main thread: take back run `id`, which the worker has not claimed; false if it has. */
  revoke(id: number): boolean {
    return Atomics.compareExchange(this.words, runRing + (id % slotCount) * slotWords, open, revoked) === open;
  }

  /** Main thread: the id of the last run the worker has taken from its slot. */
  runsTaken(): number {
    return Atomics.load(this.words, runsTaken);
  }

  /** Main thread: the next answer, or undefined if the worker has published none since. */
  takeAnswer(): TakenAnswer | undefined {
    const words = this.words;
    if (Atomics.load(words, answersPublished) === this.#answersTaken) return undefined;
    const base = answerRing + (++this.#answersTaken % slotCount) * slotWords;
    const id = words[base]!;
    const flags = words[base + 1]!;
    return { id, flags, value: flags & answerOnPort ? undefined : readInline(words, base + 2) };
  }

  /**
   * Main thread: a promise that resolves once the worker publishes an answer not taken yet, or
   * undefined if there is one already. Wake it early with {@link wakeWaiter} (the thread died).
   */
  whenAnswered(): Promise<unknown> | undefined {
    const waiting = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.words, answersPublished, this.#answersTaken);
    return waiting.async ? waiting.value : undefined;
  }

  /** Main thread: release a {@link whenAnswered} promise. */
  wakeWaiter(): void {
    Atomics.notify(this.words, answersPublished);
  }

  // --- worker ---

  /** Worker: how many messages the main thread has posted on the port so far. */
  portPosts(): number {
    return Atomics.load(this.words, portPosts);
  }

  /**
   * Worker: sleep until the main thread rings, unless `hasWork()` says there is something to do
   * after all (asked once the main thread knows it must wake this one). Blocks the thread.
   */
  sleep(hasWork: () => boolean): void {
    const words = this.words;
    const bell = Atomics.load(words, doorbell);
    Atomics.store(words, sleeping, 1);
    if (!hasWork()) Atomics.wait(words, doorbell, bell);
    Atomics.store(words, sleeping, 0);
  }

  /** Worker: the id of the last run published. */
  runsPublished(): number {
    return Atomics.load(this.words, runsPublished);
  }

  /** Worker: read run `id` from its slot and claim it. */
  takeRun(id: number): TakenRun {
    const words = this.words;
    const base = runRing + (id % slotCount) * slotWords;
    const payload = words[base + 2]!;
    const flags = words[base + 3]!;
    let args: unknown[] | undefined;
    if (!(flags & onPort)) {
      const count = words[base + 4]!;
      args = new Array<unknown>(count);
      let at = base + 5;
      for (let i = 0; i < count; i++) {
        args[i] = readInline(words, at);
        at = inlineEnd();
      }
    }
    const isClaimed = Atomics.compareExchange(words, base, open, claimed) === open;
    Atomics.store(words, runsTaken, id);
    return { id, claimed: isClaimed, payload, flags, args };
  }

  /**
   * Worker: publish the answer of run `id` with `flags`, its value inline if it is small; false
   * if it is not (then post it on the port and call again with `answerOnPort`).
   */
  publishAnswer(id: number, flags: number, value: unknown): boolean {
    const words = this.words;
    const seq = this.#answersPublished + 1;
    const base = answerRing + (seq % slotCount) * slotWords;
    if (!(flags & answerOnPort) && writeInline(words, base + 2, base + slotWords, value) < 0) return false;
    words[base] = id;
    words[base + 1] = flags;
    this.#answersPublished = seq;
    Atomics.store(words, answersPublished, seq);
    Atomics.notify(words, answersPublished);
    return true;
  }
}
