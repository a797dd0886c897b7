/**
 * Running the built `cobald` command in a child process, as the tests of signals must (jest
 * gives each test file its own copy of `process`), and waiting on what it logs instead of
 * sleeping: log records are parsed as they arrive.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'cobald-daemon-test-'));

/** A pino record as JSON. */
export type LogRecord = Record<string, any> & { level: number; msg: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the child with SIGKILL after this many milliseconds. Default 15000. */
  timeout?: number;
}

/** A running `cobald` child process. */
export class Daemon {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';
  #waiters = new Set<() => void>();
  #done = false;

  constructor(args: readonly string[], options: DaemonOptions = {}) {
    this.child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: options.env ?? withoutSystemd(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.#got('stdout', chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.#got('stderr', chunk));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), options.timeout ?? 15_000);
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#done = true;
        this.#wake();
        resolve({ code, signal });
      });
    });
  }

  /** The JSON records logged so far on `stream`. */
  records(stream: 'stdout' | 'stderr' = 'stderr'): LogRecord[] {
    return parseRecords(this[stream]);
  }

  /** Resolve with the first record on `stream` that `match` accepts, as soon as it is logged. */
  record(match: (record: LogRecord) => boolean, stream: 'stdout' | 'stderr' = 'stderr'): Promise<LogRecord> {
    return this.until(() => this.records(stream).find(match), `a record on ${stream} matching ${match}`);
  }

  /** Resolve once `probe` returns something, checking whenever output arrives (and every 20 ms). */
  until<T>(probe: () => T | undefined, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = probe();
        if (found !== undefined && found !== false) {
          finish();
          resolve(found);
        } else if (this.#done) {
          finish();
          reject(new Error(`cobald exited before ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
        }
      };
      const poll = setInterval(check, 20);
      const finish = (): void => {
        clearInterval(poll);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  #got(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Run `cobald` to the end. */
export async function runCobald(args: readonly string[], options: DaemonOptions = {}) {
  const daemon = new Daemon(args, options);
  const exit = await daemon.exited;
  return { ...exit, stdout: daemon.stdout, stderr: daemon.stderr, records: daemon.records() };
}

/** Every complete JSON line of `text`; other lines are left out. */
export function parseRecords(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as LogRecord);
}

/** The JSON records in a log file, or none while it does not exist. */
export function fileRecords(path: string): LogRecord[] {
  return existsSync(path) ? parseRecords(readFileSync(path, 'utf8')) : [];
}

/** The environment without systemd's variables, so that a test run under systemd stays quiet. */
export function withoutSystemd(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _socket, WATCHDOG_USEC: _usec, WATCHDOG_PID: _pid, ...rest } = env;
  return rest;
}

export const accepting = (record: LogRecord): boolean => record.msg === 'accepting';
