/**
 * `ServiceRunner`: the daemon runtime. It queues payloads adopted before `accept()`, runs them
 * and the services once it accepts, hands `execute()` results back, and stops everything when
 * asked to or when an adopted payload fails.
 */
import { AlreadyAccepting, RunnerNotAccepting, RunnerStopping } from './errors.js';
import { type ArgsOf, type Flavour, type KnownFlavours, type PayloadTypes, type ResultOf, type TypesOf } from './flavour.js';
import { currentScope } from './cancellation.js';
import { publishRuntime } from './instrumentation.js';
import { guardLogger, warningLogger, type Logger } from './logger.js';
import { checkKeys, loadedFlavour, request, serviceRequest, supervisorRequest, type PayloadRequest } from './payload-request.js';
import { claimAcceptor, releaseAcceptor, startWaitingServices, type Acceptor, type ServiceRecord } from './registry.js';
import { Session } from './session.js';
import { forceExit, trapShutdownSignals, type ShutdownSignal } from './signals.js';
import { currentPayloadNode, nextPayloadId, type PayloadNode } from './node.js';
import { executeOn, launch } from './run.js';
import { isSupervisorSpec, type SupervisorSpec } from './supervisor-spec.js';
import { checkMilliseconds } from './supervision-options.js';
import { buildTree, type PayloadSnapshot, type RuntimeTree } from './tree.js';
import { trapUncaught, type UncaughtOrigin } from './uncaught.js';
import type { AdoptOptions, RunOptions, SupervisorAdoptOptions } from './run-options.js';

/** Options of a {@link ServiceRunner}. */
export interface ServiceRunnerOptions {
  /**
   * Milliseconds that payloads get to stop once cancelled before they are abandoned (asyncio
   * payloads that ignore their signal, trio `finally` blocks that hang). Default 3000;
   * `Infinity` waits as long as they take.
   */
  readonly gracePeriod?: number;
  /** Shut down gracefully on SIGINT and SIGTERM while accepting. Default true; turn off when embedding. */
  readonly handleSignals?: boolean;
  /**
   * While accepting, handle uncaught exceptions and unhandled rejections: one that escaped a
   * payload (a timer that throws, a promise nobody awaits, an emitter's `'error'` with no
   * listener) is that payload's failure, as if it had thrown; one from code outside every payload
   * stops the runner, and `accept()` rejects with an `UncaughtFailure`. Default true; turn off
   * when embedding in an application that handles them itself.
   */
  readonly handleUncaught?: boolean;
  /** Where the runner reports what it does; pino's shape. Default: warnings and errors as process warnings. */
  readonly logger?: Logger;
  /** Options per flavour name, handed to that flavour's runner, e.g. `{ threading: { maxWorkers: 4 } }`. */
  readonly flavours?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

type ResolvedOptions = Required<Omit<ServiceRunnerOptions, 'flavours'>> & Pick<ServiceRunnerOptions, 'flavours'>;

const defaults: ResolvedOptions = {
  gracePeriod: 3000,
  handleSignals: true,
  handleUncaught: true,
  logger: warningLogger,
  flavours: undefined,
};

/**
 * The runtime: adopt background payloads, execute payloads for their result, run services.
 * `runtime` is the process-wide instance; make your own for tests or embedding.
 *
 * @example
 * import { ServiceRunner } from '@cobald/kernel';
 * import { asyncio } from '@cobald/flavour-asyncio';
 *
 * const runner = new ServiceRunner({ handleSignals: false });
 * runner.adopt(async () => { console.log('in the background'); }, { flavour: asyncio });
 * const accepting = runner.accept();
 * console.log(await runner.execute(async (a: number, b: number) => a + b, { flavour: asyncio, args: [1, 2] }));
 * await runner.shutdown();
 * await accepting;
 */
export class ServiceRunner implements Acceptor, AsyncDisposable {
  #options: ResolvedOptions;
  /** Whether a shutdown signal arrived during the current accept(). */
  #signalled = false;
  /** The latest accept(), for disposal to wait for. */
  #accepting: Promise<void> | undefined;
  #queue: PayloadRequest[] = [];
  /** The newest payloads that ended in the last accept(), for tree() while idle. */
  #lastEnded: readonly PayloadSnapshot[] = [];
  #session: Session | undefined;

