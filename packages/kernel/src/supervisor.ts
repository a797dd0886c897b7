/**
 * The supervision of one `accept()`: the nodes of the payloads that run, what each outcome
 * means, restarts, and escalation. An adopted payload has no parent, so a value or a failure
 * of one is escalated, unless its restart policy restarts it: the first escalation becomes the
 * {@link PayloadFailure} that `accept()` rejects with, and the runner is told to stop. Later
 * ones are logged.
 */
import { OrphanedReturn, PayloadFailure, RestartIntensityExceeded, isAbortError, isCancellation, type PayloadInfo } from './errors.js';
import type { RunContext, RunKind } from './flavour.js';
import { restartChannel, type RestartEvent } from './instrumentation.js';
import type { CancelScope } from './cancellation.js';
import type { Logger } from './logger.js';
import { backoffDelay, type RestartPolicy } from './supervision-options.js';
import { snapshot, type PayloadSnapshot } from './tree.js';

/**
 * Where a payload is in its life: queued until its runner accepts; running; restarting while it
 * waits out its backoff; stopping once the runtime stops; and how it ended: done, failed,
 * cancelled, or abandoned if it outlived its time to stop.
 */
export type NodeState = 'queued' | 'running' | 'restarting' | 'stopping' | EndState;

/** How a payload ended. */
export type EndState = 'done' | 'failed' | 'cancelled' | 'abandoned';

/** How many ended payloads a supervisor remembers for `tree()`: the newest ones. */
const remembered = 64;

/** A payload under supervision. It is also the `RunContext` its flavour runner gets. */
export interface PayloadNode extends RunContext {
  state: NodeState;
  /** When its current run started, in milliseconds since the epoch. */
  startedAt: number;
  /** How often it was restarted. */
  restarts: number;
  /** Whether it runs a service's `run()`. */
  readonly service: boolean;
  /** Its own time to stop, instead of the grace period. */
  readonly shutdownTimeout: number | undefined;
  /** Its cancel scope, once its flavour asked for one (`FlavourHost.cancelScope`). */
  scope: CancelScope | undefined;
  /** The supervisor it runs under, or the payload that executed it; undefined at the top. */
  readonly parent: PayloadNode | undefined;
  /** Its executes that have not settled yet, made on the first one. */
  executes: Set<PayloadNode> | undefined;
}

/** What a node is made from. */
export interface NodeSpec {
  readonly id?: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: RunKind;
  readonly service?: boolean;
  readonly shutdownTimeout?: number | undefined;
}

interface Restarts {
  /** When it ended within the intensity period, oldest first. */
  readonly recent: number[];
  timer: NodeJS.Timeout | undefined;
}

let lastId = 0;

/** A fresh process-wide payload id. */
export const nextPayloadId = (): number => ++lastId;

export class Supervisor {
  readonly #live = new Map<number, PayloadNode>();
  readonly #restarts = new Map<number, Restarts>();
  readonly #waiters = new Map<number, () => void>();
  readonly #logger: Logger;
  readonly #escalate: (failure: PayloadFailure) => void;
  #failure: PayloadFailure | undefined;
  #drained: (() => void) | undefined;
  #stopping = false;
  /** The newest ended payloads, a ring: slot `#ends % remembered` is the next to write. */
  readonly #ended: (PayloadNode | undefined)[] = new Array<PayloadNode | undefined>(remembered);
  #ends = 0;

  constructor(logger: Logger, escalate: (failure: PayloadFailure) => void) {
    this.#logger = logger;
    this.#escalate = escalate;
  }

  /** The first failure of an adopted payload, if any. */
  get failure(): PayloadFailure | undefined {
    return this.#failure;
  }

  /** Put a payload under supervision. */
  add(spec: NodeSpec, parent?: PayloadNode): PayloadNode {
    const node = createNode(spec, parent);
    this.#live.set(node.id, node);
    return node;
  }

  /**
   * Run an adopted payload with `start` and watch its outcome: `undefined` is done, anything
   * else escalates, unless `policy` restarts it.
   */
  supervise(node: PayloadNode, start: () => Promise<unknown>, policy?: RestartPolicy): void {
    this.watch(node, start(), start, policy);
  }

