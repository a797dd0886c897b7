/**
 * The supervision tree in a log record, kept to a size a log line can carry: a daemon with 20k
 * payloads would otherwise log its tree as one line of megabytes. Up to a limit the tree is
 * logged whole; beyond it, the record has the first nodes (depth first, as the tree shows them),
 * the count of the others, and how many payloads each flavour has in each state.
 */
import type { PayloadSnapshot, RuntimeTree } from '@cobald/kernel';

/** How many payload nodes a logged tree shows before it is summarised. */
export const treeLogLimit = 100;

/** Payloads per flavour and state, such as `{ asyncio: { running: 19998, restarting: 2 } }`. */
export type TreeCounts = Record<string, Record<string, number>>;

/** What a record carries of a tree too big to log whole. */
export interface SummarisedTree extends RuntimeTree {
  /** The payload nodes in the tree, nested ones included. */
  readonly total: number;
  /** How many of them `flavours` shows. */
  readonly shown: number;
  /** Every payload node, counted by flavour and state. */
  readonly counts: TreeCounts;
}

/** A tree for a log record, and the text lines to follow its rendering when it was cut. */
export interface LoggedTree {
  readonly tree: RuntimeTree | SummarisedTree;
  /** `… and K more payloads (asyncio: K running)`, or undefined when the tree is whole. */
  readonly more: string | undefined;
}

/**
 * `tree` whole while it has at most `limit` payload nodes, else its first `limit` nodes with the
 * counts of all.
 *
 * @example
 * const { tree, more } = treeForLog(runtime.tree());
 * logger.info({ tree }, `${formatTree(tree)}${more ? `\n${more}` : ''}`);
 */
export function treeForLog(tree: RuntimeTree, limit = treeLogLimit): LoggedTree {
  const counts: TreeCounts = {};
  let total = 0;
  const count = (node: PayloadSnapshot): void => {
    total += 1;
    const byState = (counts[node.flavour] ??= {});
    byState[node.state] = (byState[node.state] ?? 0) + 1;
    node.children?.forEach(count);
  };
  for (const branch of tree.flavours) branch.payloads.forEach(count);
  if (total <= limit) return { tree, more: undefined };

  let budget = limit;
  const cut = (nodes: readonly PayloadSnapshot[]): PayloadSnapshot[] => {
    const kept: PayloadSnapshot[] = [];
    for (const node of nodes) {
      if (budget === 0) break;
      budget -= 1;
      kept.push(node.children?.length ? { ...node, children: cut(node.children) } : node);
    }
    return kept;
  };
  const flavours = tree.flavours
    .map((branch) => ({ flavour: branch.flavour, payloads: cut(branch.payloads) }))
    .filter((branch) => branch.payloads.length > 0);
  const summary: SummarisedTree = { ...tree, flavours, total, shown: limit, counts };
  const perFlavour = Object.entries(counts)
    .map(
      ([flavour, states]) =>
        `${flavour}: ${Object.entries(states)
          .map(([state, n]) => `${n} ${state}`)
          .join(', ')}`,
    )
    .join('; ');
  return { tree: summary, more: `… and ${total - limit} more payloads (of ${total}: ${perFlavour})` };
}