  constructor(options: ServiceRunnerOptions = {}) {
    this.#options = withOptions(defaults, options);
  }

  /**
   * Whether the runner accepts work: `accept()` has started it and no stop was asked for. While
   * it is true, `adopt()` and `execute()` are not refused.
   */
  get running(): boolean {
    const session = this.#session;
    return session !== undefined && session.state === 'running' && !session.stopping;
  }

  /**
   * Run `payload` in the background. It has no parent: if it fails or returns anything but
   * `undefined`, the runner stops everything and `accept()` rejects with a `PayloadFailure`.
   * Before `accept()`, payloads are queued and start when it does.
   *
   * @throws TypeError for a payload its flavour cannot run, an unknown flavour or bad options.
   * @throws RunnerStopping while the runner shuts down.
   *
   * @example
   * runtime.adopt(function* watch(interval: number) { while (true) yield* sleep(interval); },
   *   { flavour: trio, args: [1000] });
   */
  adopt<T extends PayloadTypes, P extends T['payload']>(payload: P, options: AdoptOptions<Flavour<T>, ArgsOf<T, P>>): void;
  adopt<K extends keyof KnownFlavours, P extends TypesOf<KnownFlavours[K]>['payload']>(
    payload: P,
    options: AdoptOptions<K, ArgsOf<TypesOf<KnownFlavours[K]>, P>>,
  ): void;
  adopt(supervisor: SupervisorSpec, options?: SupervisorAdoptOptions): void;
  adopt(payload: unknown, options: AdoptOptions<string, readonly unknown[]>): void;
  adopt(payload: unknown, options: AdoptOptions<Flavour | string, readonly unknown[]>): void {
    const item = isSupervisorSpec(payload) ? supervisorRequest(payload, options) : request(payload, options, true);
    const session = this.#session;
    if (session?.stopping) throw new RunnerStopping('adopt', item.name);
    if (session?.state === 'running') launch(session, item);
    else this.#queue.push(item);
  }

