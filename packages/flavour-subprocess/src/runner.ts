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

export class SubprocessRunner implements FlavourRunner<SubprocessTypes> {
  /** The running children, each with a promise that resolves when it has exited. */
  readonly #children = new Map<ChildProcess, Promise<void>>();
  readonly #gracePeriod: number;
  readonly #maxOutput: number;
  #closing = false;
  /** Kills every child if the process exits under the runner, so none is left orphaned. */
  readonly #killAll = (): void => {
    for (const child of this.#children.keys()) child.kill('SIGKILL');
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
      this.#children.set(child, new Promise<void>((resolve) => (exited = resolve)));
      const settle = (): void => {
        child.removeAllListeners();
        this.#children.delete(child);
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
        if (this.#closing) reject(cancelled(context, new Error(`'${command}' was stopped by the runtime (${signal ?? `exit code ${code}`})`)));
        else if (code === 0) resolve(context.kind === 'adopt' ? undefined : ({ code, stdout: stdout(), stderr: stderr() } satisfies CommandResult));
        else reject(new CommandFailed(command, code, signal, stdout(), stderr()));
      });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    process.off('exit', this.#killAll);
    const exits = [...this.#children].map(([child, exited]) => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.#gracePeriod);
      return exited.finally(() => clearTimeout(timer));
    });
    await Promise.all(exits);
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
