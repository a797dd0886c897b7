/**
 * One check of the contract: a fresh `ServiceRunner` for the flavour, what it logs, what the
 * runtime publishes on its diagnostics channels about this check's payloads, and time limits
 * on every wait, so that a flavour that hangs fails a check with a message instead of hanging
 * the test run.
 */
import assert from 'node:assert/strict';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ServiceRunner,
  silentLogger,
  type Logger,
  type PayloadSnapshot,
  type PayloadTrace,
  type RestartEvent,
  type RuntimeEvent,
} from '@cobald/kernel';
import type { PayloadRun, ResolvedOptions } from './options.js';

/** One `cobald:payload` event of one of the check's payloads. */
export interface TraceEvent {
  readonly event: 'start' | 'asyncEnd' | 'error';
  readonly id: number;
  readonly name: string;
  readonly flavour: string;
  readonly kind: string;
  readonly service: boolean;
  readonly restarts: number;
  /** On `error`: whether the runtime had asked the payload to stop. */
  readonly stopping?: boolean;
  /** The supervisor it runs under, if any. */
  readonly parent?: { readonly id: number; readonly name: string } | undefined;
  readonly error?: unknown;
  readonly result?: unknown;
}

/** One record the runner logged. */
export interface LogRecord {
  readonly level: 'error' | 'warn';
  readonly msg: string;
}

