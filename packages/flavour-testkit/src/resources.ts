/**
 * What keeps the process alive, for the check that a flavour leaves nothing behind after
 * `close()`: the referenced timers and handles (sockets, child processes, message ports, …)
 * made while a check ran, by what the check started, and still open, tracked one by one through
 * `async_hooks`; and as a second opinion for handles without a `hasRef()` to ask, Node's count
 * of what keeps the event loop alive, compared with a count taken before. What the test runner
 * does meanwhile in the same process (jest's status line sets a timer every second) descends
 * from none of the check's work, so it is not counted.
 */
import { createHook, executionAsyncId } from 'node:async_hooks';

interface Tracked {
  readonly type: string;
  readonly resource: { hasRef?: () => boolean };
}

export class ResourceWatch {
  readonly #open = new Map<number, Tracked>();
  /** The async ids that descend from the check: what runs in the process for others (the test runner's status timer, …) is not ours to count. */
  readonly #ours = new Set<number>();
  readonly #before = counts();
  readonly #hook = createHook({
    init: (id, type, trigger, resource) => {
      if (!this.#ours.has(trigger)) return;
      this.#ours.add(id);
      // Promises keep nothing alive; requests (fs, dns, writes) end by themselves.
      if (type !== 'PROMISE') this.#open.set(id, { type, resource: resource as Tracked['resource'] });
    },
    destroy: (id) => {
      this.#open.delete(id);
      this.#ours.delete(id);
    },
  });

  /** Start watching from the calling context: what exists now is the baseline. */
  constructor() {
    this.#hook.enable();
    this.#ours.add(executionAsyncId());
  }

  /**
   * What was made since and keeps the process alive, as `5 × Timeout`; empty if nothing. Node.js
   * reports the end of a resource in a later turn of the event loop (a timer that just fired is
   * still listed, and says it is referenced), so this waits for one first.
   */
  async left(): Promise<string[]> {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const made = new Map<string, number>();
    for (const { type, resource } of this.#open.values()) {
      if (typeof resource.hasRef === 'function' && resource.hasRef()) made.set(type, (made.get(type) ?? 0) + 1);
    }
    const now = counts();
    // Timers are all tracked above; counted here, the test runner's own would be taken for the flavour's.
    const more = [...now].filter(([kind, n]) => kind !== 'Timeout' && n > (this.#before.get(kind) ?? 0) && !made.has(kind));
    return [
      ...[...made].map(([type, n]) => `${n} × ${type}`),
      ...more.map(([kind, n]) => `${n - (this.#before.get(kind) ?? 0)} × ${kind}`),
    ];
  }

  /** Stop watching. */
  stop(): void {
    this.#hook.disable();
    this.#open.clear();
  }
}

/** What keeps the process alive now, by kind (`Timeout`, `TCPSocketWrap`, …): Node.js lists only referenced timers and handles. */
function counts(): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  return kinds;
}