  /**
   * Run `payload` and return its result, or reject with its error. It never stops the runner.
   * Call it while the runner accepts; right after `accept()` it waits until the runner is ready.
   *
   * Called inside a payload, the executed payload runs as that payload's work. An error that
   * escapes it (a timer that throws) rejects this call, as if the payload had thrown it.
   *
   * @throws RunnerNotAccepting before `accept()`; RunnerStopping while it shuts down;
   *   PayloadCancelled when the runner stops under the payload; PayloadAbandoned when it did
   *   not stop in time after that.
   *
   * @example
   * const sum = await runtime.execute((a: number, b: number) => a + b, { flavour: threading, args: [1, 2] });
   */
  execute<T extends PayloadTypes, P extends T['payload']>(
    payload: P,
    options: RunOptions<Flavour<T>, ArgsOf<T, P>>,
  ): Promise<ResultOf<T, P>>;
  execute<K extends keyof KnownFlavours, P extends TypesOf<KnownFlavours[K]>['payload']>(
    payload: P,
    options: RunOptions<K, ArgsOf<TypesOf<KnownFlavours[K]>, P>>,
  ): Promise<ResultOf<TypesOf<KnownFlavours[K]>, P>>;
  execute(payload: unknown, options: RunOptions<string, readonly unknown[]>): Promise<unknown>;
  execute(payload: unknown, options: RunOptions<Flavour | string, readonly unknown[]>): Promise<unknown> {
    let item: PayloadRequest;
    try {
      item = request(payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const session = this.#session;
    if (!session) return Promise.reject(new RunnerNotAccepting('execute', acceptRefusal() !== undefined));
    // A payload that awaits execute() in a loop would otherwise never let timers, I/O and
    // signals run: executes that settle at once settle in microtasks.
    if (crowdedTurn()) return nextTurn().then(() => this.#startExecute(session, item));
    return this.#startExecute(session, item);
  }

  #startExecute(session: Session, item: PayloadRequest): Promise<unknown> {
    const { flavour } = item;
    // The common case, without an async function's extra promise and turn per call.
    if (typeof flavour !== 'string' && session.state === 'running') return executeOn(session, flavour, item);
    return this.#executeWhenReady(session, item);
  }

  async #executeWhenReady(session: Session, item: PayloadRequest): Promise<unknown> {
    const flavour = await loadedFlavour(item);
    if (session.state === 'starting') {
      await session.prepare(flavour);
      // Not before the runtime is running and the payloads queued before accept() have started,
      // as the 'running' event says. If it ends before that, executeOn() refuses the execute.
      await session.whenRunning.catch(() => {});
    }
    return executeOn(session, flavour, item);
  }

  /**
   * Start running: queued payloads and waiting services start, and the runner accepts work
   * until `shutdown()`, a shutdown signal, or a failure of an adopted payload. Resolves after a
   * graceful stop; rejects with a `PayloadFailure` whose `cause` is what the payload threw (or
   * an `OrphanedReturn`). Only one runner of the process accepts at a time. While it accepts,
   * the process stays alive, as with a listening server.
   *
   * @example
   * process.exitCode = await runtime.accept().then(() => 0, (err) => { console.error(err); return 1; });
   */
  accept(): Promise<void> {
    const accepting = this.#accept();
    this.#accepting = accepting;
    return accepting;
  }

  async #accept(): Promise<void> {
    // A thread where accepting would run the daemon again (a threading flavour's worker) says why.
    const refusal = acceptRefusal();
    if (refusal !== undefined) throw new Error(refusal);
    if (this.#session) throw new AlreadyAccepting(true);
    if (claimAcceptor(this)) throw new AlreadyAccepting(false);
    const session = new Session({
      logger: this.#options.logger,
      gracePeriod: this.#options.gracePeriod,
      flavourOptions: this.#options.flavours ?? {},
    });
    this.#session = session;
    this.#signalled = false;
    const untrap = this.#options.handleSignals ? trapShutdownSignals((signal) => this.#onSignal(signal)) : undefined;
    const untrapUncaught = this.#options.handleUncaught ? trapUncaught((error, origin) => this.#onUncaught(error, origin)) : undefined;
    // Accepting is the daemon's main loop: like a listening server, it keeps the process alive
    // until the runner stops, even while every payload waits on nothing but a promise.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      await this.#start(session);
      await session.stopRequested;
      await session.stop();
    } finally {
      clearInterval(keepAlive);
      untrap?.();
      untrapUncaught?.();
      this.#session = undefined;
      releaseAcceptor(this);
      this.#lastEnded = session.ended();
      session.end();
      publishRuntime({ state: 'stopped', failure: session.failure });
    }
    if (session.failure) throw session.failure;
  }

  /**
   * Stop gracefully: every payload is cancelled as its flavour allows, and `accept()`
   * resolves (or rejects, if a payload failed). Resolves once everything has stopped; calling
   * it again, concurrently, or while the runner is not accepting is harmless.
   *
   * Called from inside one of the runner's payloads, it resolves as soon as the stop has begun:
   * the stop waits for that payload, so waiting for the stop there would wait for itself. The
   * payload's own signal then aborts; it should return.
   *
   * @example
   * runtime.adopt(async () => {
   *   await doTheJob();
   *   await runtime.shutdown(); // the job is done: stop the daemon
   * }, { flavour: asyncio });
   */
  async shutdown(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    session.requestStop();
    if (currentPayloadNode() !== undefined) return;
    await session.stopped;
  }

