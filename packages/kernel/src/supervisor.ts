/**
 * The supervision engine: one {@link Supervisor} per supervisor in the tree. The runtime's top
 * level is a supervisor (the root: one-for-one, no budget of its own, its children come and go
 * with `adopt()`); every `supervisor()` spec that runs is another, nested under it. Both decide
 * in the same code what a child's end means, when and how it restarts, to whom an error that
 * escaped a run belongs, and how a child is stopped (cancel, its time, abandon). They differ in
 * what a child's failure that no restart absorbs does: at the root it is fatal to the runtime
 * (`host.fail`, and `accept()` rejects with a `PayloadFailure`); in a spec'd supervisor it stops
 * the siblings and fails that supervisor's own run, which its parent then handles.
 *
 * An `execute()` is a child too, of the payload that called it or of the root, with no restart:
 * its outcome goes to its caller (see run.ts); this module stops and abandons it like any child.
 */
import { stopReason } from './cancellation.js';
import {
  ChildFailure,
  OrphanedReturn,
  PayloadAbandoned,
  RestartIntensityExceeded,
  describeValue,
  isAbortError,
  isCancellation,
  isRunnerStopping,
  type CancelReason,
  type PayloadInfo,
} from './errors.js';
import { cancelled, type Flavour } from './flavour.js';
import { beginTrace, endTrace, payloadChannel, restartChannel, takeTrace, type RestartEvent } from './instrumentation.js';
import type { Logger } from './logger.js';
import { PayloadNode, info, nextPayloadId, type EndState, type SupervisorRun } from './node.js';
import { loadFlavour } from './registry.js';
import { backoffDelay } from './supervision-options.js';
import { supervisorFlavour, type Strategy, type SupervisorSpec } from './supervisor-spec.js';
import { deadline, until } from './within.js';

/** What the engine needs of the session it runs in. */
export interface SupervisorHost {
  readonly logger: Logger;
  readonly gracePeriod: number;
  /** Whether the runtime stops: nothing restarts any more. */
  readonly stopping: boolean;
  /** Begin one run of `node`'s payload on its flavour's runner (traced when anyone listens). */
  start(node: PayloadNode, flavour: Flavour, payload: unknown, args: readonly unknown[]): Promise<unknown>;
  /** Ask `node`'s flavour runner to stop it (`runner.cancel`); false if the runner cannot. */
  cancelInRunner(node: PayloadNode): boolean;
  /** Resolves once `flavour`'s runner is ready, or the runtime stops. */
  prepare(flavour: Flavour): Promise<void>;
  /** A failure at the top: the first stops the runtime. */
  fail(node: PayloadInfo, error: unknown): void;
  /** A node of the top level, or an execute, ended: forget it, and remember it for `tree()`. */
  forget(node: PayloadNode): void;
  /** A supervisor's child ended: remember it for `tree()`. */
  remember(node: PayloadNode): void;
}

/**
 * Whether `error` ends `node`'s run as a cancellation: a `PayloadCancelled`, or, from a payload the
 * runtime had asked to stop, an `AbortError` (its signal doing its work) or a `RunnerStopping`
 * (an `adopt()` or `execute()` it called was refused because the runner stops).
 */
export function stoppedBy(node: PayloadNode, error: unknown): boolean {
  return isCancellation(error) || (node.state === 'stopping' && (isAbortError(error) || isRunnerStopping(error)));
}

const ignore = (): void => {};

/**
 * The run `run` of `node` settled with `error` after it was abandoned (it did not stop within
 * its time; `abandon()` moved `node.runs` on). Its outcome changes nothing any more, but a real
 * failure is logged, as an error that escapes an abandoned payload is: nothing is lost silently.
 * An end by its stop (its signal's `AbortError`, a cancellation) is the stop arriving late.
 */
export function lateFailure(host: SupervisorHost, node: PayloadNode, run: number, error: unknown): void {
  if (run === node.runs || isCancellation(error) || isAbortError(error) || isRunnerStopping(error)) return;
  host.logger.error(
    { err: error, payload: info(node) },
    `${describe(node)}, abandoned when it did not stop in time, failed later: ${describeValue(error)}`,
  );
}

