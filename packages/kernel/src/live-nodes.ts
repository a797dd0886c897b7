/**
 * The nodes a session waits for before it can end: every node of the top level and every
 * execute, until it ended. A list threaded through the nodes themselves: a `Set` made its
 * add and delete (a new hash table each time it emptied) a noticeable part of each `execute()`.
 */

/** Where a node stands in the list of the session it is live in. */
export interface LiveLink<N extends LiveLink<N>> {
  /** The list it is live in, until it is forgotten. */
  liveIn: LiveNodes<N> | undefined;
  livePrev: N | undefined;
  liveNext: N | undefined;
}

export class LiveNodes<N extends LiveLink<N>> implements Iterable<N> {
  #first: N | undefined = undefined;
  #last: N | undefined = undefined;
  size = 0;

  add(node: N): void {
    if (node.liveIn === this) return;
    const last = this.#last;
    node.liveIn = this;
    node.livePrev = last;
    node.liveNext = undefined;
    if (last) last.liveNext = node;
    else this.#first = node;
    this.#last = node;
    this.size++;
  }

  /** Remove `node`; false if it was not live here. */
  delete(node: N): boolean {
    if (node.liveIn !== this) return false;
    const { livePrev, liveNext } = node;
    if (livePrev) livePrev.liveNext = liveNext;
    else this.#first = liveNext;
    if (liveNext) liveNext.livePrev = livePrev;
    else this.#last = livePrev;
    node.liveIn = node.livePrev = node.liveNext = undefined;
    this.size--;
    return true;
  }

  /**
   * The nodes live now, oldest first. Each is yielded only while still live, so a loop may end
   * nodes as it goes, as with a `Set`; nodes added meanwhile are not visited.
   */
  *[Symbol.iterator](): Iterator<N> {
    const nodes: N[] = [];
    for (let node = this.#first; node; node = node.liveNext) nodes.push(node);
    for (const node of nodes) if (node.liveIn === this) yield node;
  }
}
