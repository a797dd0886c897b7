/**
 * The node model: one {@link PayloadNode} per payload the runtime knows, from the moment it is
 * adopted or executed until it ended. A node is also the `RunContext` its flavour runner gets,
 * and it is what `tree()` shows. It holds data only: what happens to a node is decided by the
 * supervisor it is a child of (supervisor.ts).
 */
import { CancelScope, currentScope } from './cancellation.js';
import type { CancelReason, PayloadInfo } from './errors.js';
import type { RunContext, RunKind } from './flavour.js';
import type { PayloadTrace } from './instrumentation.js';
import type { LiveLink, LiveNodes } from './live-nodes.js';
import type { RestartPolicy } from './supervision-options.js';
import type { Child, Strategy } from './supervisor-spec.js';

/**
 * Where a payload is in its life: queued until its runner accepts; running; restarting while it
 * waits out its backoff; stopping once the runtime asked it to stop; and how it ended: done,
 * failed, cancelled, or abandoned if it outlived its time to stop.
 */
export type NodeState = 'queued' | 'running' | 'restarting' | 'stopping' | EndState;

/** How a payload ended. */
export type EndState = 'done' | 'failed' | 'cancelled' | 'abandoned';

/** What a supervisor's node shows of its current run (see supervisor.ts). */
export interface SupervisorRun {
  readonly strategy: Strategy;
  /** How many restarts of its children it made in this run. */
  readonly restarts: number;
  /** Its children's nodes, in their order. */
  children(): readonly PayloadNode[];
}

/** An error that escaped a node's current run, waiting for that run to end (supervisor.ts). */
export interface Escaped {
  readonly error: unknown;
  /** Whether it was escalated at once, because no restart policy could apply. */
  readonly reported: boolean;
}

let lastId = 0;

/** A fresh process-wide payload id. */
export const nextPayloadId = (): number => ++lastId;

/**
 * A payload under supervision. It is also a cancel scope, the store of the async context its
 * code runs in, for a payload that runs only once (an execute, a top-level adopt without a
 * restart policy): one object per execute, not two. A payload that may run again gets a scope
 * per run instead (`scope`), so that an error that escaped an earlier run can be told apart.
 */
export class PayloadNode extends CancelScope implements RunContext, LiveLink<PayloadNode> {
  state: NodeState = 'running';
  /** When its current run started, in milliseconds since the epoch. */
  startedAt = Date.now();
  /** How often a restart of it was decided. */
  restarts = 0;
  /** Counts its runs; an abandoned run's late outcome no longer matches and is ignored. */
  runs = 0;
  /** Its cancel scope in the current run, once its flavour asked for one (`FlavourHost.cancelScope`). */
  scope: CancelScope | undefined = undefined;
  /** Its executes that have not settled yet, made on the first one. */
  executes: Set<PayloadNode> | undefined = undefined;
  /** An error that escaped its current run: the run's end counts as this failure. */
  escaped: Escaped | undefined = undefined;
  /** Why the runtime asked it to stop, once it did (an execute's `PayloadCancelled` says so). */
  cancelReason: CancelReason | undefined = undefined;
  /** The trace of the run that just began, while someone subscribes to `cobald:payload` (instrumentation.ts). */
  trace: PayloadTrace | undefined = undefined;
  /** For an `execute()`: rejects its caller's promise early (an escaped error, or abandonment). */
  reject: ((error: unknown) => void) | undefined = undefined;
  /** For an `execute()`: its caller's promise, until it settled. */
  caller: Promise<unknown> | undefined = undefined;
  /** Called once the current run ended (or was abandoned): stops that wait for it. */
  waiters: (() => void)[] | undefined = undefined;
  /** Starts one run, for a node that is supervised: the first and every restart. */
  start: (() => Promise<unknown>) | undefined = undefined;
  /** Its restart policy, if it has one: the restart state below exists only then. */
  policy: RestartPolicy | undefined = undefined;
  /** When a restart of it was decided within its policy's window, oldest first. */
  recent: number[] | undefined = undefined;
  /** Its backoff timer. */
  timer: NodeJS.Timeout | undefined = undefined;
  /** Resolves once the executes its last run left behind have settled (a restart waits for it). */
  leftovers: Promise<void> | undefined = undefined;
  /** For a supervisor's node: its current run. */
  supervisor: SupervisorRun | undefined = undefined;
  /** For a child of a supervisor made by `supervisor()`: its spec and its place among its siblings. */
  child: Child | undefined = undefined;
  index = 0;
  liveIn: LiveNodes<PayloadNode> | undefined = undefined;
  livePrev: PayloadNode | undefined = undefined;
  liveNext: PayloadNode | undefined = undefined;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly flavour: string,
    readonly kind: RunKind,
    /** The supervisor it runs under, or the payload that executed it; undefined at the top. */
    readonly parent: PayloadNode | undefined,
    /** Whether it runs a service's `run()`. */
    readonly service: boolean,
    /** Its own time to stop, instead of the grace period. */
    readonly shutdownTimeout: number | undefined,
  ) {
    super();
    this.owner = this;
  }

  /** Whether it runs only once, so that it can be its own cancel scope. */
  get runsOnce(): boolean {
    return this.kind === 'execute' || (this.parent === undefined && this.policy === undefined && this.supervisor === undefined);
  }

  /** Whether its run has ended for good. */
  get ended(): boolean {
    const { state } = this;
    return state === 'done' || state === 'failed' || state === 'cancelled' || state === 'abandoned';
  }
}

/** What errors and logs say of a node. */
export function info(node: PayloadInfo): PayloadInfo {
  return { id: node.id, name: node.name, flavour: node.flavour };
}

/**
 * The node of the payload whose code runs now, found through async context: what an error that
 * escapes into the process's handlers, or an `execute()`, belongs to.
 */
export function currentPayloadNode(): PayloadNode | undefined {
  return currentScope()?.owner as PayloadNode | undefined;
}