/** How logs name a node: a supervisor's child by its supervisor too. */
function describe(node: PayloadNode): string {
  const { parent } = node;
  const of = parent?.supervisor ? ` of supervisor '${parent.name}'` : '';
  return `${of ? 'child' : 'payload'} '${node.name}' (${node.flavour}, #${node.id})${of}`;
}

/**
 * Ask `node` to stop as its flavour allows: its unsettled executes first (they belong to it),
 * then a supervisor's children, or its cancel scope and its runner's `cancel()`. False if nothing
 * can stop it on its own (its flavour has no `cancel()` and it asked for no scope): then only the
 * runner's `close()` can. `asStop: false` stops the run without taking its end for a stop (an
 * error escaped it: its end is that failure).
 */
export function cancel(host: SupervisorHost, node: PayloadNode, reason: CancelReason, asStop = true): boolean {
  // Asked to stop: an AbortError or a refusal it meets from now on is a cancellation.
  if (asStop && node.state === 'running') node.state = 'stopping';
  node.cancelReason ??= reason;
  const { executes } = node;
  if (executes) for (const execute of executes) cancel(host, execute, reason === 'shutdown' ? 'shutdown' : 'caller-stopped');
  const run = node.supervisor as Supervisor | undefined;
  if (run) {
    run.close(cancelled(node));
    return true;
  }
  node.scope?.cancel(stopReason);
  return host.cancelInRunner(node) || node.scope !== undefined;
}

/** Resolves once `node`'s current run has ended or was abandoned; at once when none runs. */
export function whenEnded(node: PayloadNode): Promise<void> {
  if (node.state !== 'running' && node.state !== 'stopping') return Promise.resolve();
  return new Promise((resolve) => (node.waiters ??= []).push(resolve));
}

/** `node`'s current run ended: whoever waits for it goes on. */
export function runEnded(node: PayloadNode): void {
  const { waiters } = node;
  if (!waiters) return;
  node.waiters = undefined;
  for (const waiter of waiters) waiter();
}

/**
 * Give up on `node`'s run: it did not stop within `timeout` ms. Its unsettled executes are given
 * up on first, each with its own warning, since a payload that waits for a stuck execute is not
 * the one stuck. Its late outcome will be ignored; its caller, for an execute, gets a
 * `PayloadAbandoned`; it is logged. The caller of this sets what the node becomes.
 */
export function abandon(host: SupervisorHost, node: PayloadNode, timeout: number, after = ''): void {
  abandonExecutes(host, node, timeout);
  node.runs++;
  runEnded(node);
  const { reject, parent, caller } = node;
  if (reject) {
    node.reject = node.caller = undefined;
    reject(new PayloadAbandoned(info(node), timeout, node.cancelReason ?? 'shutdown', parent && info(parent)));
    // A cancellation the runtime made is never a crash, also when nobody awaits the execute.
    caller?.catch(ignore);
  }
  host.logger.warn(
    { payload: info(node), ...(parent?.supervisor ? { supervisor: info(parent) } : {}), timeout },
    `${describe(node)} did not stop within ${timeout} ms${after} and was abandoned`,
  );
}

function abandonExecutes(host: SupervisorHost, node: PayloadNode, timeout: number): void {
  const { executes } = node;
  if (executes?.size) for (const execute of [...executes]) void abandonNode(host, execute, timeout);
}

/**
 * An execute, or a node of the top level, that did not stop in time: abandoned and forgotten.
 * One that has unsettled executes of its own gives them up first and gets one more turn of the
 * event loop: if it only waited for them, it settles by itself now and is not blamed. Resolves
 * once it ended either way.
 */
export function abandonNode(host: SupervisorHost, node: PayloadNode, timeout: number, after = ''): Promise<void> {
  if (node.ended) return Promise.resolve();
  if (!node.executes?.size) {
    giveUp(host, node, timeout, after);
    return Promise.resolve();
  }
  abandonExecutes(host, node, timeout);
  return new Promise((resolve) =>
    setImmediate(() => {
      giveUp(host, node, timeout, after);
      resolve();
    }),
  );
}

