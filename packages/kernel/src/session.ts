/**
 * One `accept()` of a runner, from start to stop: the flavour runners it made, the root of its
 * supervision tree (supervisor.ts), the nodes that run, the first failure and the request to
 * stop. A new `accept()` gets a new session, so nothing of an earlier run (a late outcome, an
 * abandoned payload) can reach a later one. It is the `SupervisorHost` of its supervisors.
 */
import { cancelled, type Flavour, type FlavourHost, type FlavourRunner, type RunContext } from './flavour.js';
import type { Logger } from './logger.js';
import { CancelScope } from './cancellation.js';
import { PayloadFailure, UncaughtFailure, describeValue, type PayloadInfo } from './errors.js';
import { beginTrace, payloadChannel, publishRuntime } from './instrumentation.js';
import { LiveNodes } from './live-nodes.js';
import { PayloadNode, info } from './node.js';
import { Supervisor, abandonNode, cancel, escapeExecute, stopWithin, type SupervisorHost } from './supervisor.js';
import { snapshot, type PayloadSnapshot } from './tree.js';
import { within } from './within.js';

/** How many ended payloads a session remembers for `tree()`: the newest ones. */
const remembered = 64;

export type SessionState = 'starting' | 'running' | 'stopping';

interface RunnerSlot {
  readonly flavour: Flavour;
  readonly runner: FlavourRunner;
  /** Pending while the runner starts; undefined once it is ready. */
  ready: Promise<void> | undefined;
}

