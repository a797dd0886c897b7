/** A first-in, first-out queue that does not shift arrays (20k waiting payloads stay cheap). */
export class Queue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  /** Take out the first item that `matches`. */
  remove(matches: (item: T) => boolean): T | undefined {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (matches(item)) {
        this.#items.splice(i, 1);
        return item;
      }
    }
    return undefined;
  }
  /** Put `items` back at the front, in their order. */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#items.splice(this.#head, 0, ...items);
  }
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
