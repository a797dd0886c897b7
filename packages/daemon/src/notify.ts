/**
 * Readiness and liveness for systemd (sd_notify(3)): `READY=1` once the daemon accepts,
 * `STOPPING=1` when it begins to shut down, `WATCHDOG=1` every half `WATCHDOG_USEC` while the
 * daemon is healthy, and `STATUS=` with a one-line summary for `systemctl status`. Node.js
 * cannot send unix datagrams without a native module, so messages go through the
 * `systemd-notify` binary. That binary is a child process, so the unit needs
 * `NotifyAccess=all` for systemd to accept its messages.
 */
import { spawn } from 'node:child_process';

/** Sends one notification, such as `['READY=1']`; rejects if it could not be sent. */
export type NotifySend = (assignments: readonly string[]) => Promise<void>;

/** What the notifier needs of a logger. */
export interface NotifyLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Options of a {@link SystemdNotifier}. */
export interface NotifierOptions {
  /** The environment to read `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** How to send; default {@link systemdNotify}. */
  readonly send?: NotifySend;
  readonly logger: NotifyLogger;
  /** This process's id, for `WATCHDOG_PID`. Default `process.pid`. */
  readonly pid?: number;
  /**
   * Whether the daemon is healthy; `WATCHDOG=1` is only sent while it is, so that systemd
   * restarts a daemon that stays unhealthy. Default: always.
   */
  readonly healthy?: () => boolean;
  /** A one-line summary for `STATUS=`, sent after `READY=1` and whenever it changes. Default: none. */
  readonly status?: () => string;
}

/** Milliseconds between checks whether the `STATUS=` summary changed. */
const statusInterval = 5000;

/** The longest that {@link SystemdNotifier.close} waits for messages still on their way. */
const closeTimeout = 2000;

/**
 * Tells systemd how the daemon is doing, if it was started by systemd with a notification
 * socket; does nothing otherwise. Each of `ready()` and `stopping()` sends at most once.
 *
 * @example
 * const notifier = new SystemdNotifier({ logger });
 * notifier.ready();          // READY=1, and WATCHDOG=1 from now on if WATCHDOG_USEC is set
 * notifier.stopping();       // STOPPING=1
 * await notifier.close();    // stop the watchdog, wait for sends in flight
 */
export class SystemdNotifier {
  readonly #send: NotifySend;
  readonly #logger: NotifyLogger;
  readonly #enabled: boolean;
  readonly #watchdogInterval: number | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #sent = new Set<string>();
  readonly #healthy: () => boolean;
  readonly #status: (() => string) | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #lastStatus: string | undefined;
  #warned = false;

  constructor(options: NotifierOptions) {
    const env = options.env ?? process.env;
    this.#send = options.send ?? systemdNotify;
    this.#logger = options.logger;
    this.#enabled = Boolean(env.NOTIFY_SOCKET);
    this.#watchdogInterval = this.#enabled ? watchdogInterval(env, options.pid ?? process.pid) : undefined;
    this.#healthy = options.healthy ?? (() => true);
    this.#status = options.status;
  }

  /** Whether systemd listens: `NOTIFY_SOCKET` is set. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Milliseconds between `WATCHDOG=1` messages, if systemd asked for them. */
  get watchdogInterval(): number | undefined {
    return this.#watchdogInterval;
  }

