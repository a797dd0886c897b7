/**
 * Child processes for tests: signals, exit codes and "the process exits by itself" are only real
 * there, since jest gives each test file its own copy of `process`.
 */
import { spawn } from 'node:child_process';
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
 * Run `node script ...args` and collect its output; it is killed after `timeout` ms.
 *
 * @example
 * const { code, stdout } = await runScript(new URL('./fixtures/sigint.mjs', import.meta.url));
 */
export function runScript(
  script: string | URL,
  args: readonly string[] = [],
  { cwd, timeout = 15_000 }: { cwd?: string; timeout?: number } = {},
): Promise<ScriptResult> {
  const started = Date.now();
  const path = script instanceof URL ? fileURLToPath(script) : script;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
