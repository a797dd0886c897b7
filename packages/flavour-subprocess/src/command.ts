/** What the subprocess flavour runs, what it yields, and how a command fails. */

/**
 * A command to run. It is spawned directly, without a shell: `args` are passed as they are, and
 * the `args` of `adopt`/`execute` are appended to them.
 *
 * @example
 * const list: Command = { command: 'ls', args: ['-l'], cwd: '/tmp' };
 */
export interface Command {
  /** The program: a path, or a name looked up on `PATH`. */
  readonly command: string;
  /** Its arguments. */
  readonly args?: readonly string[];
  /** Its working directory; by default the process's. */
  readonly cwd?: string;
  /** Variables added to the process's environment; `undefined` removes one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `execute()` of a command resolves with. */
export interface CommandResult {
  /** The exit code: always 0, since any other code rejects. */
  readonly code: number;
  /** What the command wrote to stdout (its last `maxOutput` bytes), as UTF-8. */
  readonly stdout: string;
  /** What the command wrote to stderr (its last `maxOutput` bytes), as UTF-8. */
  readonly stderr: string;
}

/**
 * A command exited with a code other than 0, or was killed by a signal the runtime did not
 * send. `execute()` rejects with it; for an adopted command, it is the `cause` of the
 * `PayloadFailure` that stops the runtime.
 */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
  constructor(
    /** The program that was run. */
    readonly command: string,
    /** Its exit code, or null if a signal killed it. */
    readonly code: number | null,
    /** The signal that killed it, if any. */
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
    const lastLine = stderr.trimEnd().split('\n').pop()?.slice(-200);
    super(`command '${command}' ${how}${lastLine ? `: ${lastLine}` : ''}`);
  }
}

/** Throw a `TypeError` that says what is wrong unless `payload` is a {@link Command}. */
export function validateCommand(payload: unknown): asserts payload is Command {
  const expected = 'a subprocess payload is { command: string, args?: string[], cwd?: string, env?: object }';
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError(`${expected}, got ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}`);
  }
  const { command, args, cwd, env } = payload as Record<string, unknown>;
  if (typeof command !== 'string' || command === '') {
    throw new TypeError(`${expected}: 'command' must be a non-empty string, got ${describe(command)}`);
  }
  if (args !== undefined && !(Array.isArray(args) && args.every((arg) => typeof arg === 'string'))) {
    throw new TypeError(`${expected}: 'args' must be an array of strings`);
  }
  if (cwd !== undefined && typeof cwd !== 'string') {
    throw new TypeError(`${expected}: 'cwd' must be a string, got ${describe(cwd)}`);
  }
  if (env !== undefined) {
    const values = typeof env === 'object' && env !== null ? Object.values(env) : [0];
    if (!values.every((value) => value === undefined || typeof value === 'string')) {
      throw new TypeError(`${expected}: 'env' must map names to strings`);
    }
  }
}

const describe = (value: unknown): string => (value === null ? 'null' : value === '' ? 'an empty string' : typeof value);
