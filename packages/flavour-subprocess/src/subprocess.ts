/**
 * The subprocess flavour: a payload is a command, run as a child process. `execute()` resolves
 * with its exit code and output; a non-zero exit is an error. On shutdown every child gets
 * SIGTERM, then SIGKILL once its time to stop is over: the payload's `shutdownTimeout`, or else
 * the runner's grace period.
 *
 * It is an example of a third-party flavour: it uses nothing but the public API of
 * `@cobald/kernel`, and registers itself under the name `'subprocess'` when imported.
 */
import { defineFlavour, registerFlavour, type PayloadTypes } from '@cobald/kernel';
import { basename } from 'node:path';
import { validateCommand, type Command, type CommandResult } from './command.js';
import { SubprocessRunner } from './runner.js';
import { version } from './version.js';

/**
 * The payload types of the subprocess flavour: a {@link Command}, extra arguments as strings,
 * and a {@link CommandResult}.
 *
 * @example
 * const { stdout } = await runtime.execute({ command: 'git', args: ['status'] }, { flavour: subprocess });
 */
export interface SubprocessTypes extends PayloadTypes {
  readonly payload: Command;
  readonly args: readonly string[];
  readonly result: CommandResult;
}

/**
 * The subprocess flavour. Importing this package (or `cobald-flavour-subprocess/register`)
 * registers it, so `{ flavour: 'subprocess' }` works too.
 *
 * Options, as `new ServiceRunner({ flavours: { subprocess: { maxOutput: 65536 } } })`:
 * `maxOutput`, the bytes of stdout and of stderr kept per command (the last ones), default 1 MiB.
 *
 * @example
 * import { runtime } from '@cobald/kernel';
 * import { subprocess } from 'cobald-flavour-subprocess';
 *
 * runtime.adopt({ command: 'redis-server', args: ['--port', '6380'] }, { flavour: subprocess });
 * const { stdout } = await runtime.execute({ command: 'redis-cli', args: ['-p', '6380', 'ping'] },
 *   { flavour: subprocess }); // 'PONG\n', once runtime.accept() runs
 */
export const subprocess = defineFlavour<SubprocessTypes>({
  name: 'subprocess',
  version,
  kernel: '^0.1.0',
  validate: validateCommand,
  nameOf: (payload) => basename(payload.command),
  createRunner: (host) => new SubprocessRunner(host),
  /** A service's `run()` returns the command that is the service, such as a server to keep running. */
  bindService(instance) {
    const payload = instance.run();
    validateCommand(payload);
    return payload;
  },
});

registerFlavour(subprocess);

declare module '@cobald/kernel' {
  interface KnownFlavours {
    subprocess: typeof subprocess;
  }
}
