/**
 * Snapshots of the supervision tree: the runner at the root, a branch per flavour, the payloads
 * under each, and under a payload what runs as its child: a supervisor's children, a payload's
 * executes. Plain data, safe to log or serialise.
 */
import type { RunKind } from './flavour.js';
import type { NodeState, PayloadNode } from './supervisor.js';
import type { Strategy } from './supervisor-spec.js';

/** One payload in a snapshot. */
export interface PayloadSnapshot {
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: RunKind;
  readonly state: NodeState;
  /** Whether it runs a service's `run()`. */
  readonly service: boolean;
  /** How often it was restarted. */
  readonly restarts: number;
  /** When its current run started, in milliseconds since the epoch; absent while queued. */
  readonly startedAt?: number;
  /**
   * What runs under it: a supervisor's children in their order, then the payload's executes
   * that have not settled. Empty for a payload that has none, and for ended payloads.
   */
  readonly children: readonly PayloadSnapshot[];
  /** A supervisor's strategy (only supervisors have one: their flavour is `'supervisor'`). */
  readonly strategy?: Strategy;
  /** How many restarts of its children a supervisor made in its current run. */
  readonly childRestarts?: number;
}

/** What a supervisor's node shows of itself: see supervision-tree.ts. */
export interface Subtree {
  readonly strategy: Strategy;
  readonly restarts: number;
  /** Its children's nodes, in their order. */
  children(): readonly PayloadNode[];
}

/** The running supervisors, by their node. */
const subtrees = new WeakMap<PayloadNode, Subtree>();

/** Make `node` show `subtree` in snapshots: a supervisor calls it when it starts a run. */
export function showSubtree(node: PayloadNode, subtree: Subtree): void {
  subtrees.set(node, subtree);
}

/** A snapshot of `node`, and unless `withChildren` is false, of everything under it. */
export function snapshot(node: PayloadNode, withChildren = true): PayloadSnapshot {
  const { id, name, flavour, kind, state, service, restarts, startedAt } = node;
  const subtree = subtrees.get(node);
  const children: PayloadSnapshot[] = [];
  if (withChildren) {
    if (subtree) for (const child of subtree.children()) children.push(snapshot(child));
    if (node.executes) for (const child of node.executes) children.push(snapshot(child));
  }
  const base = { id, name, flavour, kind, state, service, restarts, startedAt, children };
  return subtree ? { ...base, strategy: subtree.strategy, childRestarts: subtree.restarts } : base;
}

/** The payloads of one flavour. */
export interface FlavourBranch {
  readonly flavour: string;
  readonly payloads: readonly PayloadSnapshot[];
}

/** The state of a runner and everything it supervises. */
export interface RuntimeTree {
  readonly state: 'idle' | 'starting' | 'running' | 'stopping';
  /** The payloads that are queued or running, by flavour. */
  readonly flavours: readonly FlavourBranch[];
  /** The newest payloads that ended (done, failed, cancelled, abandoned), oldest first. */
  readonly ended: readonly PayloadSnapshot[];
}

export function buildTree(
  state: RuntimeTree['state'],
  payloads: readonly PayloadSnapshot[],
  ended: readonly PayloadSnapshot[] = [],
): RuntimeTree {
  const branches = new Map<string, PayloadSnapshot[]>();
  for (const payload of payloads) {
    const branch = branches.get(payload.flavour);
    if (branch) branch.push(payload);
    else branches.set(payload.flavour, [payload]);
  }
  return { state, flavours: [...branches].map(([flavour, list]) => ({ flavour, payloads: list })), ended };
}

/** How many ended payloads `formatTree()` lists. */
const endedShown = 10;

/**
 * Render a tree for people, like a thread dump.
 *
 * @example
 * formatTree(runtime.tree());
 * // runtime (running)
 * // ├─ asyncio
 * // │  └─ #3 poll [adopt] running for 12.5s
 * // │     └─ #9 fetchPage [execute] running for 0.2s
 * // └─ supervisor
 * //    └─ #4 ingest [supervisor rest-for-one] running for 12.5s, 1 child restart
 * //       ├─ #5 db [adopt] asyncio running for 12.5s
 * //       └─ #6 consumer [adopt] trio running for 3.1s, 1 restart
 * // ended (newest last):
 * //    #5 fetchConfig [execute] asyncio: failed
 */
export function formatTree(tree: RuntimeTree, now = Date.now()): string {
  const lines = [`runtime (${tree.state})`];
  tree.flavours.forEach((branch, b) => {
    const lastBranch = b === tree.flavours.length - 1;
    lines.push(`${lastBranch ? '└─' : '├─'} ${branch.flavour}`);
    const stem = lastBranch ? '   ' : '│  ';
    branch.payloads.forEach((p, i) => formatNode(lines, p, stem, i === branch.payloads.length - 1, now, undefined));
  });
  if (tree.flavours.length === 0) lines.push('└─ (no payloads)');
  const shown = tree.ended.slice(-endedShown);
  if (shown.length > 0) {
    const more = tree.ended.length - shown.length;
    lines.push(`ended (newest last${more > 0 ? `; ${more} earlier not shown` : ''}):`);
    for (const p of shown) lines.push(`   #${p.id} ${p.name} [${p.service ? 'service' : p.kind}] ${p.flavour}: ${p.state}`);
  }
  return lines.join('\n');
}

function formatNode(
  lines: string[],
  p: PayloadSnapshot,
  stem: string,
  last: boolean,
  now: number,
  parentFlavour: string | undefined,
): void {
  const since = p.startedAt === undefined ? '' : ` for ${((now - p.startedAt) / 1000).toFixed(1)}s`;
  const kind = p.strategy ? `supervisor ${p.strategy}` : p.service ? 'service' : p.kind;
  // Under a branch the flavour is the branch's; under another node it is said when it differs.
  const flavour = parentFlavour === undefined || p.strategy || p.flavour === parentFlavour ? '' : ` ${p.flavour}`;
  const restarts = p.restarts ? `, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : '';
  const childRestarts = p.childRestarts ? `, ${p.childRestarts} child restart${p.childRestarts === 1 ? '' : 's'}` : '';
  lines.push(`${stem}${last ? '└─' : '├─'} #${p.id} ${p.name} [${kind}]${flavour} ${p.state}${since}${restarts}${childRestarts}`);
  const inner = `${stem}${last ? '   ' : '│  '}`;
  p.children.forEach((child, i) => formatNode(lines, child, inner, i === p.children.length - 1, now, p.flavour));
}