/** How `accept()` ended. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

const payloadChannel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
let checks = 0;

export class Check {
  readonly runner: ServiceRunner;
  /** The runner's warnings and errors, oldest first. */
  readonly logged: LogRecord[] = [];
  /** `cobald:payload` events of the payloads named by {@link name}, in order. */
  readonly events: TraceEvent[] = [];
  /** `cobald:restart` events of those payloads. */
  readonly restarts: RestartEvent[] = [];
  /** Every `cobald:runtime` event while the check runs. */
  readonly runtime: RuntimeEvent[] = [];
  readonly options: ResolvedOptions;
  readonly #prefix: string;
  readonly #gracePeriod: number;
  readonly #cleanups: (() => void)[] = [];
  #accepting: Promise<Outcome> | undefined;
  /** How `accept()` ended, once it has. */
  #outcome: Outcome | undefined;
  #temp: string | undefined;

  constructor(options: ResolvedOptions, runnerOptions: { readonly gracePeriod?: number } = {}) {
    this.options = options;
    this.#prefix = `conformance-${++checks}-`;
    this.#gracePeriod = runnerOptions.gracePeriod ?? 2000;
    this.#listen();
    const record =
      (level: LogRecord['level']) =>
      (_obj: object, msg = '') =>
        void this.logged.push({ level, msg });
    const logger: Logger = { ...silentLogger, error: record('error'), warn: record('warn') };
    this.runner = new ServiceRunner({
      handleSignals: false,
      logger,
      gracePeriod: this.#gracePeriod,
      flavours: { [options.flavour.name]: options.flavourOptions },
    });
  }

  /** A name unique to this check, for a payload or a service; the kit records only such names. */
  name(label: string): string {
    return `${this.#prefix}${label}`;
  }

  /** A path of a file that does not exist yet, in a temporary folder removed after the check. */
  file(label: string): string {
    this.#temp ??= mkdtempSync(join(tmpdir(), 'cobald-testkit-'));
    return join(this.#temp, label);
  }

  /** The file the payload named `label` creates once it runs (`waitsForCancel`, `ignoresCancel`). */
  readyFile(label: string): string {
    return this.file(`${label}.ready`);
  }

  /**
   * Resolve once the payloads named by `labels` have created their ready files: they run.
   * Rejects at once if `accept()` ends first.
   */
  running(...labels: string[]): Promise<void> {
    return this.until(
      () => {
        if (this.#outcome) {
          const how = this.#outcome.ok ? 'resolved' : `rejected with ${String(this.#outcome.error)}`;
          throw new Error(`accept() ${how} before ${labels.join(', ')} ran`);
        }
        return labels.every((label) => existsSync(this.readyFile(label)));
      },
      `${labels.join(', ')} to run (to create its ready file)`,
    );
  }

  /** `runner.adopt()` of a payload run under a name of this check. */
  adopt(label: string, run: PayloadRun, options: Record<string, unknown> = {}): string {
    const name = this.name(label);
    this.runner.adopt(run.payload, { flavour: this.options.flavour, args: run.args ?? [], name, ...options });
    return name;
  }

  /** `runner.execute()` of a payload run under a name of this check. */
  execute(label: string, run: PayloadRun, options: Record<string, unknown> = {}): Promise<unknown> {
    return this.runner.execute(run.payload, { flavour: this.options.flavour, args: run.args ?? [], name: this.name(label), ...options });
  }

  /** Start `accept()`; its outcome is kept for {@link stopped}. */
  accept(): void {
    if (this.#accepting) throw new Error('the check accepts already');
    this.#accepting = this.runner.accept().then(
      () => (this.#outcome = { ok: true }),
      (error: unknown) => (this.#outcome = { ok: false, error }),
    );
  }

  /** How `accept()` ended, once it has (within the check's time limit). */
  stopped(what = 'accept() to settle'): Promise<Outcome> {
    if (!this.#accepting) throw new Error('the check did not accept');
    return this.within(this.#accepting, what);
  }

  /** `shutdown()`, then how `accept()` ended; both within the check's time limit. */
  async shutdown(): Promise<Outcome> {
    await this.within(this.runner.shutdown(), 'shutdown() to resolve');
    return this.stopped();
  }

  /** `shutdown()`, which must end `accept()` without a failure: cancelled payloads are none. */
  async shutdownCleanly(): Promise<void> {
    const outcome = await this.shutdown();
    if (!outcome.ok) {
      assert.fail(`accept() rejected with ${String(outcome.error)}, but a shutdown() whose payloads end cancelled is no failure`);
    }
  }

  /** The snapshot of the payload named `label` among those that ended, if it ended. */
  ended(label: string): PayloadSnapshot | undefined {
    const name = this.name(label);
    return this.runner.tree().ended.findLast((payload) => payload.name === name);
  }

  /** The events of the payload named `label`. */
  eventsOf(label: string): TraceEvent[] {
    const name = this.name(label);
    return this.events.filter((event) => event.name === name);
  }

  /** Resolve with `promise`, or reject once the check's time limit is over. */
  within<T>(promise: Promise<T>, what: string, ms = this.options.timeout): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  /** Resolve once `condition()` holds, polling; reject once the check's time limit is over. */
  async until(condition: () => boolean, what: string): Promise<void> {
    const end = Date.now() + this.options.timeout;
    while (!condition()) {
      if (Date.now() > end) throw new Error(`waited ${this.options.timeout} ms for ${what}`);
      await pause(2);
    }
  }

  /**
   * Stop what the check left running, and every subscription. A flavour that holds up the stop
   * is waited for as long as the kernel may take (its grace period), so that the next check
   * finds no runner still accepting.
   */
  async dispose(): Promise<void> {
    try {
      if (this.#accepting) {
        await this.within(this.runner.shutdown(), 'shutdown() after the check', this.#gracePeriod + this.options.timeout);
        await this.#accepting;
      }
    } finally {
      this.#cleanups.splice(0).forEach((cleanup) => cleanup());
      if (this.#temp) rmSync(this.#temp, { recursive: true, force: true });
    }
  }

  #listen(): void {
    const mine = (name: string) => name.startsWith(this.#prefix);
    const on = (event: TraceEvent['event']) => (context: PayloadTrace) => {
      if (!mine(context.name)) return;
      const { id, name, flavour, kind, service, restarts, parent } = context;
      const base = { event, id, name, flavour, kind, service, restarts, parent };
      if (event === 'error') this.events.push({ ...base, error: context.error, stopping: context.stopping });
      else if (event === 'asyncEnd') this.events.push({ ...base, result: context.result });
      else this.events.push(base);
    };
    const ignore = () => {};
    const handlers = { start: on('start'), end: ignore, asyncStart: ignore, asyncEnd: on('asyncEnd'), error: on('error') };
    payloadChannel.subscribe(handlers);
    const onRestart = (event: unknown) => {
      if (mine((event as RestartEvent).name)) this.restarts.push(event as RestartEvent);
    };
    const onRuntime = (event: unknown) => void this.runtime.push(event as RuntimeEvent);
    subscribe('cobald:restart', onRestart);
    subscribe('cobald:runtime', onRuntime);
    this.#cleanups.push(() => {
      payloadChannel.unsubscribe(handlers);
      unsubscribe('cobald:restart', onRestart);
      unsubscribe('cobald:runtime', onRuntime);
    });
  }
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