  /**
   * Shut down and wait until `accept()` has settled, for `await using runner = new ServiceRunner()`.
   * A failure that `accept()` rejects with is for whoever awaits `accept()`; disposing does not
   * throw it.
   *
   * @example
   * await using runner = new ServiceRunner({ handleSignals: false });
   * const accepting = runner.accept();
   * // … when the block ends, the runner stops and accept() has settled
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const accepting = this.#accepting;
    await this.shutdown();
    await accepting?.then(ignore, ignore);
  }

  /**
   * A snapshot of the supervision tree: the runner's state, per flavour the payloads that are
   * queued or running, and the newest payloads that ended (at most 64, also after the runner
   * stopped: how the last ones ended is often what one wants to know). `formatTree()` renders
   * it for people.
   *
   * @example
   * process.on('SIGUSR1', () => console.error(formatTree(runtime.tree())));
   */
  tree(): RuntimeTree {
    const session = this.#session;
    const queued = this.#queue.map((item): PayloadSnapshot => ({
      id: item.id,
      name: item.name,
      flavour: typeof item.flavour === 'string' ? item.flavour : item.flavour.name,
      kind: 'adopt',
      state: 'queued',
      service: item.service !== undefined,
      restarts: 0,
      children: [],
    }));
    const ended = session ? session.ended() : this.#lastEnded;
    return buildTree(session?.state ?? 'idle', [...queued, ...(session?.nodes() ?? [])], ended);
  }

  /**
   * Resolves once the runner accepts work (queued payloads have been started); rejects if
   * `accept()` ends before that, or was not called.
   *
   * @example
   * const accepting = runtime.accept();
   * await runtime.whenRunning();
   * notifySystemd('READY=1');
   */
  whenRunning(): Promise<void> {
    return this.#session?.whenRunning ?? Promise.reject(new RunnerNotAccepting('whenRunning'));
  }

  /**
   * Resolves when the runner begins to stop, for whatever reason: `shutdown()`, a signal, or a
   * failure. Rejects when `accept()` was not called.
   *
   * @example
   * runtime.whenStopping().then(() => notifySystemd('STOPPING=1'));
   */
  whenStopping(): Promise<void> {
    return this.#session?.stopRequested ?? Promise.reject(new RunnerNotAccepting('whenStopping'));
  }

  /**
   * Change options of a runner that does not accept right now, for example to give the
   * process-wide `runtime` the daemon's logger.
   *
   * @throws Error while the runner accepts.
   */
  configure(options: ServiceRunnerOptions): void {
    if (this.#session) throw new Error('configure() is only possible while the runner does not accept');
    this.#options = withOptions(this.#options, options);
  }

  /** @internal Called by the registry for a service instance while this runner accepts. */
  startService(instance: object, record: ServiceRecord): void {
    const session = this.#session;
    let item: PayloadRequest;
    try {
      item = serviceRequest(instance, record);
    } catch (error) {
      const info = {
        id: nextPayloadId(),
        name: record.name,
        flavour: typeof record.flavour === 'string' ? record.flavour : record.flavour.name,
      };
      if (session) session.fail(info, error);
      else this.#options.logger.error({ err: error, payload: info }, `service '${record.name}' cannot start`);
      return;
    }
    // A service made while the runner stops waits in the queue for the next accept().
    if (session && this.running) launch(session, item);
    else this.#queue.push(item);
  }

  async #start(session: Session): Promise<void> {
    startWaitingServices(this);
    // Load and start every runner the queue needs before the first payload runs, so that
    // `execute()` waiting on a starting runner sees them all ready. A flavour that fails to
    // load or start fails its payloads when they launch.
    const flavours = new Map<Flavour | string, Promise<Flavour>>();
    for (const item of this.#queue) {
      if (!item.tree && !flavours.has(item.flavour)) flavours.set(item.flavour, loadedFlavour(item));
    }
    await Promise.all([...flavours.values()].map((flavour) => flavour.then((f) => session.prepare(f)).catch(() => {})));
    session.run();
    publishRuntime({ state: 'running' });
    const queue = this.#queue;
    this.#queue = [];
    for (const item of queue) launch(session, item);
  }

  #onSignal(signal: ShutdownSignal): void {
    const session = this.#session;
    if (!session) return;
    // Only a second signal forces the exit: a first one during a stop that the runtime began
    // itself (after a failure, or shutdown()) lets that stop finish.
    if (this.#signalled) {
      this.#options.logger.error({ signal }, `${signal} during shutdown: forcing exit`);
      forceExit(signal);
    }
    this.#signalled = true;
    if (session.stopping) {
      this.#options.logger.info({ signal }, `${signal}: already shutting down gracefully; another signal forces the exit`);
      return;
    }
    this.#options.logger.info({ signal }, `${signal}: shutting down gracefully`);
    session.requestStop();
  }

  /** An error escaped every promise while accepting: blame the payload it came from, if any. */
  #onUncaught(error: unknown, origin: UncaughtOrigin): void {
    const session = this.#session;
    if (!session) return;
    const scope = currentScope();
    const node = scope?.owner as PayloadNode | undefined;
    if (node && scope) session.escape(node, error, scope);
    else session.failUnowned(error, origin);
  }
}

