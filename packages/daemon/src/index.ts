/**
 * `@cobald/daemon`: the `cobald` command as a library, for embedding it or testing it in
 * process. The command itself is `cobald run <config>`; see docs/daemon.md.
 */
export { main, exitCodes, type MainOptions } from './main.js';
export { parseCommand, usage, UsageError, logLevels, type Command, type RunCommandOptions, type LogLevel } from './options.js';
export { loadConfig, runSetup, loadKernel, ConfigError, type LoadedConfig, type ConfigSetup, type ConfigContext } from './config-loader.js';
export { createLogging, formatJournal, syslogPriority, LogTargetError, type Logging, type LoggingOptions } from './logging.js';
export { SystemdNotifier, systemdNotify, watchdogInterval, type NotifySend, type NotifierOptions } from './notify.js';
export { trapDaemonSignals } from './signals.js';
export { version } from './version.js';
