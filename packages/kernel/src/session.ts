/**
 * One `accept()` of a runner, from start to stop: the flavour runners it made, its supervisor,
 * and the request to stop. A new `accept()` gets a new session, so nothing of an earlier run
 * (a late outcome, an abandoned payload) can reach a later one.
 */
import type { Flavour, FlavourHost, FlavourRunner, RunContext } from './flavour.js';
import type { Logger } from './logger.js';
import { Supervisor } from './supervisor.js';

export type SessionState = 'starting' | 'running' | 'stopping';

interface RunnerSlot {
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
  /** Resolves when someone asks the session to stop. */
  readonly stopRequested: Promise<void>;
  /** Resolves when the session has ended, whatever its outcome. */
  readonly stopped: Promise<void>;
  #requestStop!: () => void;
  #ended!: () => void;
  #stopping = false;
  readonly #slots = new Map<Flavour, RunnerSlot>();
  readonly #config: SessionConfig;

  constructor(config: SessionConfig) {
    this.#config = config;
    this.supervisor = new Supervisor(config.logger, () => this.requestStop());
    this.stopRequested = new Promise((resolve) => (this.#requestStop = resolve));
    this.stopped = new Promise((resolve) => (this.#ended = resolve));
  }

  /** Mark the session as ended. */
  end(): void {
    this.#ended();
  }

  /** Whether a stop was asked for (it may not have begun yet). */
  get stopping(): boolean {
    return this.#stopping;
  }

  requestStop(): void {
    this.#stopping = true;
    this.#requestStop();
  }

  /** Make the runner of `flavour` if this session has none yet, and resolve when it is ready. */
  prepare(flavour: Flavour): Promise<void> {
    return this.#slot(flavour).ready ?? Promise.resolve();
  }

  /** Run one payload on its flavour's runner, starting the runner first if needed. */
  run(flavour: Flavour, payload: unknown, args: readonly unknown[], context: RunContext): Promise<unknown> {
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
   * Stop: close every flavour runner and wait for every payload to settle, for at most the
   * grace period; what is left then is abandoned.
   */
  async stop(): Promise<void> {
    this.state = 'stopping';
    this.supervisor.stopping();
    const { logger, gracePeriod } = this.#config;
    const closing = [...this.#slots].map(async ([flavour, slot]) => {
      try {
        await slot.ready;
        await slot.runner.close();
      } catch (err) {
        logger.error({ err, flavour: flavour.name }, `the ${flavour.name} runner failed to close: ${String(err)}`);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, gracePeriod, 'timeout')));
    const outcome = await Promise.race([Promise.all([...closing, this.supervisor.whenEmpty()]), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.supervisor.abandonAll();
  }

  #slot(flavour: Flavour): RunnerSlot {
    let slot = this.#slots.get(flavour);
    if (slot) return slot;
    const host: FlavourHost = {
      logger: this.#config.logger,
      gracePeriod: this.#config.gracePeriod,
      options: this.#config.flavourOptions[flavour.name] ?? {},
    };
    const runner = flavour.createRunner(host);
    const started = runner.start?.();
    const created: RunnerSlot = { runner, ready: undefined };
    if (started && typeof (started as Promise<void>).then === 'function') {
      created.ready = Promise.resolve(started).then(() => {
        created.ready = undefined;
      });
    }
    this.#slots.set(flavour, created);
    slot = created;
    return slot;
  }
}