  /**
   * Watch the outcome of a payload's run. Without a restart policy this is all there is to
   * supervising it, and it needs no closure to start it again.
   */
  watch(node: PayloadNode, outcome: Promise<unknown>, start?: () => Promise<unknown>, policy?: RestartPolicy): void {
    outcome.then(
      (value) => {
        if (!this.#live.has(node.id)) return;
        if (value === undefined) this.#outcome(node, start, policy, false, undefined);
        else this.#outcome(node, start, policy, true, new OrphanedReturn(info(node), value));
      },
      (error: unknown) => {
        if (!this.#live.has(node.id)) return;
        if (stoppedBy(node, error)) this.remove(node, 'cancelled');
        else this.#outcome(node, start, policy, true, error);
      },
    );
  }

  /** Take a node out of supervision, as ended in `state`; false if it was no longer there (abandoned). */
  remove(node: PayloadNode, state: EndState): boolean {
    if (!this.#live.delete(node.id)) return false;
    node.state = state;
    node.scope = undefined;
    this.recordEnd(node);
    const restarts = this.#restarts.get(node.id);
    if (restarts) {
      clearTimeout(restarts.timer);
      this.#restarts.delete(node.id);
    }
    const waiter = this.#waiters.get(node.id);
    if (waiter) {
      this.#waiters.delete(node.id);
      waiter();
    }
    if (this.#live.size === 0) this.#drained?.();
    return true;
  }

  /** Remember how `node` ended, for `tree()`: also the children of supervisors, which are not under this one. */
  recordEnd(node: PayloadNode): void {
    this.#ended[this.#ends++ % remembered] = node;
  }

  /** Record a failure: the first escalates, later ones are logged. */
  fail(node: PayloadInfo, error: unknown): void {
    const failure = new PayloadFailure(info(node), error);
    if (this.#failure) {
      this.#logger.error({ err: failure, payload: info(node) }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.#escalate(failure);
  }

  /** Begin stopping: no more restarts, and payloads waiting to restart are done. */
  stopping(): void {
    this.#stopping = true;
    for (const node of [...this.#live.values()]) {
      if (node.state === 'restarting') this.remove(node, 'cancelled');
      else node.state = 'stopping';
    }
  }

  /** The nodes under supervision, in the order they started; live objects, not copies. */
  live(): PayloadNode[] {
    return [...this.#live.values()];
  }

  /** Resolves once `node` is no longer supervised. */
  settled(node: PayloadNode): Promise<void> {
    if (!this.#live.has(node.id)) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#waiters.get(node.id);
      this.#waiters.set(node.id, () => {
        previous?.();
        resolve();
      });
    });
  }

  /** Resolves once no payload is under supervision. */
  whenEmpty(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Give up on a payload that did not stop in time: it is forgotten and logged. */
  abandon(node: PayloadNode, timeout: number): void {
    if (!this.remove(node, 'abandoned')) return;
    this.#logger.warn(
      { payload: info(node), timeout },
      `payload '${node.name}' (${node.flavour}, #${node.id}) did not stop within ${timeout} ms and was abandoned`,
    );
  }

  /** A snapshot of the nodes under supervision that have no parent, each with what runs under it. */
  nodes(): PayloadSnapshot[] {
    const top: PayloadSnapshot[] = [];
    for (const node of this.#live.values()) if (node.parent === undefined) top.push(snapshot(node));
    return top;
  }

  /** A snapshot of the newest ended payloads (at most 64), oldest first. */
  ended(): PayloadSnapshot[] {
    const slots = Math.min(this.#ends, remembered);
    const first = this.#ends - slots;
    return Array.from({ length: slots }, (_, i) => snapshot(this.#ended[(first + i) % remembered]!, false));
  }

  #outcome(
    node: PayloadNode,
    start: (() => Promise<unknown>) | undefined,
    policy: RestartPolicy | undefined,
    failed: boolean,
    reason: unknown,
  ): void {
    if (start && policy && !this.#stopping && (failed || policy.mode === 'always')) {
      this.#restart(node, start, policy, reason);
      return;
    }
    this.remove(node, failed ? 'failed' : 'done');
    if (failed) this.fail(node, reason);
  }

  #restart(node: PayloadNode, start: () => Promise<unknown>, policy: RestartPolicy, reason: unknown): void {
    let restarts = this.#restarts.get(node.id);
    if (!restarts) this.#restarts.set(node.id, (restarts = { recent: [], timer: undefined }));
    const now = Date.now();
    const recent = restarts.recent;
    while (recent.length > 0 && now - recent[0]! >= policy.within) recent.shift();
    if (recent.length >= policy.maxRestarts) {
      this.remove(node, 'failed');
      this.fail(node, new RestartIntensityExceeded(info(node), policy.maxRestarts, policy.within, reason));
      return;
    }
    const delay = backoffDelay(policy, recent.length);
    recent.push(now);
    node.restarts++;
    node.state = 'restarting';
    this.#logger.warn(
      { payload: info(node), err: reason, restarts: node.restarts, delay },
      `payload '${node.name}' (${node.flavour}, #${node.id}) ended${reason === undefined ? '' : ` with ${describeReason(reason)}`}; restart ${node.restarts} in ${delay} ms`,
    );
    if (restartChannel.hasSubscribers) {
      const event: RestartEvent = { id: node.id, name: node.name, flavour: node.flavour, restarts: node.restarts, delay, reason };
      restartChannel.publish(event);
    }
    restarts.timer = setTimeout(() => {
      restarts.timer = undefined;
      node.state = 'running';
      node.startedAt = Date.now();
      node.scope = undefined;
      this.supervise(node, start, policy);
    }, delay);
  }
}

/**
 * Whether `error` ends `node` as a cancellation: a `PayloadCancelled`, or an `AbortError` from
 * a payload the runtime had asked to stop (its signal doing its work).
 */
export function stoppedBy(node: PayloadNode, error: unknown): boolean {
  return isCancellation(error) || (node.state === 'stopping' && isAbortError(error));
}

/** A node, not yet under any supervisor's watch. */
export function createNode(spec: NodeSpec, parent: PayloadNode | undefined): PayloadNode {
  return {
    id: spec.id ?? nextPayloadId(),
    name: spec.name,
    flavour: spec.flavour,
    kind: spec.kind,
    state: 'running',
    startedAt: Date.now(),
    restarts: 0,
    service: spec.service ?? false,
    shutdownTimeout: spec.shutdownTimeout,
    scope: undefined,
    parent,
    executes: undefined,
  };
}

export function info(node: PayloadInfo): PayloadInfo {
  return { id: node.id, name: node.name, flavour: node.flavour };
}

export function describeReason(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}
