/**
 * `cobald-flavour-subprocess`: the subprocess flavour, whose payloads are commands run as child
 * processes. Importing it registers the flavour under the name `'subprocess'`.
 */
export { subprocess, type SubprocessTypes } from './subprocess.js';
export { CommandFailed, type Command, type CommandResult } from './command.js';
