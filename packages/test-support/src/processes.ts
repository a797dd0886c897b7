/**
 * Child processes for tests: signals, exit codes and "the process exits by itself" are only real
 * there, since jest gives each test file its own copy of `process`.
 */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** How a child process ended and what it printed. */
export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start to end. */
  ms: number;
}

/**
 * Run `node ...execArgv script ...args` and collect its output; it is killed after `timeout` ms. `node` is
 * this process's binary unless another is given (see {@link nodeOfLine}).
 *
 * @example
 * const { code, stdout } = await runScript(new URL('./fixtures/sigint.mjs', import.meta.url));
 */
export function runScript(
  script: string | URL,
  args: readonly string[] = [],
  {
    cwd,
    timeout = 15_000,
    node = process.execPath,
    execArgv = [],
  }: { cwd?: string; timeout?: number; node?: string; execArgv?: readonly string[] } = {},
): Promise<ScriptResult> {
  const started = Date.now();
  const path = script instanceof URL ? fileURLToPath(script) : script;
  return new Promise((resolve, reject) => {
    // Without FORCE_COLOR (nx sets it for its tasks): what a fixture prints is compared as plain text.
    const { FORCE_COLOR: _colors, ...env } = process.env;
    const child = spawn(node, [...execArgv, path, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** How long installing a missing Node.js line may take (a download of ~50 MB from the npm registry). */
export const installTimeout = 5 * 60_000;

const withNode = fileURLToPath(new URL('../../../tools/with-node.sh', import.meta.url));

/**
 * The `node` binary of another Node.js major line, or this process's own binary when it already
 * is that line or newer. A missing line is installed by `tools/with-node.sh <major>` (into
 * `$COBALD_NODE_CACHE`, by default `~/.cache/cobald-node`) when a test first needs it, so a fresh
 * machine needs nothing but the README's commands; several test files may ask at once (the
 * script installs a line once, under a lock). Give the test {@link installTimeout}. Rejects with
 * the script's own words when the install fails: a test that needs it fails, it is never skipped.
 *
 * @example
 * const node24 = await nodeOfLine(24);
 */
export async function nodeOfLine(major: number): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) >= major) return process.execPath;
  // Never COBALD_NODE_UPDATE here: a line in the cache is used as it is, without the network.
  const { COBALD_NODE_UPDATE: _update, ...env } = process.env;
  return new Promise((resolve, reject) => {
    execFile(
      withNode,
      [String(major), 'node', '-p', 'process.execPath'],
      { env, timeout: installTimeout, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`this test needs Node.js ${major}, and 'tools/with-node.sh ${major}' could not provide it:\n${stderr}`, {
              cause: error,
            }),
          );
        } else {
          resolve(stdout.trim());
        }
      },
    );
  });
}