  /** The daemon accepts: send `READY=1` and start the watchdog and the status updates. */
  ready(): void {
    if (!this.#once('READY=1')) return;
    if (this.#watchdogInterval !== undefined && !this.#watchdog) {
      this.#watchdog = setInterval(() => {
        if (this.#healthy()) this.#post(['WATCHDOG=1']);
      }, this.#watchdogInterval);
      this.#watchdog.unref();
    }
    if (this.#status && !this.#statusTimer) {
      this.#sendStatus();
      this.#statusTimer = setInterval(() => this.#sendStatus(), statusInterval);
      this.#statusTimer.unref();
    }
  }

  /** The daemon begins to shut down: send `STOPPING=1` and stop the watchdog. */
  stopping(): void {
    this.#stopWatchdog();
    if (this.#once('STOPPING=1') && this.#status) this.#sendStatus();
  }

  /** Stop the watchdog and wait (at most two seconds) for messages still being sent. */
  async close(): Promise<void> {
    this.#stopWatchdog();
    if (this.#pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeout)));
    await Promise.race([Promise.allSettled([...this.#pending]), timeout]);
    clearTimeout(timer);
  }

  #once(assignment: string): boolean {
    if (!this.#enabled || this.#sent.has(assignment)) return false;
    this.#sent.add(assignment);
    this.#post([assignment]);
    return true;
  }

  #post(assignments: readonly string[]): void {
    if (!this.#enabled) return;
    const sending = this.#send(assignments).then(
      () => this.#logger.debug({ notify: assignments }, `notified systemd: ${assignments.join(' ')}`),
      (error: unknown) => this.#failed(assignments, error),
    );
    this.#pending.add(sending);
    void sending.finally(() => this.#pending.delete(sending));
  }

  #failed(assignments: readonly string[], error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    this.#logger.warn(
      { err: error, notify: assignments },
      missing
        ? 'NOTIFY_SOCKET is set but systemd-notify is not on PATH, so systemd is not told that the daemon is ' +
            'ready or stopping (install systemd, or use Type=simple); further failures are not logged'
        : `cannot notify systemd (${assignments.join(' ')}): ${String(error)}; further failures are not logged`,
    );
  }

  #sendStatus(): void {
    const status = this.#status?.().replace(/[\r\n]+/g, ' ');
    if (status === undefined || status === this.#lastStatus) return;
    this.#lastStatus = status;
    this.#post([`STATUS=${status}`]);
  }

  #stopWatchdog(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    clearInterval(this.#statusTimer);
    this.#statusTimer = undefined;
  }
}

/**
 * Half the watchdog timeout that systemd gives in `WATCHDOG_USEC`, in milliseconds, as
 * sd_watchdog_enabled(3) advises; undefined if there is none or it is meant for another
 * process (`WATCHDOG_PID`).
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Send with the `systemd-notify` binary found on PATH: `systemd-notify READY=1`. Rejects with
 * an `ENOENT` error if it is not installed, or when it exits with an error.
 */
export const systemdNotify: NotifySend = (assignments) =>
  new Promise((resolve, reject) => {
    const child = spawn('systemd-notify', [...assignments], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `systemd-notify ${assignments.join(' ')} ${signal ? `was killed by ${signal}` : `exited with ${code}`}: ${stderr.trim()}`,
          ),
        );
    });
  });

/** What {@link treeStatus} reads of a node of `runtime.tree()`, at any depth. */
interface StatusNode {
  readonly flavour?: string;
  readonly state?: string;
  readonly restarts?: number;
  readonly kind?: string;
  readonly payloads?: readonly StatusNode[];
  readonly children?: readonly StatusNode[];
}

/**
 * The one-line `STATUS=` summary of a tree: its state, the adopted payloads by flavour, how
 * many are restarting and how often they were restarted. Executes come and go too fast to count.
 *
 * @example
 * treeStatus(runtime.tree()); // 'running: 3 payloads (2 asyncio, 1 trio), 1 restarting, 4 restarts'
 */
export function treeStatus(tree: { readonly state: string; readonly flavours?: readonly StatusNode[] }): string {
  const flavours = new Map<string, number>();
  let payloads = 0;
  let restarting = 0;
  let restarts = 0;
  const walk = (nodes: readonly StatusNode[] | undefined): void => {
    for (const node of nodes ?? []) {
      if (node.state !== undefined && node.kind !== 'execute') {
        payloads++;
        if (node.flavour !== undefined) flavours.set(node.flavour, (flavours.get(node.flavour) ?? 0) + 1);
        if (node.state === 'restarting') restarting++;
        restarts += node.restarts ?? 0;
      }
      walk(node.payloads);
      walk(node.children);
    }
  };
  walk(tree.flavours);
  const byFlavour = [...flavours].map(([flavour, count]) => `${count} ${flavour}`).join(', ');
  return `${tree.state}: ${payloads} payload${payloads === 1 ? '' : 's'}${byFlavour ? ` (${byFlavour})` : ''}, ${restarting} restarting, ${restarts} restart${restarts === 1 ? '' : 's'}`;
}
