/**
 * The supervision of one `accept()`: the nodes of the payloads that run, what each outcome
 * means, restarts, and escalation. An adopted payload has no parent, so a value or a failure
 * of one is escalated, unless its restart policy restarts it: the first escalation becomes the
 * {@link PayloadFailure} that `accept()` rejects with, and the runner is told to stop. Later
 * ones are logged.
 */
import {
  OrphanedReturn,
  PayloadAbandoned,
  PayloadFailure,
  RestartIntensityExceeded,
  UncaughtFailure,
  describeValue,
  isAbortError,
  isCancellation,
  isRunnerStopping,
  type PayloadInfo,
} from './errors.js';
import type { RunContext, RunKind } from './flavour.js';
import { endTrace, restartChannel, takeTrace, type PayloadTrace, type RestartEvent } from './instrumentation.js';
import type { CancelScope } from './cancellation.js';
import type { Logger } from './logger.js';
import { backoffDelay, type RestartPolicy } from './supervision-options.js';
import { snapshot, type PayloadSnapshot } from './tree.js';
import { leftBehind } from './execute-children.js';

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
  /**
   * An error that escaped its current run (into the process's handlers), waiting for that run
   * to end: the run's own outcome then counts as this failure. `reported` when it was already
   * escalated, because no restart policy could apply.
   */
  escaped: { readonly error: unknown; readonly reported: boolean } | undefined;
  /** Its restart policy, while it is supervised with one. */
  policy: RestartPolicy | undefined;
  /** Starts it again, while it is supervised with a restart policy. */
  start: (() => Promise<unknown>) | undefined;
  /** For an `execute()`: rejects its caller's promise (an escaped error, or abandonment). */
  reject: ((error: unknown) => void) | undefined;
  /** The trace of the run that just began, while someone subscribes to `cobald:payload` (instrumentation.ts). */
  trace: PayloadTrace | undefined;
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
  readonly #escalate: (failure: PayloadFailure | UncaughtFailure) => void;
  #failure: PayloadFailure | UncaughtFailure | undefined;
  #drained: (() => void) | undefined;
  #stopping = false;
  /** The newest ended payloads, a ring: slot `#ends % remembered` is the next to write. */
  readonly #ended: (PayloadNode | undefined)[] = new Array<PayloadNode | undefined>(remembered);
  #ends = 0;

  /** Called when a run ended that left executes unsettled (see execute-children.ts). */
  readonly #leftExecutes: (node: PayloadNode) => void;

  constructor(
    logger: Logger,
    escalate: (failure: PayloadFailure | UncaughtFailure) => void,
    leftExecutes: (node: PayloadNode) => void = () => {},
  ) {
    this.#logger = logger;
    this.#escalate = escalate;
    this.#leftExecutes = leftExecutes;
  }

  /** The first failure: of an adopted payload, or an error that escaped outside any payload. */
  get failure(): PayloadFailure | UncaughtFailure | undefined {
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
    node.policy = policy;
    node.start = start;
    this.watch(node, start(), start, policy);
  }

  /**
   * Watch the outcome of a payload's run. Without a restart policy this is all there is to
   * supervising it, and it needs no closure to start it again.
   */
  watch(node: PayloadNode, outcome: Promise<unknown>, start?: () => Promise<unknown>, policy?: RestartPolicy): void {
    // The run this outcome is of: a later one, after a restart, must not take it for its own.
    const run = node.restarts;
    const trace = takeTrace(node);
    outcome.then(
      (value) => {
        endTrace(trace, false, value);
        if (!this.#live.has(node.id) || node.restarts !== run) return;
        if (node.executes?.size) this.#leftExecutes(node);
        if (node.escaped) this.#escapedOutcome(node, start, policy);
        else if (value === undefined) this.#outcome(node, start, policy, false, undefined);
        else this.#outcome(node, start, policy, true, new OrphanedReturn(info(node), value));
      },
      (error: unknown) => {
        endTrace(trace, true, error);
        if (!this.#live.has(node.id) || node.restarts !== run) return;
        if (node.executes?.size) this.#leftExecutes(node);
        if (node.escaped) this.#escapedOutcome(node, start, policy);
        else if (stoppedBy(node, error)) this.remove(node, 'cancelled');
        else this.#outcome(node, start, policy, true, error);
      },
    );
  }

  /**
   * An error escaped the payload's own promise: a timer or an emitter threw, or a promise was
   * rejected with nobody to observe it, in the payload's async context. That is the payload's
   * failure, as if it had thrown. The caller of an `execute()` gets it at once. An adopted
   * payload without a restart policy escalates at once; with one, the run is stopped first (by
   * `cancel`) and its end counts as this failure. Returns whether the run must be cancelled.
   */
  escape(node: PayloadNode, error: unknown): boolean {
    if (!this.#live.has(node.id)) {
      // The payload had ended: what it left behind failed.
      if (node.kind === 'execute') {
        this.#logger.error(
          { err: error, payload: info(node) },
          `an error escaped payload '${node.name}' (${node.flavour}, #${node.id}) after its execute() had ended: ${describeValue(error)}`,
        );
      } else this.fail(node, error);
      return false;
    }
    if (node.escaped) {
      this.#logger.error(
        { err: error, payload: info(node) },
        `another error escaped payload '${node.name}' while it stops: ${describeValue(error)}`,
      );
      return false;
    }
    if (node.state === 'restarting') {
      // Its last run, already handled, left something behind that failed while it waits to run again.
      this.escapedEarlierRun(node, error);
      return false;
    }
    const restartable = node.kind === 'adopt' && node.state === 'running' && node.policy !== undefined && !this.#stopping;
    node.escaped = { error, reported: !restartable };
    if (node.reject) node.reject(error);
    else if (!restartable) this.fail(node, error);
    return true;
  }

  /** Take a node out of supervision, as ended in `state`; false if it was no longer there (abandoned). */
  remove(node: PayloadNode, state: EndState): boolean {
    if (!this.#live.delete(node.id)) return false;
    node.state = state;
    node.scope = undefined;
    this.recordEnd(node);
    node.escaped = undefined;
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

  /**
   * Record a failure: the first is logged at once and escalates (the runner stops), later ones
   * are logged.
   */
  fail(node: PayloadInfo, error: unknown): void {
    const failure = new PayloadFailure(info(node), error);
    if (this.#failure) {
      this.#logger.error({ err: failure, payload: info(node) }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.#logger.error({ err: failure, payload: info(node) }, failure.message);
    this.#escalate(failure);
  }

  /** An error escaped outside any payload: the application's own code failed, so the runner stops. */
  failUnowned(error: unknown, origin: string): void {
    const failure = new UncaughtFailure(origin, error);
    if (this.#failure) {
      this.#logger.error({ err: failure }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.#logger.error({ err: failure }, failure.message);
    this.#escalate(failure);
  }

  /** Begin stopping: no more restarts, and payloads waiting to restart are done. Idempotent. */
  beginStop(): void {
    if (this.#stopping) return;
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
    node.reject?.(new PayloadAbandoned(info(node), timeout));
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

  /** An error escaped an earlier run of a payload that has been restarted since: it is logged. */
  escapedEarlierRun(node: PayloadNode, error: unknown): void {
    this.#logger.error(
      { err: error, payload: info(node) },
      `an error escaped an earlier run of payload '${node.name}' (${node.flavour}, #${node.id}), after that run had ended: ${describeValue(error)}`,
    );
  }

  /**
   * The run of a payload whose error escaped did not stop within `timeout`: the failure goes on
   * without it (a restart, or the node fails), and its late outcome is ignored.
   */
  giveUp(node: PayloadNode, timeout: number): void {
    if (!this.#live.has(node.id) || !node.escaped) return;
    this.#logger.warn(
      { payload: info(node), timeout },
      `payload '${node.name}' (${node.flavour}, #${node.id}) did not stop within ${timeout} ms after an error escaped it, and was abandoned`,
    );
    this.#escapedOutcome(node, node.start, node.policy);
  }

  /** The run of a payload whose error escaped has ended: that error is its outcome. */
  #escapedOutcome(node: PayloadNode, start: (() => Promise<unknown>) | undefined, policy: RestartPolicy | undefined): void {
    const { error, reported } = node.escaped!;
    node.escaped = undefined;
    if (reported) this.remove(node, 'failed');
    else this.#outcome(node, start, policy, true, error);
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
      `payload '${node.name}' (${node.flavour}, #${node.id}) ended${reason === undefined ? '' : ` with ${describeValue(reason)}`}; restart ${node.restarts} in ${delay} ms`,
    );
    if (restartChannel.hasSubscribers) {
      const event: RestartEvent = { id: node.id, name: node.name, flavour: node.flavour, restarts: node.restarts, delay, reason };
      restartChannel.publish(event);
    }
    const again = () => {
      if (this.#stopping || node.state !== 'restarting') return;
      node.state = 'running';
      node.startedAt = Date.now();
      node.scope = undefined;
      this.supervise(node, start, policy);
    };
    restarts.timer = setTimeout(() => {
      restarts.timer = undefined;
      // No execute of the old run may outlive it: the new run waits until they settled.
      const executes = leftBehind(node);
      if (executes) void executes.then(again);
      else again();
    }, delay);
  }
}

/**
 * Whether `error` ends `node` as a cancellation: a `PayloadCancelled`, or, from a payload the
 * runtime had asked to stop, an `AbortError` (its signal doing its work) or a `RunnerStopping`
 * (an `adopt()` or `execute()` it called was refused because the runner stops).
 */
export function stoppedBy(node: PayloadNode, error: unknown): boolean {
  return isCancellation(error) || (node.state === 'stopping' && (isAbortError(error) || isRunnerStopping(error)));
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
    escaped: undefined,
    policy: undefined,
    start: undefined,
    reject: undefined,
    trace: undefined,
  };
}

export function info(node: PayloadInfo): PayloadInfo {
  return { id: node.id, name: node.name, flavour: node.flavour };
}
