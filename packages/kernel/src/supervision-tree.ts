/**
 * The run of one supervisor made by `supervisor()`: it starts its children in order, watches
 * them, restarts them by their `restart` and its strategy, stops them in reverse order, and
 * ends (normally, by `autoShutdown` or when all its children ended), fails (a child failed and
 * is not restarted; more restarts than its intensity) or is cancelled (its parent stops it).
 * Its parent, the runner's supervisor or another supervisor, sees it as one payload whose run
 * is a promise: resolved, rejected with the failure, or rejected as cancelled.
 *
 * A child's node lives as long as this run; a restart runs it again under the same node.
 */
import { CancelScope } from './cancellation.js';
import {
  ChildFailure,
  OrphanedReturn,
  RestartIntensityExceeded,
  describeValue,
  isAbortError,
  isCancellation,
  isRunnerStopping,
} from './errors.js';
import { cancelled, type Flavour } from './flavour.js';
import { endTrace, payloadChannel, restartChannel, takeTrace, tracePayload, type RestartEvent } from './instrumentation.js';
import { loadFlavour } from './registry.js';
import type { Session } from './session.js';
import { backoffDelay } from './supervision-options.js';
import { createNode, info, stoppedBy, type EndState, type PayloadNode } from './supervisor.js';
import { isSupervisorSpec, type Child, type SupervisorSpec } from './supervisor-spec.js';
import { showSubtree, type Subtree } from './tree.js';
import { within } from './within.js';
import { endExecutes, leftBehind } from './execute-children.js';

/** The flavour name that supervisors show in the tree and in errors. */
export const supervisorFlavour = 'supervisor';

/**
 * Where a child is: `running`; `stopping` (this supervisor stopped it); `restarting` (it ended
 * and waits to run again); `ended`.
 */
type Status = 'running' | 'stopping' | 'restarting' | 'ended';

interface Slot {
  readonly child: Child;
  readonly index: number;
  readonly node: PayloadNode;
  flavour: Flavour | undefined;
  status: Status;
  /** Counts the child's runs: the outcome of an older run (an abandoned one) is ignored. */
  run: number;
  /** Resolves once the current run's outcome has been handled. */
  settled: Promise<void>;
  /** The stop under way, if any. */
  stopping: Promise<void> | undefined;
  /** When it was restarted within the intensity period, for its backoff; made on its first restart. */
  recent: number[] | undefined;
  /** Its backoff timer under one-for-one. */
  timer: NodeJS.Timeout | undefined;
  /** An error that escaped its current run: that run's end counts as this failure. */
  escaped: { readonly error: unknown } | undefined;
}

/** The supervisors' nodes, with their current run. */
const supervisorNodes = new WeakMap<PayloadNode, SupervisionTree | undefined>();

/** Whether `node` is a supervisor's. */
export function isSupervisorNode(node: PayloadNode): boolean {
  return supervisorNodes.has(node);
}

/**
 * An error escaped the run of `node`, a child of a supervisor (see `Supervisor.escape`): its
 * supervisor takes it as the child's failure, to restart it by its strategy or fail. False when
 * `node` is no supervisor's child.
 */
export function escapeInTree(node: PayloadNode, error: unknown): boolean {
  const tree = node.parent && supervisorNodes.get(node.parent);
  if (!tree) return false;
  tree.escape(node, error);
  return true;
}

/**
 * Run the supervisor `spec` as `node`. The returned promise settles once every child has
 * stopped or was abandoned: with undefined when it ended normally, with its failure, or with a
 * cancellation when `node`'s cancel scope was cancelled (the session's or parent's way to stop it).
 */
export function runSupervisor(session: Session, spec: SupervisorSpec, node: PayloadNode): Promise<void> {
  return startSupervisor(session, spec, node).done;
}

/** {@link runSupervisor}, and a promise that resolves once its children have started (or it stopped first). */
function startSupervisor(session: Session, spec: SupervisorSpec, node: PayloadNode): { done: Promise<void>; started: Promise<void> } {
  supervisorNodes.set(node, undefined);
  let tree!: SupervisionTree;
  const run = () => {
    tree = new SupervisionTree(session, spec, node);
    supervisorNodes.set(node, tree);
    return tree.done;
  };
  const done = payloadChannel.hasSubscribers ? tracePayload(node, run) : run();
  return { done, started: tree.started };
}