function giveUp(host: SupervisorHost, node: PayloadNode, timeout: number, after: string): void {
  if (node.ended) return;
  abandon(host, node, timeout, after);
  clearTimeout(node.timer);
  node.state = 'abandoned';
  node.scope = undefined;
  node.parent?.executes?.delete(node);
  host.forget(node);
}

/**
 * Stop `node` and wait for its run to end, at most `timeout` ms (undefined: as long as it
 * takes). Resolves with `'timeout'` if its run did not end in time (it is not abandoned here),
 * `'cannot'` if nothing but its runner's `close()` can stop it, `'ended'` otherwise.
 */
export async function stopWithin(
  host: SupervisorHost,
  node: PayloadNode,
  reason: CancelReason,
  timeout: number | undefined,
  onlyIfStoppable = false,
): Promise<'ended' | 'timeout' | 'cannot'> {
  const run = node.runs;
  // The time to stop starts before the flavour is asked to: a flavour that ends a payload itself
  // at the same timeout (threading terminates its thread) then never gets ahead of the kernel,
  // and a payload it cut short is reported abandoned, not cancelled.
  const limit = deadline(timeout);
  if (!cancel(host, node, reason) && onlyIfStoppable) {
    limit.clear();
    return 'cannot';
  }
  const result = await until(whenEnded(node), limit);
  return result === 'timeout' && node.runs === run ? 'timeout' : 'ended';
}

/**
 * The run of `node` ended: cancel the executes it left unsettled, each within its time (the
 * grace period) before it is abandoned. A restart of `node` waits for them (`node.leftovers`).
 */
export function endExecutes(host: SupervisorHost, node: PayloadNode): void {
  const { executes } = node;
  if (!executes?.size) return;
  const left = [...executes];
  executes.clear();
  const done = Promise.all(
    left.map(async (execute) => {
      const timeout = execute.shutdownTimeout ?? host.gracePeriod;
      if ((await stopWithin(host, execute, 'caller-ended', timeout)) === 'timeout') await abandonNode(host, execute, timeout);
    }),
  ).then(() => {
    if (node.leftovers === done) node.leftovers = undefined;
  });
  node.leftovers = done;
}

/**
 * An error escaped an execute's run: its caller gets it at once, and the run is stopped; if it
 * does not stop within its time, it is abandoned.
 */
export function escapeExecute(host: SupervisorHost, node: PayloadNode, error: unknown): void {
  if (node.ended) {
    host.logger.error(
      { err: error, payload: info(node) },
      `an error escaped payload '${node.name}' (${node.flavour}, #${node.id}) after its execute() had ended: ${describeValue(error)}`,
    );
    return;
  }
  if (node.escaped) {
    host.logger.error(
      { err: error, payload: info(node) },
      `another error escaped payload '${node.name}' while it stops: ${describeValue(error)}`,
    );
    return;
  }
  node.escaped = { error, reported: true };
  const { reject } = node;
  node.reject = undefined;
  reject?.(error);
  // As in stopWithin(): the time to stop starts before the flavour is asked to stop it.
  const timeout = node.shutdownTimeout ?? host.gracePeriod;
  const run = node.runs;
  if (timeout !== Infinity) {
    setTimeout(() => {
      if (node.runs === run && !node.ended) void abandonNode(host, node, timeout, ' after an error escaped it,');
    }, timeout).unref();
  }
  cancel(host, node, 'caller-stopped', false);
}

function restartLater(supervisor: Supervisor, node: PayloadNode): void {
  supervisor.restartLater(node);
}

/** Drop the entries of `recent` older than `window` ms before `now`. */
function prune(recent: number[], now: number, window: number): void {
  let old = 0;
  while (old < recent.length && now - recent[old]! >= window) old++;
  if (old > 0) recent.splice(0, old);
}

/**
 * Run the supervisor `spec` as `node`'s run. The promise settles once every child has stopped or
 * was abandoned: with undefined when it ended normally, with its failure, or as cancelled when
 * its parent stopped it (`cancel(node)`).
 */
export function runSupervisor(host: SupervisorHost, spec: SupervisorSpec, node: PayloadNode): Promise<void> {
  if (!payloadChannel.hasSubscribers) return Supervisor.run(host, spec, undefined, node);
  return beginTrace(node, Supervisor.run, Supervisor, host, spec, undefined);
}

