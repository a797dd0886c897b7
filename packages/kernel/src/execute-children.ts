/**
 * Work that belongs to its payload: an `execute()` called from inside a payload (found through
 * async context, `currentPayloadNode()`) runs as that payload's child. It shows under it in
 * `tree()`, it is cancelled first when the payload is cancelled (`Session.cancel`), and when the
 * payload's run ends, in any way, what it left unsettled is cancelled; a restart of the payload
 * waits until that has settled, so that no execute of an old run outlives it. The execute's
 * result and error still go only to its caller.
 */
import type { PayloadNode } from './supervisor.js';

/** What ending a run's executes needs of the session. */
export interface ExecuteHost {
  /** Cancel one payload as its flavour allows. */
  cancel(node: PayloadNode): boolean;
  /** Resolves once `node` settled or was abandoned. */
  settled(node: PayloadNode): Promise<void>;
  /** Give up on `node` after `timeout` ms. */
  abandon(node: PayloadNode, timeout: number): void;
  readonly gracePeriod: number;
}

/** The ends of runs that left executes behind, until those settled. */
const leftovers = new WeakMap<PayloadNode, Promise<void>>();

/** Make `node`, an execute, a child of `parent`, until it settles. */
export function attachExecute(parent: PayloadNode, node: PayloadNode): void {
  (parent.executes ??= new Set()).add(node);
}

/** `node`, an execute, settled: its parent no longer waits for it, and what it started itself ends. */
export function detachExecute(host: ExecuteHost, node: PayloadNode): void {
  node.parent?.executes?.delete(node);
  if (node.executes?.size) endExecutes(host, node);
}

/**
 * The run of `node` ended: cancel the executes it left unsettled, each within its time (the
 * grace period) before it is abandoned.
 */
export function endExecutes(host: ExecuteHost, node: PayloadNode): void {
  const executes = node.executes;
  if (!executes?.size) return;
  const left = [...executes];
  executes.clear();
  for (const execute of left) host.cancel(execute);
  const done = Promise.all(
    left.map(async (execute) => {
      const timeout = execute.shutdownTimeout ?? host.gracePeriod;
      let timer: NodeJS.Timeout | undefined;
      if (timeout !== Infinity) timer = setTimeout(() => host.abandon(execute, timeout), timeout);
      await host.settled(execute);
      clearTimeout(timer);
    }),
  ).then(() => {
    if (leftovers.get(node) === done) leftovers.delete(node);
  });
  leftovers.set(node, done);
}

/** Resolves once the executes that `node`'s last run left behind have settled; undefined if there are none. */
export function leftBehind(node: PayloadNode): Promise<void> | undefined {
  return leftovers.get(node);
}