/**
 * How long a supervisor may take to stop when it has no `shutdownTimeout` of its own: its
 * children stop one after the other, each within its own time, so the sum of theirs.
 */
export function stopBound(spec: SupervisorSpec, gracePeriod: number): number {
  let sum = 0;
  for (const child of spec.children) {
    sum += child.shutdownTimeout ?? (isSupervisorSpec(child.payload) ? stopBound(child.payload, gracePeriod) - gracePeriod : gracePeriod);
  }
  // One more grace period as a margin: the children's own timers decide, this is a backstop.
  // Node's timers take at most 2^31-1 ms: beyond that waiting is waiting forever.
  return Math.min(sum + gracePeriod, 2 ** 31 - 1);
}

class SupervisionTree implements Subtree {
  readonly done: Promise<void>;
  /** Resolves once every child has started, or the supervisor stopped before. */
  readonly started: Promise<void>;
  readonly strategy: SupervisorSpec['strategy'];
  /** How many restarts it made. */
  restarts = 0;
  readonly #session: Session;
  readonly #spec: SupervisorSpec;
  readonly #node: PayloadNode;
  readonly #slots: Slot[];
  /** When it restarted a child within the intensity period, oldest first. */
  readonly #recent: number[] = [];
  #settle!: { resolve: () => void; reject: (error: unknown) => void };
  /** Set once it stops for good: no child starts or restarts any more. */
  #closing = false;
  /** The first child that failed while this supervisor stopped for good. */
  #stopFailure: ChildFailure | undefined;
  /** Restarts of more than one child, one after the other. */
  #groupRestarts: Promise<void> = Promise.resolve();
  /** The backoff wait of a group restart, to cut it short on stop. */
  #backoff: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(session: Session, spec: SupervisorSpec, node: PayloadNode) {
    this.#session = session;
    this.#spec = spec;
    this.#node = node;
    this.strategy = spec.strategy;
    this.done = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    this.#slots = spec.children.map((child, index) => ({
      child,
      index,
      node: createNode(
        {
          name: child.name,
          flavour: child.flavour === undefined ? supervisorFlavour : typeof child.flavour === 'string' ? child.flavour : child.flavour.name,
          kind: 'adopt',
          shutdownTimeout: child.shutdownTimeout,
        },
        node,
      ),
      flavour: typeof child.flavour === 'string' ? undefined : child.flavour,
      status: 'ended',
      run: 0,
      settled: Promise.resolve(),
      stopping: undefined,
      recent: undefined,
      timer: undefined,
      escaped: undefined,
    }));
    showSubtree(node, this);
    // The parent stops this supervisor as it stops any payload: by cancelling its scope.
    const scope = (node.scope = new CancelScope());
    scope.signal.addEventListener('abort', () => this.#stop(cancelled(node)), { once: true });
    this.started = this.#start();
  }

  children(): readonly PayloadNode[] {
    return this.#slots.map((slot) => slot.node);
  }

  /** Load the children's flavours and start their runners, then start the children in order. */
  async #start(): Promise<void> {
    const loading = this.#slots.map(async (slot) => {
      const { child } = slot;
      if (child.flavour === undefined) return;
      try {
        if (typeof child.flavour === 'string') {
          const flavour = await loadFlavour(child.flavour);
          flavour.validate(child.payload);
          slot.flavour = flavour;
        }
        await this.#session.prepare(slot.flavour!);
      } catch (error) {
        this.#fail(slot, error);
      }
    });
    await Promise.all(loading);
    for (const slot of this.#slots) await this.#run(slot);
    this.#endIfAllEnded();
  }

  /** Run the child in `slot`; resolves once it has started: a nested supervisor, once its children have. */
  #run(slot: Slot): Promise<void> | undefined {
    if (this.#closing) return;
    const { node, child } = slot;
    const run = ++slot.run;
    slot.status = 'running';
    node.state = 'running';
    node.startedAt = Date.now();
    node.scope = undefined;
    let outcome: Promise<unknown>;
    let started: Promise<void> | undefined;
    if (child.flavour === undefined) ({ done: outcome, started } = startSupervisor(this.#session, child.payload as SupervisorSpec, node));
    else outcome = this.#session.startPayload(slot.flavour!, child.payload, child.args, node);
    const trace = takeTrace(node);
    slot.settled = outcome.then(
      (value) => {
        endTrace(trace, false, value);
        if (node.executes?.size && run === slot.run) endExecutes(this.#session.executeHost, node);
        if (slot.escaped) this.#escapedEnd(slot, run);
        else this.#ended(slot, run, value === undefined ? undefined : new OrphanedReturn(info(node), value), value !== undefined);
      },
      (error: unknown) => {
        endTrace(trace, true, error);
        if (node.executes?.size && run === slot.run) endExecutes(this.#session.executeHost, node);
        if (slot.escaped) this.#escapedEnd(slot, run);
        else this.#ended(slot, run, error, !stoppedBy(node, error));
      },
    );
    return started;
  }

  /**
   * An error escaped a child's run: the run is stopped, and its end counts as this failure (so
   * the child is restarted by its strategy, or this supervisor fails). If the run does not stop
   * within its time, it is abandoned and the failure goes on without it.
   */
  escape(node: PayloadNode, error: unknown): void {
    const slot = this.#slots.find((s) => s.node === node);
    if (!slot) return;
    const { logger, gracePeriod } = this.#session.config;
    if (slot.status === 'stopping' || this.#closing) {
      this.#failedWhileStopped(slot, error);
      return;
    }
    // It waits to run again: its last run, already handled, left something behind that failed.
    if (slot.status === 'restarting') {
      this.#session.supervisor.escapedEarlierRun(node, error);
      return;
    }
    // It ended: what it left behind failed.
    if (slot.status !== 'running') {
      this.#end(slot, 'failed');
      this.#fail(slot, error);
      return;
    }
    if (slot.escaped) return;
    slot.escaped = { error };
    this.#session.cancel(node);
    const run = slot.run;
    const timeout = slot.child.shutdownTimeout ?? gracePeriod;
    if (timeout === Infinity) return;
    setTimeout(() => {
      if (slot.run !== run || !slot.escaped) return;
      logger.warn(
        { payload: info(node), supervisor: info(this.#node), timeout },
        `child '${node.name}' (${node.flavour}, #${node.id}) of supervisor '${this.#node.name}' did not stop within ${timeout} ms after an error escaped it, and was abandoned`,
      );
      // Its late outcome is ignored.
      slot.run++;
      this.#escapedEnd(slot, slot.run);
    }, timeout).unref();
  }

  #escapedEnd(slot: Slot, run: number): void {
    const { error } = slot.escaped!;
    slot.escaped = undefined;
    this.#ended(slot, run, error, true);
  }

  /** What happens when a child's run ended, by itself or because this supervisor stopped it. */
  #ended(slot: Slot, run: number, reason: unknown, failed: boolean): void {
    if (run !== slot.run) return;
    const { child } = slot;
    if (slot.status === 'stopping' || this.#closing) {
      if (failed) this.#failedWhileStopped(slot, reason);
      if (this.#closing) this.#end(slot, failed ? 'failed' : 'cancelled');
      else this.#waitForRestart(slot);
      return;
    }
    // While the runner stops, nothing restarts, as at the top of the tree.
    if ((child.restart === 'always' || (failed && child.restart === 'on-failure')) && !this.#session.stopping) {
      this.#restart(slot, reason);
      return;
    }
    if (failed) {
      this.#end(slot, 'failed');
      this.#fail(slot, reason);
      return;
    }
    this.#end(slot, 'done');
    const { autoShutdown } = this.#spec;
    if (child.significant && autoShutdown !== 'never') {
      const all = autoShutdown === 'all-significant';
      if (!all || this.#slots.every((s) => !s.child.significant || s.status === 'ended')) {
        this.#stop(undefined);
        return;
      }
    }
    this.#endIfAllEnded();
  }

  /**
   * A child failed while it was being stopped. Logged; and when this supervisor itself stops,
   * its run fails with it instead of ending as cancelled or done, as a payload that fails while
   * the runtime stops it fails the runtime: nothing is lost because it happened during a stop.
   */
  #failedWhileStopped(slot: Slot, reason: unknown): void {
    // While it stops, an AbortError or a refusal is the stop doing its work.
    if (isAbortError(reason) || isRunnerStopping(reason)) return;
    const { node } = slot;
    this.#session.config.logger.error(
      { err: reason, payload: info(node), supervisor: info(this.#node) },
      `child '${node.name}' of supervisor '${this.#node.name}' failed while it was stopped: ${describeValue(reason)}`,
    );
    if (this.#closing) this.#stopFailure ??= new ChildFailure(info(node), info(this.#node), reason);
  }

  #end(slot: Slot, state: EndState): void {
    if (slot.status === 'ended') return;
    clearTimeout(slot.timer);
    slot.status = 'ended';
    slot.node.state = state;
    slot.node.scope = undefined;
    this.#session.supervisor.recordEnd(slot.node);
  }

  #waitForRestart(slot: Slot): void {
    slot.status = 'restarting';
    slot.node.state = 'restarting';
  }

  /** A supervisor whose children all ended, with none to restart, ends normally. */
  #endIfAllEnded(): void {
    if (!this.#closing && this.#slots.every((slot) => slot.status === 'ended')) this.#stop(undefined);
  }

  /** The child in `slot` failed and is not restarted: the supervisor fails. */
  #fail(slot: Slot, reason: unknown): void {
    const failure = new ChildFailure(info(slot.node), info(this.#node), reason);
    if (!this.#closing) {
      this.#session.config.logger.error(
        { err: failure, payload: info(slot.node), supervisor: info(this.#node) },
        `${failure.message}; supervisor '${this.#node.name}' stops its children and fails`,
      );
    }
    this.#stop(failure);
  }

  #restart(slot: Slot, reason: unknown): void {
    const now = Date.now();
    const { restarts: budget, within } = this.#spec.intensity;
    const recent = this.#recent;
    while (recent.length > 0 && now - recent[0]! >= within) recent.shift();
    if (recent.length >= budget) {
      this.#end(slot, 'failed');
      this.#stop(new RestartIntensityExceeded(info(this.#node), budget, within, reason));
      return;
    }
    recent.push(now);
    this.restarts++;
    const own = (slot.recent ??= []);
    while (own.length > 0 && now - own[0]! >= within) own.shift();
    const delay = backoffDelay(slot.child.policy!, own.length);
    own.push(now);
    this.#waitForRestart(slot);
    const { node } = slot;
    const group = this.#groupOf(slot);
    const others = group.length - 1;
    this.#session.config.logger.warn(
      { payload: info(node), supervisor: info(this.#node), err: reason, restarts: node.restarts + 1, delay },
      `child '${node.name}' (${node.flavour}, #${node.id}) of supervisor '${this.#node.name}' ended` +
        `${reason === undefined ? '' : ` with ${describeValue(reason)}`}; restart in ${delay} ms` +
        (others > 0 ? ` with ${others} sibling${others === 1 ? '' : 's'} (${this.strategy})` : ''),
    );
    if (this.strategy === 'one-for-one') {
      this.#published(slot, delay, reason);
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        void this.#runAgain(slot);
      }, delay);
      return;
    }
    this.#groupRestarts = this.#groupRestarts.then(() => this.#restartGroup(slot, delay, reason));
  }

  /** The children that restart with `slot`: by the strategy, those that have not ended. */
  #groupOf(slot: Slot): Slot[] {
    const from = this.strategy === 'rest-for-one' ? slot.index : 0;
    const candidates = this.strategy === 'one-for-one' ? [slot] : this.#slots.slice(from);
    return candidates.filter((s) => s === slot || s.status !== 'ended');
  }

  /** Stop the group of `slot`, newest first, wait out its backoff, and start the group again in order. */
  async #restartGroup(slot: Slot, delay: number, reason: unknown): Promise<void> {
    // An earlier group restart may have run this child again already.
    if (this.#closing || slot.status !== 'restarting') return;
    const group = this.#groupOf(slot);
    for (const sibling of [...group].reverse()) {
      if (sibling.status === 'running' || sibling.status === 'stopping') await this.#stopChild(sibling, true);
    }
    if (this.#closing) return;
    this.#published(slot, delay, reason);
    for (const sibling of group) if (sibling !== slot && sibling.status === 'restarting') this.#published(sibling, delay, reason);
    await new Promise<void>((resolve) => {
      this.#backoff = { timer: setTimeout(resolve, delay), resolve };
    });
    this.#backoff = undefined;
    for (const sibling of group) await this.#runAgain(sibling);
  }

  async #runAgain(slot: Slot): Promise<void> {
    // No execute of the old run may outlive it: the new run waits until they settled.
    const executes = leftBehind(slot.node);
    if (executes) await executes;
    if (this.#closing || slot.status !== 'restarting') return;
    slot.node.restarts++;
    await this.#run(slot);
  }

  #published(slot: Slot, delay: number, reason: unknown): void {
    if (!restartChannel.hasSubscribers) return;
    const { node } = slot;
    const event: RestartEvent = {
      id: node.id,
      name: node.name,
      flavour: node.flavour,
      restarts: node.restarts + 1,
      delay,
      reason,
      parent: { id: this.#node.id, name: this.#node.name },
    };
    restartChannel.publish(event);
  }

  /**
   * Stop one child: a nested supervisor stops its own children first; a payload is cancelled as
   * its flavour allows, and abandoned if it does not settle within its time.
   */
  #stopChild(slot: Slot, toRestart = false): Promise<void> {
    if (slot.status === 'restarting' && !toRestart) {
      this.#end(slot, 'cancelled');
      return Promise.resolve();
    }
    if (slot.status !== 'running' && slot.status !== 'stopping') return Promise.resolve();
    if (slot.stopping) return slot.stopping;
    const { node, child } = slot;
    const run = slot.run;
    slot.status = 'stopping';
    node.state = 'stopping';
    const timeout = child.shutdownTimeout ?? (child.flavour === undefined ? undefined : this.#session.config.gracePeriod);
    this.#session.cancel(node);
    const stopping = (slot.stopping = within(slot.settled, timeout).then((result) => {
      slot.stopping = undefined;
      if (result !== 'timeout' || slot.run !== run) return;
      // Abandoned: its late outcome is ignored.
      slot.run++;
      this.#session.config.logger.warn(
        { payload: info(node), supervisor: info(this.#node), timeout },
        `child '${node.name}' (${node.flavour}, #${node.id}) of supervisor '${this.#node.name}' did not stop within ${timeout} ms and was abandoned`,
      );
      if (this.#closing) this.#end(slot, 'abandoned');
      else this.#waitForRestart(slot);
    }));
    return stopping;
  }

  /**
   * Stop for good: no more starts and restarts; the children stop in reverse order; then the
   * run settles with `reason` (undefined: a normal end).
   */
  #stop(reason: unknown): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#backoff) {
      clearTimeout(this.#backoff.timer);
      this.#backoff.resolve();
    }
    // Everything under it is about to be stopped: a refusal or an AbortError it meets now is a cancellation.
    for (const slot of this.#slots) if (slot.status === 'running') slot.node.state = 'stopping';
    void this.#stopAll().then(() => {
      // A failure it stopped for comes first; a child that failed while it stopped beats a plain end.
      const outcome = reason === undefined || isCancellation(reason) ? (this.#stopFailure ?? reason) : reason;
      if (outcome === undefined) this.#settle.resolve();
      else this.#settle.reject(outcome);
    });
  }

  async #stopAll(): Promise<void> {
    for (const slot of [...this.#slots].reverse()) await this.#stopChild(slot);
  }
}