/** A group restart waiting out its backoff. */
interface GroupBackoff {
  readonly timer: NodeJS.Timeout;
  readonly resolve: () => void;
  readonly group: readonly PayloadNode[];
  /** Set when a later group restart takes its children over. */
  superseded: boolean;
}

/**
 * A supervisor: the root (no node, no spec) or the run of a `supervisor()` spec. See the module
 * comment for what it decides.
 */
export class Supervisor implements SupervisorRun {
  readonly strategy: Strategy;
  /** How many restarts of its children it decided in this run. */
  restarts = 0;
  /** Settles when a spec'd supervisor's run ends (never for the root). */
  readonly done: Promise<void>;
  /** Resolves once every child has started, or the supervisor stopped before. */
  readonly started: Promise<void>;
  readonly #host: SupervisorHost;
  /** Its own node; undefined for the root. */
  readonly #node: PayloadNode | undefined;
  readonly #spec: SupervisorSpec | undefined;
  /** A spec'd supervisor's children, in their order. */
  readonly #children: PayloadNode[];
  /** When it decided a restart of a child within its intensity period, oldest first. */
  readonly #recent: number[] = [];
  #settle!: { resolve: () => void; reject: (error: unknown) => void };
  /** Set once it stops for good: no child starts or restarts any more. */
  #closing = false;
  /** The first failure of a child while it stopped for good: its run fails with it. */
  #stopFailure: unknown;
  /** Restarts of more than one child, one after the other. */
  #groupRestarts: Promise<void> = Promise.resolve();
  /** The backoff wait of a group restart, to cut it short on stop. */
  #backoff: GroupBackoff | undefined;

  /** A run of `spec` as `node`'s: what settles when it ends. */
  static run(host: SupervisorHost, spec: SupervisorSpec, _: undefined, node: PayloadNode): Promise<void> {
    return new Supervisor(host, node, spec).done;
  }

  /** The root supervisor of a session. */
  static root(host: SupervisorHost): Supervisor {
    return new Supervisor(host, undefined, undefined);
  }

