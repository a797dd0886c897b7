/**
 * One `accept()` of a runner, from start to stop: the flavour runners it made, its supervisor,
 * and the request to stop. A new `accept()` gets a new session, so nothing of an earlier run
 * (a late outcome, an abandoned payload) can reach a later one.
 */
import { cancelled, type Flavour, type FlavourHost, type FlavourRunner, type RunContext } from './flavour.js';
import type { Logger } from './logger.js';
import { CancelScope, stopReason } from './cancellation.js';
import { beginTrace, payloadChannel, publishRuntime, tracePayload } from './instrumentation.js';
import { Supervisor, type PayloadNode } from './supervisor.js';
import { escapeInTree, isSupervisorNode } from './supervision-tree.js';
import { within } from './within.js';
import { endExecutes, type ExecuteHost } from './execute-children.js';

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

export class Session {
  state: SessionState = 'starting';
  readonly supervisor: Supervisor;
  /** What ends the executes a payload's run left behind. */
  readonly executeHost: ExecuteHost;
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
  /** The runners made so far, by flavour name (one flavour per name, as in the registry). */
  readonly #slots = new Map<string, RunnerSlot>();
  readonly #config: SessionConfig;

  constructor(config: SessionConfig) {
    this.#config = config;
    this.executeHost = {
      cancel: (node) => this.cancel(node),
      settled: (node) => this.supervisor.settled(node),
      abandon: (node, timeout) => this.supervisor.abandon(node, timeout),
      gracePeriod: config.gracePeriod,
    };
    this.supervisor = new Supervisor(
      config.logger,
      () => this.requestStop(),
      (node) => endExecutes(this.executeHost, node),
    );
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

  /** The logger and grace period of the runner. */
  get config(): SessionConfig {
    return this.#config;
  }

  /**
   * Stop one payload as its flavour allows: its unsettled executes first (they belong to it),
   * then its cancel scope and its runner's `cancel()`. False if nothing can stop it on its own
   * (its flavour has no `cancel()` and it asked for no scope): then only `close()` can.
   */
  cancel(node: PayloadNode): boolean {
    // Asked to stop: an AbortError or a refusal it meets from now on is a cancellation.
    if (node.state === 'running') node.state = 'stopping';
    if (node.executes) for (const execute of node.executes) this.cancel(execute);
    node.scope?.cancel(stopReason);
    const runner = this.#slots.get(node.flavour)?.runner;
    if (!runner?.cancel) return node.scope !== undefined;
    try {
      runner.cancel(node);
    } catch (err) {
      const { logger } = this.#config;
      logger.error({ err, flavour: node.flavour }, `the ${node.flavour} runner failed to cancel '${node.name}': ${String(err)}`);
    }
    return true;
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
    if (this.state !== 'starting') this.supervisor.beginStop();
    this.#requestStop();
  }

  /**
   * An error escaped a payload's run (see `Supervisor.escape`): the run is cancelled, and it gets
   * its time to stop, as on shutdown; if it does not end by then, it is given up on and the
   * failure goes on without it.
   */
  escape(node: PayloadNode, error: unknown, scope: CancelScope): void {
    // From an earlier run of a payload that was restarted since: that run's end was handled
    // already, and the run now is not to blame.
    if (node.scope !== undefined && node.scope !== scope) {
      this.supervisor.escapedEarlierRun(node, error);
      return;
    }
    if (escapeInTree(node, error)) return;
    if (!this.supervisor.escape(node, error)) return;
    this.cancel(node);
    const escaped = node.escaped!;
    // An adopted payload whose failure was escalated is stopped with the rest, by stop().
    if (escaped.reported && node.kind === 'adopt') return;
    const timeout = node.shutdownTimeout ?? this.#config.gracePeriod;
    if (timeout === Infinity) return;
    const timer = setTimeout(() => {
      if (node.escaped !== escaped) return;
      this.supervisor.giveUp(node, timeout);
    }, timeout);
    timer.unref();
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

  /** Run one payload on its flavour's runner, starting the runner first if needed; traced when anyone listens. */
  runPayload(flavour: Flavour, payload: unknown, args: readonly unknown[], node: PayloadNode): Promise<unknown> {
    // Checked first: the trace and the closure cost more than a no-op payload.
    if (!payloadChannel.hasSubscribers) return this.#run(flavour, payload, args, node);
    return tracePayload(node, () => this.#run(flavour, payload, args, node));
  }

  /**
   * {@link runPayload} for a caller that watches the outcome itself: when anyone listens, the
   * run's trace is left for it to take right away (`takeTrace(node)`) and to end when the run
   * settles (`endTrace`), in the callbacks it has anyway (instrumentation.ts says why).
   */
  startPayload(flavour: Flavour, payload: unknown, args: readonly unknown[], node: PayloadNode): Promise<unknown> {
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
    if (slot.ready) return slot.ready.then(() => slot.runner.run(payload, args, context));
    try {
      return slot.runner.run(payload, args, context);
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
    const { supervisor } = this;
    supervisor.beginStop();
    const { logger, gracePeriod } = this.#config;
    const timeoutOf = (node: PayloadNode) => node.shutdownTimeout ?? gracePeriod;
    const cancel = (node: PayloadNode): boolean => this.cancel(node);

    // Services and supervisors stop one at a time, newest first: a supervisor stops its children
    // in reverse order, before any runner closes under them.
    for (const node of supervisor
      .live()
      .filter((n) => n.service || isSupervisorNode(n))
      .reverse()) {
      if (!cancel(node)) continue;
      const timeout = timeoutOf(node);
      if ((await within(supervisor.settled(node), timeout)) === 'timeout') supervisor.abandon(node, timeout);
    }
    // Then every other payload, all at once, so that a runner needs no bookkeeping of its own
    // to find them in close().
    for (const node of supervisor.live()) cancel(node);

    const closing = [...this.#slots.values()].map(async (slot) => {
      try {
        await slot.ready;
        await slot.runner.close();
      } catch (err) {
        const { name } = slot.flavour;
        logger.error({ err, flavour: name }, `the ${name} runner failed to close: ${String(err)}`);
      }
    });

    const byTimeout = new Map<number, PayloadNode[]>();
    for (const node of supervisor.live()) {
      const timeout = timeoutOf(node);
      const group = byTimeout.get(timeout);
      if (group) group.push(node);
      else byTimeout.set(timeout, [node]);
    }
    const timers = [...byTimeout]
      .filter(([timeout]) => timeout !== Infinity)
      .map(([timeout, nodes]) => setTimeout(() => nodes.forEach((node) => supervisor.abandon(node, timeout)), timeout));
    // Every node settles or is abandoned by its timer; a runner whose close() hangs is not waited for longer.
    const longest = Math.max(gracePeriod, ...byTimeout.keys());
    await within(Promise.all([...closing, supervisor.whenEmpty()]), longest);
    timers.forEach(clearTimeout);
  }

  #slot(flavour: Flavour): RunnerSlot {
    const slot = this.#slots.get(flavour.name);
    if (slot?.flavour === flavour) return slot;
    if (slot) throw new Error(`two different flavours are named '${flavour.name}': give one of them another name`);
    const host: FlavourHost = {
      logger: this.#config.logger,
      gracePeriod: this.#config.gracePeriod,
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
 * The cancel scope of a payload's node, made on first use. A context that is no node of the
 * kernel's (a flavour runner driven directly, as in its tests) gets a scope of its own.
 */
function scopeOf(context: RunContext): CancelScope {
  const node = context as Partial<PayloadNode>;
  if (!('scope' in node)) return new CancelScope();
  if (node.scope) return node.scope;
  const scope = (node.scope = new CancelScope());
  scope.owner = node as PayloadNode;
  return scope;
}
