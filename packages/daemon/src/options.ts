/**
 * The command line of `cobald`: its options, their defaults and checks, and the usage text.
 * Parsing is `node:util`'s `parseArgs`; anything it or the checks here refuse becomes a
 * {@link UsageError}, which the CLI turns into exit code 64 (EX_USAGE) and the usage text.
 */
import { parseArgs } from 'node:util';

/** The levels of `--log-level`: pino's, from the most to the least verbose. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** How `cobald run` runs a configuration. */
export interface RunCommandOptions {
  /** The configuration module, as given on the command line. */
  readonly config: string;
  /** The least severe level that is logged. Default `info`. */
  readonly logLevel: LogLevel;
  /** `stderr`, `stdout`, or the path of a file that is appended to. Default `stderr`. */
  readonly logTarget: string;
  /** Short lines for journald: `<N>` priority prefixes, no timestamps. */
  readonly logJournal: boolean;
  /** Human-readable lines through pino-pretty, if it is installed. */
  readonly logPretty: boolean;
  /** Milliseconds that payloads get to stop after shutdown begins; the kernel's default when absent. */
  readonly gracePeriod: number | undefined;
  /** Milliseconds the configuration may take to load before the daemon gives up. Default 60000. */
  readonly startTimeout: number;
  /** Where `@cobald/monitor` serves (`--monitor [host:]port`); no monitor when absent. */
  readonly monitor?: { readonly host: string; readonly port: number } | undefined;
  /** The file whose content is the monitor's bearer token (`--monitor-token-file`). */
  readonly monitorTokenFile?: string | undefined;
}

/** The default of `--start-timeout`: below systemd's default `TimeoutStartSec=` of 90 s. */
export const defaultStartTimeout = 60_000;

/** The longest delay Node's timers keep (about 24.8 days). */
const maxDelay = 2 ** 31 - 1;

/** What the command line asks for. */
export type Command = { readonly command: 'help' } | { readonly command: 'version' } | ({ readonly command: 'run' } & RunCommandOptions);

/** The command line is wrong; the message says how. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The text of `cobald --help`. */
export const usage = `Usage: cobald run <config> [options]

Run a cobald-ts daemon: import the configuration module <config> (.mjs, .js, .cjs;
.ts, .mts, .cts with tsx installed), which adopts payloads and creates services on
the runtime of @cobald/kernel, then accept until SIGINT or SIGTERM.

Options:
  --log-level <level>    trace, debug, info, warn, error, fatal or silent (default: info)
  --log-target <target>  stderr, stdout or the path of a file to append to; a file is
                         reopened on SIGHUP, for logrotate (default: stderr)
  --log-journal          short lines for journald: <N> priority prefix, no timestamps
  --log-pretty           human-readable lines (needs pino-pretty installed)
  --grace-period <ms>    how long payloads get to stop on shutdown, or 'infinity'
                         (default: 3000)
  --start-timeout <ms>   how long loading the configuration may take, or 'infinity'
                         (default: 60000)
  --monitor [host:]port  serve the live page, /metrics, /healthz and /readyz there;
                         host 127.0.0.1 unless given, port 0 picks a free one
  --monitor-token-file <path>
                         require the bearer token in this file on every monitor request
  -h, --help             show this text
  -v, --version          show the version

Signals: SIGINT, SIGTERM stop gracefully (a second one forces exit), also while the
configuration loads; SIGHUP reopens the log file; SIGUSR1 logs the supervision tree.
Exit codes: 0 stopped gracefully, 1 a payload failed, 2 the configuration failed or
took too long, 64 wrong usage, 73 cannot open the log file or serve the monitor,
128+N forced exit by signal N.`;

/**
 * Read `cobald`'s arguments (without `node` and the script).
 *
 * @throws UsageError for an unknown option, a missing or extra argument, or a bad value.
 *
 * @example
 * parseCommand(['run', './config.mjs', '--log-level', 'debug']);
 * // { command: 'run', config: './config.mjs', logLevel: 'debug', logTarget: 'stderr', ... }
 */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'log-level': { type: 'string' },
        'log-target': { type: 'string' },
        'log-journal': { type: 'boolean' },
        'log-pretty': { type: 'boolean' },
        'grace-period': { type: 'string' },
        'start-timeout': { type: 'string' },
        monitor: { type: 'string' },
        'monitor-token-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };

  const [command, config, ...extra] = positionals;
  if (command === undefined) throw new UsageError('a command is required: cobald run <config>');
  if (command !== 'run') throw new UsageError(`unknown command '${command}': the only command is 'run'`);
  if (config === undefined) throw new UsageError('the configuration module is missing: cobald run <config>');
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}': give one configuration module`);

  const logLevel = values['log-level'] ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new UsageError(`--log-level must be one of ${logLevels.join(', ')}, got '${logLevel}'`);
  }
  const logTarget = values['log-target'] ?? 'stderr';
  if (logTarget === '') throw new UsageError('--log-target must be stderr, stdout or a file path');
  const logJournal = values['log-journal'] ?? false;
  const logPretty = values['log-pretty'] ?? false;
  if (logJournal && logPretty) throw new UsageError('--log-journal and --log-pretty exclude each other');

  const gracePeriod = milliseconds('--grace-period', values['grace-period']);
  const startTimeout = milliseconds('--start-timeout', values['start-timeout']) ?? defaultStartTimeout;
  const monitor = values.monitor === undefined ? undefined : parseListen(values.monitor);
  const monitorTokenFile = values['monitor-token-file'];
  if (monitorTokenFile !== undefined && !monitor) throw new UsageError('--monitor-token-file needs --monitor');
  if (monitorTokenFile === '') throw new UsageError('--monitor-token-file needs the path of a file');
  return { command: 'run', config, logLevel, logTarget, logJournal, logPretty, gracePeriod, startTimeout, monitor, monitorTokenFile };
}

/** `9464`, `0.0.0.0:9464`, `[::1]:9464`: the host defaults to loopback. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new UsageError(`--monitor must be [host:]port with a port from 0 to 65535, got '${text}'`);
  }
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** A whole number of milliseconds that Node's timers can hold, or `infinity`; undefined when absent. */
function milliseconds(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^infinity$/i.test(text)) return Infinity;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${option} must be a whole number of milliseconds or 'infinity', got '${text}'`);
  }
  if (value > maxDelay) {
    throw new UsageError(`${option} must be at most ${maxDelay} ms (about 24.8 days), or 'infinity', got '${text}'`);
  }
  return value;
}

function isLogLevel(level: string): level is LogLevel {
  return (logLevels as readonly string[]).includes(level);
}