const ignore = (): void => {};

/** Why no runner may accept in this thread, where a flavour says so (a threading worker). */
function acceptRefusal(): string | undefined {
  const refusal = (globalThis as Record<symbol, unknown>)[Symbol.for('@cobald/kernel.acceptRefusal')];
  return typeof refusal === 'string' ? refusal : undefined;
}

/** How many executes may start in one turn of the event loop before the next ones wait for the next turn. */
const turnLimit = 1000;
let executesThisTurn = 0;
const newTurn = (): void => {
  executesThisTurn = 0;
};

/** Whether this turn of the event loop has started enough executes; counts this one. */
function crowdedTurn(): boolean {
  if (executesThisTurn++ === 0) setImmediate(newTurn);
  return executesThisTurn > turnLimit;
}

/**
 * Resolves in the next turn of the event loop, after timers, I/O and signals had theirs: one
 * promise and one immediate for all the executes of a turn that wait for it (20k executes
 * started at once made 19k immediates).
 */
let turnAfter: Promise<void> | undefined;
const nextTurn = (): Promise<void> =>
  (turnAfter ??= new Promise((resolve) =>
    setImmediate(() => {
      turnAfter = undefined;
      resolve();
    }),
  ));

/** `base` with what `options` set; throws a TypeError for options of the wrong type. */
function withOptions(base: ResolvedOptions, options: ServiceRunnerOptions): ResolvedOptions {
  checkOptions(options);
  return {
    gracePeriod: options.gracePeriod ?? base.gracePeriod,
    handleSignals: options.handleSignals ?? base.handleSignals,
    handleUncaught: options.handleUncaught ?? base.handleUncaught,
    logger: options.logger === undefined ? base.logger : guardLogger(options.logger),
    flavours: options.flavours ?? base.flavours,
  };
}

const runnerKeys: ReadonlySet<string> = new Set(['gracePeriod', 'handleSignals', 'handleUncaught', 'logger', 'flavours']);

function checkOptions(options: ServiceRunnerOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('ServiceRunner options must be an object');
  checkKeys(options, runnerKeys, 'new ServiceRunner()');
  const { gracePeriod, handleSignals, handleUncaught, logger, flavours } = options;
  if (gracePeriod !== undefined) checkMilliseconds('gracePeriod', gracePeriod, true);
  for (const [key, value] of [
    ['handleSignals', handleSignals],
    ['handleUncaught', handleUncaught],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`'${key}' must be a boolean, got ${typeof value}`);
  }
  if (logger !== undefined) {
    for (const level of ['error', 'warn', 'info', 'debug'] as const) {
      if (typeof logger?.[level] !== 'function') throw new TypeError(`'logger' must have a '${level}' method (pino's shape)`);
    }
  }
  if (flavours !== undefined && (typeof flavours !== 'object' || flavours === null)) {
    throw new TypeError("'flavours' must map flavour names to option objects");
  }
}
