/**
 * The runs waiting for a thread, first in first out, and each found by its payload's id: taking
 * one out (a cancellation) costs the same however many wait, so cancelling or shutting down with
 * 100k queued runs is linear, not quadratic.
 */

interface Entry<T> {
  readonly item: T;
  prev: Entry<T> | undefined;
  next: Entry<T> | undefined;
}

/**
 * A queue of items with a unique id each.
 *
 * @example
 * const queue = new RunQueue<Job>((job) => job.id);
 * queue.push(job);
 * queue.remove(job.id); // the job, or undefined
 */
export class RunQueue<T> {
  readonly #idOf: (item: T) => number;
  readonly #byId = new Map<number, Entry<T>>();
  #head: Entry<T> | undefined;
  #tail: Entry<T> | undefined;

  constructor(idOf: (item: T) => number) {
    this.#idOf = idOf;
  }

  get length(): number {
    return this.#byId.size;
  }

  push(item: T): void {
    const entry: Entry<T> = { item, prev: this.#tail, next: undefined };
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    this.#byId.set(this.#idOf(item), entry);
  }

  /** Put `items` back at the front, in their order. */
  unshift(items: readonly T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i]!;
      const entry: Entry<T> = { item, prev: undefined, next: this.#head };
      if (this.#head) this.#head.prev = entry;
      else this.#tail = entry;
      this.#head = entry;
      this.#byId.set(this.#idOf(item), entry);
    }
  }

  shift(): T | undefined {
    const entry = this.#head;
    if (!entry) return undefined;
    this.#unlink(entry);
    return entry.item;
  }

  /** Take out the item with id `id`, if it waits here. */
  remove(id: number): T | undefined {
    const entry = this.#byId.get(id);
    if (!entry) return undefined;
    this.#unlink(entry);
    return entry.item;
  }

  /** Take out everything, in order. */
  drain(): T[] {
    const items: T[] = [];
    for (let entry = this.#head; entry; entry = entry.next) items.push(entry.item);
    this.#head = this.#tail = undefined;
    this.#byId.clear();
    return items;
  }

  #unlink(entry: Entry<T>): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    this.#byId.delete(this.#idOf(entry.item));
  }
}
