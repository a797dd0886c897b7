/**
 * The tree as the monitor shows it: the kernel's snapshot (`runner.tree()`), walked without
 * assuming its depth, so that nested supervisors (nodes with `children`) show as they nest,
 * with what the monitor learned about each payload added: its last error and when it ended.
 */
import type { ErrorNote, PayloadNote } from './collector.js';
import type { QueueStats } from './queues.js';

/** A node of the kernel's snapshot as far as the monitor reads it. */
export interface NodeLike {
  readonly id?: number;
  readonly name?: string;
  readonly flavour?: string;
  readonly state?: string;
  readonly children?: readonly NodeLike[];
  readonly payloads?: readonly NodeLike[];
  readonly [key: string]: unknown;
}

/** The kernel's snapshot as far as the monitor reads it: flavour branches today, `children` once supervisors nest. */
export interface TreeLike {
  readonly state: string;
  readonly flavours?: readonly NodeLike[];
  readonly children?: readonly NodeLike[];
  readonly ended?: readonly NodeLike[];
}

/** A payload node of the monitor's tree: the kernel's fields and the monitor's notes. */
export type MonitorNode = NodeLike & {
  readonly lastError?: ErrorNote;
  readonly endedAt?: number;
  /** In the page's tree: how many nodes of its list were left out. */
  readonly omitted?: number;
  readonly children?: readonly MonitorNode[];
  readonly payloads?: readonly MonitorNode[];
};

/** `/api/tree`: the snapshot, annotated, with health and readiness. */
export interface MonitorTree {
  readonly state: string;
  /** When it was taken, in milliseconds since the epoch (ages on the page count from it). */
  readonly now: number;
  readonly health: { readonly ok: boolean; readonly status: string };
  readonly ready: { readonly ok: boolean; readonly status: string };
  readonly flavours?: readonly MonitorNode[];
  readonly children?: readonly MonitorNode[];
  readonly ended: readonly MonitorNode[];
  /** The job queues the runtime uses, when a flavour reports any (see queues.ts). */
  readonly queues?: readonly QueueStats[];
}

const nested = ['children', 'payloads'] as const;

/** How many nodes of one list the page gets; the page shows how many more there are. */
export const pageListLength = 200;

/** Call `visit` for every node with a payload id under the tree's roots (not the ended ones). */
export function walkTree(tree: TreeLike, visit: (node: NodeLike & { flavour: string; state: string }) => void): void {
  const walk = (nodes: readonly NodeLike[] | undefined): void => {
    if (!nodes) return;
    for (const node of nodes) {
      if (typeof node.id === 'number' && typeof node.flavour === 'string' && typeof node.state === 'string') {
        visit(node as NodeLike & { flavour: string; state: string });
      }
      for (const key of nested) walk(node[key]);
    }
  };
  walk(tree.flavours);
  walk(tree.children);
}

/**
 * The snapshot with every payload's notes added, at any depth. With `limit`, each list keeps
 * its first `limit` nodes and says how many it left out (`omitted`), so that a daemon with ten
 * thousand payloads does not send them all to its page every second.
 */
export function annotate(
  tree: TreeLike,
  note: (id: number) => PayloadNote | undefined,
  status: Pick<MonitorTree, 'health' | 'ready'>,
  limit = Infinity,
): MonitorTree {
  const copy = (node: NodeLike): MonitorNode => {
    const out: Record<string, unknown> = { ...node };
    for (const key of nested) {
      const list = node[key];
      if (!Array.isArray(list)) continue;
      out[key] = list.slice(0, limit).map(copy);
      if (list.length > limit) out.omitted = list.length - limit;
    }
    if (typeof node.id === 'number') {
      const known = note(node.id);
      if (known?.lastError) out.lastError = known.lastError;
      if (known?.endedAt !== undefined) out.endedAt = known.endedAt;
    }
    return out as MonitorNode;
  };
  return {
    state: tree.state,
    now: Date.now(),
    ...status,
    ...(tree.flavours ? { flavours: tree.flavours.map(copy) } : {}),
    ...(tree.children ? { children: tree.children.map(copy) } : {}),
    ended: (tree.ended ?? []).map(copy),
  };
}