  private constructor(host: SupervisorHost, node: PayloadNode | undefined, spec: SupervisorSpec | undefined) {
    this.#host = host;
    this.#node = node;
    this.#spec = spec;
    this.strategy = spec?.strategy ?? 'one-for-one';
    if (!node || !spec) {
      this.#children = [];
      this.done = new Promise(() => {});
      this.started = Promise.resolve();
      return;
    }
    this.done = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    node.supervisor = this;
    this.#children = spec.children.map((child, index) => {
      const flavour =
        child.flavour === undefined ? supervisorFlavour : typeof child.flavour === 'string' ? child.flavour : child.flavour.name;
      const made = new PayloadNode(nextPayloadId(), child.name, flavour, 'adopt', node, false, child.shutdownTimeout);
      made.child = child;
      made.index = index;
      made.policy = child.policy;
      made.state = 'queued';
      return made;
    });
    this.started = this.#startChildren();
  }

  children(): readonly PayloadNode[] {
    return this.#children;
  }

  /** The root: put `node` under supervision and start its first run. */
  adopt(node: PayloadNode): void {
    void this.#run(node);
  }

  /** Load the children's flavours and start their runners, then start the children in order. */
  async #startChildren(): Promise<void> {
    const host = this.#host;
    await Promise.all(
      this.#children.map(async (node) => {
        const child = node.child!;
        if (child.flavour === undefined) {
          const spec = child.payload as SupervisorSpec;
          node.start = () => runSupervisor(host, spec, node);
          return;
        }
        try {
          const flavour = typeof child.flavour === 'string' ? await loadFlavour(child.flavour) : child.flavour;
          if (typeof child.flavour === 'string') flavour.validate(child.payload);
          node.start = () => host.start(node, flavour, child.payload, child.args);
          await host.prepare(flavour);
        } catch (error) {
          this.#end(node, 'failed');
          this.#childFailed(node, error);
        }
      }),
    );
    for (const node of this.#children) {
      if (node.state === 'queued') await this.#run(node);
    }
    this.#endIfAllEnded();
  }

  /** Begin a run of `node`; resolves once it has started (a nested supervisor: once its children have). */
  #run(node: PayloadNode): Promise<void> | undefined {
    // Once a spec'd supervisor closed, none of its children starts. At the root, a payload
    // launched while the runtime's stop is under way still starts, and is stopped with the rest.
    if (this.#closing && this.#node) {
      this.#end(node, 'cancelled');
      return;
    }
    const run = ++node.runs;
    node.state = 'running';
    node.startedAt = Date.now();
    node.scope = undefined;
    node.cancelReason = undefined;
    let outcome: Promise<unknown>;
    try {
      outcome = node.start!();
    } catch (error) {
      outcome = Promise.reject(error);
    }
    const trace = takeTrace(node);
    outcome.then(
      (value) => {
        endTrace(trace, false, value);
        if (value === undefined) this.#ended(node, run, false, undefined);
        else this.#ended(node, run, true, new OrphanedReturn(info(node), value));
      },
      (error: unknown) => {
        endTrace(trace, true, error);
        lateFailure(this.#host, node, run, error);
        this.#ended(node, run, !stoppedBy(node, error), error);
      },
    );
    return (node.supervisor as Supervisor | undefined)?.started;
  }

  get #stopsForGood(): boolean {
    return this.#closing || this.#host.stopping;
  }

  /**
   * A child's run ended: `failed` with `reason`, or not (`reason` is then undefined for a clean
   * end, or the cancellation it ended with).
   */
  #ended(node: PayloadNode, run: number, failed: boolean, reason: unknown): void {
    if (run !== node.runs) return;
    runEnded(node);
    if (node.executes?.size) endExecutes(this.#host, node);
    const { escaped } = node;
    if (escaped) {
      node.escaped = undefined;
      if (escaped.reported) {
        this.#end(node, 'failed');
        return;
      }
      failed = true;
      reason = escaped.error;
    }
    if (node.state === 'stopping') {
      // Stopped: because its supervisor stops, the runtime stops, or its group restarts. A real
      // failure still counts as it would have counted outside the stop.
      const real = failed && !isAbortError(reason) && !isRunnerStopping(reason);
      if (real) this.#failedWhileStopping(node, reason);
      if (this.#stopsForGood) this.#end(node, real ? 'failed' : 'cancelled');
      else if (!node.ended) node.state = 'restarting';
      return;
    }
    const { policy } = node;
    if (policy && (failed || policy.mode === 'always') && !this.#stopsForGood) {
      this.#restart(node, reason);
      return;
    }
    if (failed) {
      this.#end(node, 'failed');
      this.#childFailed(node, reason);
      return;
    }
    this.#end(node, reason === undefined ? 'done' : 'cancelled');
    this.#childDone(node);
  }

  /** Whether a restart of `node` would be decided now: its policy covers a failure and no intensity is exceeded. */
  #absorbs(node: PayloadNode): unknown {
    const { policy } = node;
    if (!policy) return false;
    const now = Date.now();
    const own = node.recent ?? [];
    const ownRecent = own.filter((t) => now - t < policy.within).length;
    if (ownRecent >= policy.maxRestarts) return new RestartIntensityExceeded(info(node), policy.maxRestarts, policy.within, undefined);
    const budget = this.#spec?.intensity;
    if (budget && this.#recent.filter((t) => now - t < budget.within).length >= budget.restarts) {
      return new RestartIntensityExceeded(info(this.#node!), budget.restarts, budget.within, undefined);
    }
    return true;
  }

  /**
   * A child failed while it was being stopped. If its restart policy would have restarted it,
   * that is logged and the stop goes on as planned; if it would have been fatal (no policy, or
   * an intensity exceeded), it is the failure it would have been: at the root the runtime fails,
   * in a supervisor that supervisor fails (once it stopped its other children).
   */
  #failedWhileStopping(node: PayloadNode, reason: unknown): void {
    const absorbed = this.#absorbs(node);
    const { logger } = this.#host;
    const where = this.#node ? { supervisor: info(this.#node) } : {};
    if (absorbed === true) {
      logger.error(
        { err: reason, payload: info(node), ...where },
        `${describe(node)} failed while it was stopped, and its restart policy would have restarted it: ${describeValue(reason)}`,
      );
      return;
    }
    const error =
      absorbed instanceof RestartIntensityExceeded
        ? new RestartIntensityExceeded(absorbed.payload, absorbed.restarts, absorbed.within, reason)
        : reason;
    if (!this.#node) {
      this.#host.fail(node, error);
      return;
    }
    logger.error({ err: reason, payload: info(node), ...where }, `${describe(node)} failed while it was stopped: ${describeValue(reason)}`);
    if (absorbed instanceof RestartIntensityExceeded && absorbed.payload.id === this.#node.id) {
      this.#stopFailure ??= error;
    } else this.#stopFailure ??= new ChildFailure(info(node), info(this.#node), error);
    if (!this.#closing) this.close(undefined);
  }

  /** `node` ended for good in `state`. */
  #end(node: PayloadNode, state: EndState): void {
    if (node.ended) return;
    clearTimeout(node.timer);
    node.timer = undefined;
    node.state = state;
    node.scope = undefined;
    if (this.#node) this.#host.remember(node);
    else this.#host.forget(node);
  }

  /** `node` failed and is not restarted: at the root, the runtime fails; elsewhere this supervisor does. */
  #childFailed(node: PayloadNode, reason: unknown): void {
    if (!this.#node) {
      this.#host.fail(node, reason);
      return;
    }
    const failure = new ChildFailure(info(node), info(this.#node), reason);
    if (!this.#closing) {
      this.#host.logger.error(
        { err: failure, payload: info(node), supervisor: info(this.#node) },
        `${failure.message}; supervisor '${this.#node.name}' stops its children and fails`,
      );
    }
    this.close(failure);
  }

  /** `node` ended normally, with no restart: a significant child may end the supervisor. */
  #childDone(node: PayloadNode): void {
    const spec = this.#spec;
    if (!spec) return;
    const { autoShutdown } = spec;
    if (node.child!.significant && autoShutdown !== 'never') {
      const all = autoShutdown === 'all-significant';
      if (!all || this.#children.every((c) => !c.child!.significant || c.ended)) {
        this.close(undefined);
        return;
      }
    }
    this.#endIfAllEnded();
  }

  /** A supervisor whose children all ended, with none to restart, ends normally. */
  #endIfAllEnded(): void {
    if (this.#spec && !this.#closing && this.#children.every((c) => c.ended)) this.close(undefined);
  }

  /**
   * The restart decision, counted when it is made: the child's own policy (its window, for its
   * backoff and its own intensity) and this supervisor's intensity (its budget for all its
   * children's restarts). Past either, the child, or this supervisor, fails with
   * `RestartIntensityExceeded`.
   */
  #restart(node: PayloadNode, reason: unknown): void {
    const policy = node.policy!;
    const now = Date.now();
    const own = (node.recent ??= []);
    prune(own, now, policy.within);
    if (own.length >= policy.maxRestarts) {
      this.#end(node, 'failed');
      this.#childFailed(node, new RestartIntensityExceeded(info(node), policy.maxRestarts, policy.within, reason));
      return;
    }
    const budget = this.#spec?.intensity;
    if (budget) {
      prune(this.#recent, now, budget.within);
      if (this.#recent.length >= budget.restarts) {
        this.#end(node, 'failed');
        this.close(new RestartIntensityExceeded(info(this.#node!), budget.restarts, budget.within, reason));
        return;
      }
      this.#recent.push(now);
    }
    const delay = backoffDelay(policy, own.length);
    own.push(now);
    node.restarts++;
    this.restarts++;
    node.state = 'restarting';
    const group = this.#groupOf(node);
    const others = group.length - 1;
    this.#host.logger.warn(
      { payload: info(node), ...(this.#node ? { supervisor: info(this.#node) } : {}), err: reason, restarts: node.restarts, delay },
      `${describe(node)} ended${reason === undefined ? '' : ` with ${describeValue(reason)}`}; restart ${node.restarts} in ${delay} ms` +
        (others > 0 ? ` with ${others} sibling${others === 1 ? '' : 's'} (${this.strategy})` : ''),
    );
    if (this.strategy === 'one-for-one') {
      this.#publish(node, delay, reason);
      // No closure: one made here would keep this function's scope (the reason, an error with its stack) alive.
      node.timer = setTimeout(restartLater, delay, this, node);
      return;
    }
    this.#queueGroupRestart(node, delay, reason);
  }

  /** The timer of a one-for-one restart fired. */
  restartLater(node: PayloadNode): void {
    node.timer = undefined;
    void this.#runAgain(node);
  }

  #queueGroupRestart(node: PayloadNode, delay: number, reason: unknown): void {
    // A group restart waiting out its backoff whose children all restart with this one too is
    // superseded: this one stops and starts them, after its own backoff, instead of waiting for
    // the other's first (a failed connection would leave its dependants running on it until then).
    const waiting = this.#backoff;
    if (waiting && !waiting.superseded) {
      const group = this.#groupOf(node);
      if (waiting.group.every((child) => group.includes(child))) {
        waiting.superseded = true;
        clearTimeout(waiting.timer);
        waiting.resolve();
      }
    }
    this.#groupRestarts = this.#groupRestarts.then(() => this.#restartGroup(node, delay, reason));
  }

  /** The children that restart with `node`: by the strategy, those that have not ended. */
  #groupOf(node: PayloadNode): PayloadNode[] {
    if (this.strategy === 'one-for-one') return [node];
    const from = this.strategy === 'rest-for-one' ? node.index : 0;
    return this.#children.slice(from).filter((c) => c === node || !c.ended);
  }

  /** Stop the group of `node`, newest first, wait out its backoff, and start the group again in order. */
  async #restartGroup(node: PayloadNode, delay: number, reason: unknown): Promise<void> {
    // An earlier group restart may have run this child again already.
    if (this.#closing || node.state !== 'restarting') return;
    const group = this.#groupOf(node);
    for (const sibling of [...group].reverse()) {
      if (sibling.state === 'running' || sibling.state === 'stopping') await this.#stopChild(sibling, true);
    }
    if (this.#closing) return;
    this.#publish(node, delay, reason);
    for (const sibling of group) {
      if (sibling === node || sibling.state !== 'restarting') continue;
      // A sibling's restart is decided here, with the group's.
      sibling.restarts++;
      this.#publish(sibling, delay, reason);
    }
    const backoff = await new Promise<GroupBackoff>((resolve) => {
      const waiting: GroupBackoff = {
        timer: setTimeout(() => resolve(waiting), delay),
        resolve: () => resolve(waiting),
        group,
        superseded: false,
      };
      this.#backoff = waiting;
    });
    this.#backoff = undefined;
    if (backoff.superseded) return;
    for (const sibling of group) await this.#runAgain(sibling);
  }

  async #runAgain(node: PayloadNode): Promise<void> {
    // No execute of the old run may outlive it: the new run waits until they settled.
    if (node.leftovers) await node.leftovers;
    if (this.#stopsForGood || node.state !== 'restarting') return;
    await this.#run(node);
  }

  #publish(node: PayloadNode, delay: number, reason: unknown): void {
    if (!restartChannel.hasSubscribers) return;
    const parent = this.#node;
    const event: RestartEvent = {
      id: node.id,
      name: node.name,
      flavour: node.flavour,
      restarts: node.restarts,
      delay,
      reason,
      ...(parent ? { parent: { id: parent.id, name: parent.name } } : {}),
    };
    restartChannel.publish(event);
  }

  /**
   * Stop one child of a spec'd supervisor: cancelled as its flavour allows (a nested supervisor
   * stops its own children first), and abandoned if it does not end within its time.
   */
  async #stopChild(node: PayloadNode, toRestart = false): Promise<void> {
    if (node.state === 'restarting' && !toRestart) {
      this.#end(node, 'cancelled');
      return;
    }
    if (node.state !== 'running' && node.state !== 'stopping') return;
    const host = this.#host;
    const timeout = node.shutdownTimeout ?? (node.child!.flavour === undefined ? undefined : host.gracePeriod);
    const reason = host.stopping ? 'shutdown' : 'caller-stopped';
    if ((await stopWithin(host, node, reason, timeout)) !== 'timeout') return;
    abandon(host, node, timeout!);
    if (this.#closing) this.#end(node, 'abandoned');
    else node.state = 'restarting';
  }

  /**
   * Stop for good: no more starts and restarts. The root only marks its children (the session
   * stops them in its order); a spec'd supervisor stops its children in reverse order, then its
   * run settles with `reason` (undefined: a normal end).
   */
  close(reason: unknown): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#backoff) {
      clearTimeout(this.#backoff.timer);
      this.#backoff.resolve();
    }
    if (!this.#node) return;
    // Everything under it is about to be stopped: a refusal or an AbortError it meets now is a cancellation.
    for (const child of this.#children) {
      if (child.state === 'running') child.state = 'stopping';
      else if (child.state === 'queued') this.#end(child, 'cancelled');
    }
    // A microtask per level: stopping a tree of any depth does not grow the stack.
    void Promise.resolve()
      .then(() => this.#stopAll())
      .then(() => {
        // A failure it stopped for comes first; a child that failed while it stopped beats a plain end.
        const outcome = reason === undefined || isCancellation(reason) ? (this.#stopFailure ?? reason) : reason;
        if (outcome === undefined) this.#settle.resolve();
        else this.#settle.reject(outcome);
      });
  }

  async #stopAll(): Promise<void> {
    for (let i = this.#children.length - 1; i >= 0; i--) await this.#stopChild(this.#children[i]!);
  }

  /**
   * The root, when the runtime begins to stop: payloads waiting to restart are done, the others
   * are marked as stopping, so that a failure from now on counts by the rule of the stop.
   */
  beginStop(live: Iterable<PayloadNode>): void {
    this.close(undefined);
    for (const node of [...live]) {
      if (node.state === 'restarting') this.#end(node, 'cancelled');
      else if (node.state === 'running') node.state = 'stopping';
    }
  }

  /**
   * An error escaped the run of `node`, a child of this supervisor: a timer or an emitter threw,
   * or a promise was rejected with nobody to observe it, in its async context. That is its
   * failure, as if it had thrown: the run is stopped and its end counts as this failure (a
   * restart, or a failure no restart absorbs). A payload at the top with no restart policy
   * escalates at once. If the run does not stop within its time, it is abandoned and the failure
   * goes on without it.
   */
  escape(node: PayloadNode, error: unknown): void {
    const { logger, gracePeriod } = this.#host;
    if (node.ended) {
      // It ended: what it left behind failed.
      this.#childFailed(node, error);
      return;
    }
    if (node.state === 'restarting') {
      this.escapedEarlierRun(node, error);
      return;
    }
    if (node.escaped) {
      logger.error(
        { err: error, payload: info(node) },
        `another error escaped payload '${node.name}' while it stops: ${describeValue(error)}`,
      );
      return;
    }
    if (node.state === 'stopping') {
      // Being stopped already: its failure counts by the rule of the stop.
      if (isCancellation(error)) return;
      node.escaped = { error, reported: false };
      return;
    }
    const atOnce = !this.#node && !node.policy;
    node.escaped = { error, reported: atOnce };
    if (atOnce) this.#host.fail(node, error);
    cancel(this.#host, node, 'caller-stopped', false);
    // Without a restart policy at the top, the runtime's stop stops it with the rest.
    if (atOnce) return;
    const timeout = node.shutdownTimeout ?? gracePeriod;
    if (timeout === Infinity) return;
    const run = node.runs;
    setTimeout(() => {
      if (node.runs !== run || node.escaped?.error !== error) return;
      abandon(this.#host, node, timeout, ' after an error escaped it,');
      this.#ended(node, node.runs, true, error);
    }, timeout).unref();
  }

  /** An error escaped an earlier run of a payload that has been restarted since: it is logged. */
  escapedEarlierRun(node: PayloadNode, error: unknown): void {
    this.#host.logger.error(
      { err: error, payload: info(node) },
      `an error escaped an earlier run of payload '${node.name}' (${node.flavour}, #${node.id}), after that run had ended: ${describeValue(error)}`,
    );
  }
}
