/**
 * Snapshots of the supervision tree: the runner at the root, a branch per flavour, the payloads
 * under each, and under a payload what runs as its child: a supervisor's children, a payload's
 * executes. Plain data, safe to log or serialise.
 */
import type { RunKind } from './flavour.js';
import type { NodeState, PayloadNode } from './node.js';
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

/**
 * A snapshot of `node`, and unless `withChildren` is false, of everything under it. Built without
 * recursion: a tree of any depth fits in the stack.
 */
export function snapshot(node: PayloadNode, withChildren = true): PayloadSnapshot {
  const made = shallow(node);
  if (!withChildren) return made;
  const pending: [PayloadNode, PayloadSnapshot[]][] = [[node, made.children as PayloadSnapshot[]]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [parent, children] = next;
    const run = parent.supervisor;
    if (run) for (const child of run.children()) children.push(visit(child, pending));
    if (parent.executes) for (const child of parent.executes) children.push(visit(child, pending));
  }
  return made;
}

function visit(node: PayloadNode, pending: [PayloadNode, PayloadSnapshot[]][]): PayloadSnapshot {
  const made = shallow(node);
  pending.push([node, made.children as PayloadSnapshot[]]);
  return made;
}

/** A snapshot of `node` alone, with an empty list for its children. */
function shallow(node: PayloadNode): PayloadSnapshot {
  const { id, name, flavour, kind, state, service, restarts, startedAt, supervisor } = node;
  const base = { id, name, flavour, kind, state, service, restarts, startedAt, children: [] };
  return supervisor ? { ...base, strategy: supervisor.strategy, childRestarts: supervisor.restarts } : base;
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
    formatNodes(lines, branch.payloads, stem, now);
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

/** The lines of `payloads` and all under them, depth first, without recursion. */
function formatNodes(lines: string[], payloads: readonly PayloadSnapshot[], stem: string, now: number): void {
  type Entry = { readonly p: PayloadSnapshot; readonly stem: string; readonly last: boolean; readonly parentFlavour: string | undefined };
  const entries = (list: readonly PayloadSnapshot[], at: string, parentFlavour: string | undefined): Entry[] =>
    list.map((p, i) => ({ p, stem: at, last: i === list.length - 1, parentFlavour })).reverse();
  const pending = entries(payloads, stem, undefined);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { p, stem: at, last, parentFlavour } = next;
    const since = p.startedAt === undefined ? '' : ` for ${((now - p.startedAt) / 1000).toFixed(1)}s`;
    const kind = p.strategy ? `supervisor ${p.strategy}` : p.service ? 'service' : p.kind;
    // Under a branch the flavour is the branch's; under another node it is said when it differs.
    const flavour = parentFlavour === undefined || p.strategy || p.flavour === parentFlavour ? '' : ` ${p.flavour}`;
    const restarts = p.restarts ? `, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : '';
    const childRestarts = p.childRestarts ? `, ${p.childRestarts} child restart${p.childRestarts === 1 ? '' : 's'}` : '';
    lines.push(`${at}${last ? '└─' : '├─'} #${p.id} ${p.name} [${kind}]${flavour} ${p.state}${since}${restarts}${childRestarts}`);
    pending.push(...entries(p.children, `${at}${last ? '   ' : '│  '}`, p.flavour));
  }
}