export interface SessionConfig {
  readonly logger: Logger;
  readonly gracePeriod: number;
  readonly flavourOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export class Session implements SupervisorHost {
  state: SessionState = 'starting';
  /** The root of the supervision tree: a top-level adopt is its child. */
  readonly root: Supervisor;
  /** Every node of the top level and every execute, until it ended: what a stop waits for. */
  readonly live = new LiveNodes<PayloadNode>();
  /** Resolves when someone asks the session to stop. */
  readonly stopRequested: Promise<void>;
  /** Resolves when the session has ended, whatever its outcome. */
  readonly stopped: Promise<void>;
  /** Resolves when the session accepts work; rejects if it ends before. */
  readonly whenRunning: Promise<void>;
  #running!: { resolve: () => void; reject: (error: unknown) => void };
  #requestStop!: () => void;
  #ended!: () => void;
  #stopping = false;
  #failure: PayloadFailure | UncaughtFailure | undefined;
  #drained: (() => void) | undefined;
  /** The newest ended payloads, a ring: slot `#ends % remembered` is the next to write. */
  readonly #endedRing: (PayloadNode | undefined)[] = new Array<PayloadNode | undefined>(remembered);
  #ends = 0;
  /** The runners made so far, by flavour name (one flavour per name, as in the registry). */
  readonly #slots = new Map<string, RunnerSlot>();
  readonly #config: SessionConfig;

  constructor(config: SessionConfig) {
    this.#config = config;
    this.logger = config.logger;
    this.gracePeriod = config.gracePeriod;
    this.root = Supervisor.root(this);
    this.stopRequested = new Promise((resolve) => (this.#requestStop = resolve));
    this.stopped = new Promise((resolve) => (this.#ended = resolve));
    this.whenRunning = new Promise((resolve, reject) => (this.#running = { resolve, reject }));
    this.whenRunning.catch(() => {});
  }

  /** Mark the session as accepting work. */
  run(): void {
    this.state = 'running';
    this.#running.resolve();
  }

  /** Mark the session as ended. */
  end(): void {
    this.#running.reject(new Error('the runner stopped before it accepted work'));
    this.#ended();
  }

  readonly logger: Logger;
  readonly gracePeriod: number;

  /** The first failure: of an adopted payload, or an error that escaped outside any payload. */
  get failure(): PayloadFailure | UncaughtFailure | undefined {
    return this.#failure;
  }

  cancelInRunner(node: PayloadNode): boolean {
    const runner = this.#slots.get(node.flavour)?.runner;
    if (!runner?.cancel) return false;
    try {
      runner.cancel(node);
    } catch (err) {
      this.logger.error({ err, flavour: node.flavour }, `the ${node.flavour} runner failed to cancel '${node.name}': ${String(err)}`);
    }
    return true;
  }

  /**
   * Record a failure at the top: the first is logged at once and escalates (the runner stops),
   * later ones are logged.
   */
  fail(node: PayloadInfo, error: unknown): void {
    const failure = new PayloadFailure(info(node), error);
    if (this.#failure) {
      this.logger.error({ err: failure, payload: info(node) }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.logger.error({ err: failure, payload: info(node) }, failure.message);
    this.requestStop();
  }

  /** An error escaped outside any payload: the application's own code failed, so the runner stops. */
  failUnowned(error: unknown, origin: string): void {
    const failure = new UncaughtFailure(origin, error);
    if (this.#failure) {
      this.logger.error({ err: failure }, `${failure.message} (while stopping after an earlier failure)`);
      return;
    }
    this.#failure = failure;
    this.logger.error({ err: failure }, failure.message);
    this.requestStop();
  }

  forget(node: PayloadNode): void {
    if (!this.live.delete(node)) return;
    this.remember(node);
    if (this.live.size === 0) this.#drained?.();
  }

  remember(node: PayloadNode): void {
    this.#endedRing[this.#ends++ % remembered] = node;
  }

  /** A snapshot of the newest ended payloads (at most 64), oldest first. */
  ended(): PayloadSnapshot[] {
    const slots = Math.min(this.#ends, remembered);
    const first = this.#ends - slots;
    return Array.from({ length: slots }, (_, i) => snapshot(this.#endedRing[(first + i) % remembered]!, false));
  }

  /** A snapshot of the top level, each node with what runs under it. */
  nodes(): PayloadSnapshot[] {
    const top: PayloadSnapshot[] = [];
    for (const node of this.live) if (node.parent === undefined) top.push(snapshot(node));
    return top;
  }

  /** Resolves once no node is live. */
  #whenEmpty(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Whether a stop was asked for (it may not have begun yet). */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Ask the session to stop. From now on nothing new starts: no restart, no payload whose
   * flavour was still loading, no flavour runner.
   */
  requestStop(): void {
    this.#stopping = true;
    // Before stop() begins, so that a payload meeting a refusal already counts as stopping.
    if (this.state !== 'starting') this.root.beginStop(this.live);
    this.#requestStop();
  }

  /**
   * An error escaped a payload's run, found by the async context it escaped in: `scope` is the
   * cancel scope of the run it came from. It is that payload's failure: an execute's caller gets
   * it; an adopted payload's supervisor takes it as the run's failure (supervisor.ts).
   */
  escape(node: PayloadNode, error: unknown, scope: CancelScope): void {
    const owner = node.parent?.supervisor ? (node.parent.supervisor as Supervisor) : this.root;
    // From an earlier run of a payload that was restarted since: that run's end was handled
    // already, and the run now is not to blame.
    if (node.scope !== undefined && node.scope !== scope) {
      owner.escapedEarlierRun(node, error);
      return;
    }
    // Given up on already, maybe by an earlier accept(): it was accounted for then, and nothing
    // that runs now is to blame.
    if (node.state === 'abandoned') {
      this.logger.error(
        { err: error, payload: info(node) },
        `an error escaped payload '${node.name}' (${node.flavour}, #${node.id}), which had been abandoned: ${describeValue(error)}`,
      );
      return;
    }
    if (node.kind === 'execute') escapeExecute(this, node, error);
    else owner.escape(node, error);
  }

  /**
   * Make the runner of `flavour` if this session has none yet, and resolve when it is ready,
   * or as soon as a stop is asked for: a runner whose start() hangs must not hold up shutdown()
   * (its payloads are then abandoned after the grace period, like any that do not stop).
   */
  prepare(flavour: Flavour): Promise<void> {
    const ready = this.#slot(flavour).ready;
    return ready ? Promise.race([ready, this.stopRequested]) : Promise.resolve();
  }

  /**
   * Begin one run of `node`'s payload on its flavour's runner, starting the runner first if
   * needed. When anyone listens, the run's trace is left on the node for whoever watches the
   * outcome to take right away (`takeTrace(node)`) and to end when the run settles
   * (`endTrace`), in the callbacks it has anyway (instrumentation.ts says why).
   */
  start(node: PayloadNode, flavour: Flavour, payload: unknown, args: readonly unknown[]): Promise<unknown> {
    // Checked first: the trace costs more than a no-op payload.
    if (!payloadChannel.hasSubscribers) return this.#run(flavour, payload, args, node);
    return beginTrace(node, this.#run, this, flavour, payload, args);
  }

  #run(flavour: Flavour, payload: unknown, args: readonly unknown[], context: RunContext): Promise<unknown> {
    // A payload whose flavour was still loading when the stop began never starts: the runners
    // are closing, and a runner made now would outlive the session.
    if (this.state === 'stopping') return Promise.reject(cancelled(context));
    let slot: RunnerSlot;
    try {
      slot = this.#slot(flavour);
    } catch (error) {
      return Promise.reject(error);
    }
    if (slot.ready) return slot.ready.then(() => promised(slot.runner.run(payload, args, context), flavour, context));
    try {
      return promised(slot.runner.run(payload, args, context), flavour, context);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stop. First the services, newest first and one at a time, where their flavour can stop a
   * single payload (OTP's shutdown order); then every other payload is cancelled and every
   * flavour runner is closed. Each payload gets its own shutdown timeout, or the grace period,
   * to settle; what is left then is abandoned.
   */
  async stop(): Promise<void> {
    this.state = 'stopping';
    publishRuntime({ state: 'stopping' });
    const { live } = this;
    this.root.beginStop(live);
    const { logger, gracePeriod } = this;
    const timeoutOf = (node: PayloadNode) => node.shutdownTimeout ?? gracePeriod;

    // Services and supervisors stop one at a time, newest first: a supervisor stops its children
    // in reverse order, before any runner closes under them.
    const ordered = [...live].filter((n) => n.service || n.supervisor !== undefined).reverse();
    for (const node of ordered) {
      const timeout = timeoutOf(node);
      if ((await stopWithin(this, node, 'shutdown', timeout, true)) === 'timeout') await abandonNode(this, node, timeout);
    }
    // Then every other node, all at once, so that a runner needs no bookkeeping of its own to
    // find them in close(). One timer per distinct timeout abandons what is left of its nodes
    // then; the timers start before the runners are asked to cancel (see stopWithin()).
    const byTimeout = new Map<number, PayloadNode[]>();
    for (const node of live) {
      const timeout = timeoutOf(node);
      const group = byTimeout.get(timeout);
      if (group) group.push(node);
      else byTimeout.set(timeout, [node]);
    }
    const abandoning: Promise<void>[] = [];
    const timers = [...byTimeout]
      .filter(([timeout]) => timeout !== Infinity)
      .map(([timeout, nodes]) => setTimeout(() => nodes.forEach((node) => abandoning.push(abandonNode(this, node, timeout))), timeout));
    for (const node of live) cancel(this, node, 'shutdown');

    const closing = [...this.#slots.values()].map(async (slot) => {
      try {
        await slot.ready;
        await slot.runner.close();
      } catch (err) {
        const { name } = slot.flavour;
        logger.error({ err, flavour: name }, `the ${name} runner failed to close: ${String(err)}`);
      }
    });

    // Every node settles or is abandoned by its timer; a runner whose close() hangs is not waited for longer.
    const longest = Math.max(gracePeriod, ...byTimeout.keys());
    await within(Promise.all([...closing, this.#whenEmpty()]), longest);
    timers.forEach(clearTimeout);
    await Promise.all(abandoning);
  }

  #slot(flavour: Flavour): RunnerSlot {
    const slot = this.#slots.get(flavour.name);
    if (slot?.flavour === flavour) return slot;
    if (slot) throw new Error(`two different flavours are named '${flavour.name}': give one of them another name`);
    const host: FlavourHost = {
      logger: this.logger,
      gracePeriod: this.gracePeriod,
      options: this.#config.flavourOptions[flavour.name] ?? {},
      cancelScope: scopeOf,
    };
    const runner = flavour.createRunner(host);
    const started = runner.start?.();
    const created: RunnerSlot = { flavour, runner, ready: undefined };
    if (started && typeof (started as Promise<void>).then === 'function') {
      created.ready = Promise.resolve(started).then(() => {
        created.ready = undefined;
      });
    }
    this.#slots.set(flavour.name, created);
    return created;
  }
}

/**
 * What a runner's `run()` returned, which the contract says is a promise: anything else (a
 * flavour's bug) is that payload's failure, so the runtime still stops, or restarts it, in order.
 */
function promised(outcome: Promise<unknown>, flavour: Flavour, context: RunContext): Promise<unknown> {
  if (typeof (outcome as Partial<Promise<unknown>> | undefined)?.then === 'function') return outcome;
  return Promise.reject(
    new TypeError(
      `the ${flavour.name} flavour's runner returned ${describeValue(outcome)} from run() for payload '${context.name}' ` +
        "instead of a promise: the flavour breaks the kernel's contract (docs/writing-a-flavour.md)",
    ),
  );
}

/**
 * The cancel scope of a payload's node, made on first use. A context that is no node of the
 * kernel's (a flavour runner driven directly, as in its tests) gets a scope of its own.
 */
function scopeOf(context: RunContext): CancelScope {
  if (!(context instanceof PayloadNode)) return new CancelScope();
  if (context.scope) return context.scope;
  if (context.runsOnce) return (context.scope = context);
  const scope = (context.scope = new CancelScope());
  scope.owner = context;
  return scope;
}
