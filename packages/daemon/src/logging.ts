/**
 * The daemon's logs: a pino logger writing to stderr, stdout or a file, as JSON lines (the
 * default), as short journald lines (`--log-journal`), or through pino-pretty
 * (`--log-pretty`). Writes are synchronous, so nothing is lost when the process exits right
 * after a record, as it does on a forced shutdown. A file is opened for appending and can be
 * reopened after logrotate moved it away (SIGHUP).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { describe } from './describe.js';
import type { LogLevel } from './options.js';

/** Where and how to log. */
export interface LoggingOptions {
  readonly level: LogLevel;
  /** `stderr`, `stdout`, or a file path (relative to `cwd`). */
  readonly target: string;
  readonly journal: boolean;
  readonly pretty: boolean;
  /** Where to resolve a relative file path and look for pino-pretty. Default `process.cwd()`. */
  readonly cwd?: string;
}

/** The logger and the handles on its output. */
export interface Logging {
  readonly logger: PinoLogger;
  /** The file being written, or undefined for stderr and stdout. */
  readonly file: string | undefined;
  /**
   * Open the log file again under its path, after logrotate renamed it; records go to the new
   * file from then on. Does nothing for stderr and stdout.
   *
   * @throws Error when the file cannot be opened; the old file stays in use.
   */
  reopen(): void;
  /** Write out anything buffered. */
  flush(): void;
  /** Things to tell once logging works, such as a missing pino-pretty. */
  readonly notes: readonly string[];
}

/** The log target cannot be opened. */
export class LogTargetError extends Error {
  override readonly name = 'LogTargetError';
}

/** The minimal shape of sonic-boom, the destination pino writes to. */
interface Destination extends DestinationStream {
  reopen(): void;
  flushSync(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * pino's error serializer, for any value: one whose getters throw (a lazy `message`, a proxy) is
 * shown as far as it can be, instead of failing the log call that reports it.
 */
export function serializeError(value: unknown): unknown {
  try {
    return pino.stdSerializers.err(value as Error);
  } catch {
    return { type: 'unserializable', message: describe(value) };
  }
}

/**
 * Make `folder` and its missing parents, one at a time. Not `mkdirSync(folder, { recursive: true })`:
 * where a parent exists but cannot hold the child (procfs, some FUSE mounts), Node's recursive
 * mkdir retries for ever, and the daemon would spin instead of exiting with 73.
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  for (let dir = folder; !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) mkdirSync(dir);
}

/**
 * Set up the daemon's logger.
 *
 * @throws LogTargetError when the log file cannot be opened.
 *
 * @example
 * const { logger, reopen } = await createLogging({ level: 'info', target: '/var/log/cobald.log', journal: false, pretty: false });
 * process.on('SIGHUP', reopen);
 * logger.info({ answer: 42 }, 'hello');
 */
export async function createLogging(options: LoggingOptions): Promise<Logging> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.target === 'stderr' || options.target === 'stdout' ? undefined : resolve(cwd, options.target);
  let destination: Destination;
  try {
    if (file !== undefined) makeFolders(dirname(file));
    destination = pino.destination({
      dest: file ?? (options.target === 'stdout' ? 1 : 2),
      sync: true,
      append: true,
    }) as unknown as Destination;
  } catch (error) {
    throw new LogTargetError(`cannot open the log file ${file}: ${(error as Error).message}`, { cause: error });
  }
  // A failure of the log target after it was opened (a full disk; a closed pipe, as when
  // journald restarts) must not crash the daemon: it is said on stderr, unless that is the
  // target, and the daemon runs on without its logs.
  let failed = false;
  destination.on('error', (error) => {
    failed = true;
    if (options.target !== 'stderr') process.stderr.write(`cobald: log file ${file ?? options.target}: ${error.message}\n`);
  });
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => {});
  }

  const notes: string[] = [];
  let stream: DestinationStream = destination;
  if (options.journal) {
    stream = journalStream(destination);
  } else if (options.pretty) {
    const pretty = await loadPretty(cwd);
    if (pretty) stream = pretty({ destination, sync: true, colorize: file === undefined && isTTY(options.target) });
    else notes.push('--log-pretty needs pino-pretty, which is not installed (npm install pino-pretty): logging JSON instead');
  }

  const logger = pino(
    {
      name: 'cobald',
      level: options.level,
      serializers: { err: serializeError },
      // journald records its own timestamp, pid and host.
      ...(options.journal ? { base: undefined, timestamp: false } : {}),
    },
    stream,
  );
  return {
    logger,
    file,
    notes,
    reopen: () => {
      if (file === undefined) return;
      destination.reopen();
      failed = false;
    },
    // sonic-boom's flushSync() retries a write that fails forever (a full disk, a closed pipe),
    // which would hang the daemon on its way out: after a failure there is nothing to flush to.
    flush: () => {
      if (!failed) destination.flushSync();
    },
  };
}

/** The priority of each pino level for journald, as syslog(3) numbers them (sd-daemon(3)). */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2; // fatal: LOG_CRIT
  if (level >= 50) return 3; // error: LOG_ERR
  if (level >= 40) return 4; // warn: LOG_WARNING
  if (level >= 30) return 6; // info: LOG_INFO
  return 7; // debug, trace: LOG_DEBUG
}

const omitted = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name']);

/**
 * One pino record as one journald line: the `<N>` syslog priority prefix that journald reads
 * (SyslogLevelPrefix), the message, then the other fields as `key=value`. Strings with
 * spaces, quotes or line breaks and all objects are written as JSON, so a stack trace stays on
 * its line.
 *
 * @example
 * formatJournal({ level: 50, msg: 'payload failed', payload: { id: 3 }, err: { stack: 'Error: x\n  at f' } });
 * // '<3>payload failed payload={"id":3} err={"stack":"Error: x\\n  at f"}'
 */
export function formatJournal(record: Record<string, unknown>): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const parts = [`<${syslogPriority(level)}>${oneLine(String(record.msg ?? ''))}`];
  for (const [key, value] of Object.entries(record)) {
    if (omitted.has(key) || value === undefined) continue;
    parts.push(`${key}=${journalValue(value)}`);
  }
  return parts.join(' ');
}

function journalValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"\\=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

const oneLine = (text: string): string => text.replace(/\r?\n/g, '\\n');

/** A stream that turns pino's JSON lines into journald lines on `destination`. */
function journalStream(destination: DestinationStream): DestinationStream {
  return {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        destination.write(`<6>${oneLine(line.trimEnd())}\n`);
        return;
      }
      destination.write(`${formatJournal(record)}\n`);
    },
  };
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** pino-pretty, from the app (the working directory) or beside the daemon; undefined if absent. */
async function loadPretty(cwd: string): Promise<PrettyFactory | undefined> {
  for (const base of [pathToFileURL(join(cwd, 'package.json')).href, import.meta.url]) {
    let found: string;
    try {
      found = createRequire(base).resolve('pino-pretty');
    } catch {
      continue;
    }
    const module = (await import(pathToFileURL(found).href)) as { default: PrettyFactory | { default: PrettyFactory } };
    return typeof module.default === 'function' ? module.default : module.default.default;
  }
  return undefined;
}

function isTTY(target: string): boolean {
  return (target === 'stdout' ? process.stdout : process.stderr).isTTY === true;
}
