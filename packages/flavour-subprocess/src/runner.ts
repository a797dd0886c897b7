/**
 * The runner of the subprocess flavour: one child process per payload, and a shutdown that
 * sends SIGTERM to every child, then SIGKILL to those still alive after the grace period.
 */
import { cancelled, type FlavourHost, type FlavourRunner, type RunContext } from '@cobald/kernel';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CommandFailed, type Command, type CommandResult } from './command.js';
import type { SubprocessTypes } from './subprocess.js';

const defaultMaxOutput = 1 << 20;

/** A running child: `stop()` sends SIGTERM, then SIGKILL after the grace period. */
interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stopping: boolean;
}

export class SubprocessRunner implements FlavourRunner<SubprocessTypes> {
  /** The running children by payload id. */
  readonly #running = new Map<number, Running>();
  readonly #gracePeriod: number;
  readonly #maxOutput: number;
  #closing = false;
  /** Kills every child if the process exits under the runner, so none is left orphaned. */
  readonly #killAll = (): void => {
    for (const { child } of this.#running.values()) child.kill('SIGKILL');
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
      let exited!: () => void;
      const running: Running = { child, exited: new Promise<void>((resolve) => (exited = resolve)), stopping: false };
      this.#running.set(context.id, running);
      const settle = (): void => {
        child.removeAllListeners();
        this.#running.delete(context.id);
        exited();
      };
      child.once('error', (error) => {
        // Spawning failed (no such program, no permission): the child never ran.
        settle();
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      });
      child.once('close', (code, signal) => {
        settle();
        if (running.stopping) {
          reject(cancelled(context, new Error(`'${command}' was stopped by the runtime (${signal ?? `exit code ${code}`})`)));
        } else if (code === 0) {
          resolve(context.kind === 'adopt' ? undefined : ({ code, stdout: stdout(), stderr: stderr() } satisfies CommandResult));
        } else {
          reject(new CommandFailed(command, code, signal, stdout(), stderr()));
        }
      });
    });
  }

  /** Stop one command (the kernel stops services one at a time, newest first). */
  cancel(context: RunContext): void {
    const running = this.#running.get(context.id);
    if (running) void this.#stop(running);
  }

  async close(): Promise<void> {
    this.#closing = true;
    process.off('exit', this.#killAll);
    await Promise.all([...this.#running.values()].map((running) => this.#stop(running)));
  }

  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the child has exited. */
  #stop(running: Running): Promise<void> {
    if (!running.stopping) {
      running.stopping = true;
      running.child.kill('SIGTERM');
      const timer = setTimeout(() => running.child.kill('SIGKILL'), this.#gracePeriod);
      void running.exited.then(() => clearTimeout(timer));
    }
    return running.exited;
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
