/**
 * Snapshots of the supervision tree: the runner at the root, a branch per flavour, and the
 * payloads under each. Plain data, safe to log or serialise.
 */
import type { RunKind } from './flavour.js';
import type { NodeState } from './supervisor.js';

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
 * // └─ trio
 * //    └─ #4 Watcher.run [service] running for 12.5s, 1 restart
 * // ended (newest last):
 * //    #5 fetchConfig [execute] asyncio: failed
 */
export function formatTree(tree: RuntimeTree, now = Date.now()): string {
  const lines = [`runtime (${tree.state})`];
  tree.flavours.forEach((branch, b) => {
    const lastBranch = b === tree.flavours.length - 1;
    lines.push(`${lastBranch ? '└─' : '├─'} ${branch.flavour}`);
    branch.payloads.forEach((p, i) => {
      const since = p.startedAt === undefined ? '' : ` for ${((now - p.startedAt) / 1000).toFixed(1)}s`;
      const stem = lastBranch ? '   ' : '│  ';
      const kind = p.service ? 'service' : p.kind;
      const restarts = p.restarts ? `, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : '';
      lines.push(`${stem}${i === branch.payloads.length - 1 ? '└─' : '├─'} #${p.id} ${p.name} [${kind}] ${p.state}${since}${restarts}`);
    });
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
