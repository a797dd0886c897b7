/**
 * The runner of the subprocess flavour: one child process per payload, and a shutdown that
 * sends SIGTERM to every child, then SIGKILL to those still alive once their time to stop (the
 * payload's `shutdownTimeout`, or the runner's grace period) is over.
 */
import { cancelled, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CommandFailed, type Command, type CommandResult } from './command.js';
import type { SubprocessTypes } from './subprocess.js';

const defaultMaxOutput = 1 << 20;

/** A running child: `stop()` sends SIGTERM, then SIGKILL once its time to stop is over. */
interface Running {
  /** The payload's id. */
  readonly id: number;
  readonly child: ChildProcess;
  /** Milliseconds between SIGTERM and SIGKILL: the payload's `shutdownTimeout`, or the grace period. */
  readonly timeout: number;
  /** Resolves once its `run()` has settled. */
  readonly ended: Promise<void>;
  stopping: boolean;
  /** Set once the child has exited, while its output may still be open. */
  exited: boolean;
  /** Settle its `run()` now, as it ended: used when it exits while being stopped. */
  finish: () => void;
}

/** How long a child killed by SIGTERM or SIGINT waits for the runtime's stop before it counts as failed. */
const stopSignalWait = 250;

/** The longest delay Node's timers keep; a longer one would fire at once. */
const maxDelay = 2 ** 31 - 1;

export class SubprocessRunner implements FlavourRunner<SubprocessTypes> {
  /**
   * The running children. A set, not a map by payload id: a restarted payload keeps its id, and
   * its new child may start while the old one still exits.
   */
  readonly #running = new Set<Running>();
  readonly #gracePeriod: number;
  readonly #maxOutput: number;
  #closing = false;
  /** Kills every child if the process exits under the runner, so none is left orphaned. */
  readonly #killAll = (): void => {
    for (const { child } of this.#running) child.kill('SIGKILL');
  };

  constructor(host: FlavourHost) {
    const { maxOutput = defaultMaxOutput } = host.options;
    if (!(typeof maxOutput === 'number' && Number.isSafeInteger(maxOutput) && maxOutput > 0)) {
      throw new TypeError(`subprocess option 'maxOutput' must be a positive integer of bytes, got ${String(maxOutput)}`);
    }
    this.#gracePeriod = host.gracePeriod;
    this.#maxOutput = maxOutput;
  }

  start(): void {
    process.on('exit', this.#killAll);
  }

  run(payload: Command, extraArgs: readonly unknown[], context: RunContext): Promise<unknown> {
    if (this.#closing) return Promise.reject(cancelled(context));
    if (!extraArgs.every((arg) => typeof arg === 'string')) {
      return Promise.reject(new TypeError(`the args of subprocess payload '${context.name}' must be strings`));
    }
    const { command, args = [], cwd, env } = payload;
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args, ...(extraArgs as string[])], {
        cwd,
        env: env ? { ...process.env, ...env } : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      const stdout = collect(child.stdout, this.#maxOutput);
      const stderr = collect(child.stderr, this.#maxOutput);
      let ended!: () => void;
      let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
      const settle = (): boolean => {
        if (!this.#running.delete(running)) return false;
        child.removeAllListeners();
        // A late 'error' (a failed kill) must not become an uncaught exception.
        child.on('error', () => {});
        ended();
        return true;
      };
      let waited = false;
      const finish = (): void => {
        if (!running.stopping && !waited && (exit.signal === 'SIGTERM' || exit.signal === 'SIGINT')) {
          // A service manager signals every process of the service at once (systemd's default
          // KillMode=control-group, Ctrl-C in a terminal): the child may die of the signal a moment
          // before the runtime's own stop begins. That is a stop, not a failure, if one follows.
          waited = true;
          setTimeout(finish, stopSignalWait);
          return;
        }
        if (!settle()) return;
        const { code, signal } = exit;
        if (running.stopping) {
          // Its output may be held open by processes it started: they are not waited for.
          child.stdout.destroy();
          child.stderr.destroy();
          reject(cancelled(context, new Error(`'${command}' was stopped by the runtime (${signal ?? `exit code ${code}`})`)));
        } else if (code === 0) {
          resolve(context.kind === 'adopt' ? undefined : ({ code, stdout: stdout(), stderr: stderr() } satisfies CommandResult));
        } else {
          reject(new CommandFailed(command, code, signal, stdout(), stderr()));
        }
      };
      const running: Running = {
        id: context.id,
        child,
        timeout: context.shutdownTimeout ?? this.#gracePeriod,
        ended: new Promise<void>((resolve) => (ended = resolve)),
        stopping: false,
        exited: false,
        finish,
      };
      this.#running.add(running);
      child.once('error', (error: NodeJS.ErrnoException) => {
        // Spawning failed (no such program, no permission): the child never ran.
        if (!settle()) return;
        child.stdout.destroy();
        child.stderr.destroy();
        // Node says 'spawn <command> ENOENT' also when the program exists but the folder does not.
        if (error.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) {
          reject(new Error(`cannot run '${command}': its working directory ${cwd} does not exist`, { cause: error }));
        } else {
          reject(error);
        }
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        running.exited = true;
        if (running.stopping) finish();
      });
      // Otherwise it has ended once its output is complete as well.
      child.once('close', finish);
    });
  }

  /** Stop one command (the kernel stops services one at a time, newest first). */
  cancel(context: RunContext): void {
    for (const running of this.#running) if (running.id === context.id) void this.#stop(running);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#running].map((running) => this.#stop(running)));
    // Only now: until every child has exited, an exit of the process must still kill them.
    process.off('exit', this.#killAll);
  }

  /**
   * SIGTERM, then SIGKILL once the payload's time to stop is over; resolves when its `run()` has
   * settled. A child that has already exited (its output held open by processes it started)
   * settles at once.
   */
  #stop(running: Running): Promise<void> {
    if (!running.stopping) {
      running.stopping = true;
      if (running.exited) {
        running.finish();
      } else {
        running.child.kill('SIGTERM');
        const { timeout } = running;
        if (timeout !== Infinity) {
          const timer = setTimeout(() => running.child.kill('SIGKILL'), Math.min(timeout, maxDelay));
          void running.ended.then(() => clearTimeout(timer));
        }
      }
    }
    return running.ended;
  }
}

/** Keep the last `limit` bytes a stream yields; the function returns them as UTF-8. */
function collect(stream: Readable, limit: number): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    while (chunks.length > 1 && size - chunks[0]!.length >= limit) size -= chunks.shift()!.length;
  });
  return () => {
    const all = Buffer.concat(chunks);
    return all.subarray(Math.max(0, all.length - limit)).toString('utf8');
  };
}
