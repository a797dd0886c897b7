/** Helpers shared by the threading tests: quiet runners, a direct runner, waiting on shared memory. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServiceRunner, silentLogger, type RunContext, type RunKind, type ServiceRunnerOptions } from '@cobald/kernel';
import { threading, type ThreadingOptions, type ThreadingRunner } from '@cobald/flavour-threading';

/** A runner without signal handlers that logs nothing, with threading options. */
export function quietRunner(threadingOptions: ThreadingOptions = {}, options: ServiceRunnerOptions = {}): ServiceRunner {
  return new ServiceRunner({
    handleSignals: false,
    logger: silentLogger,
    flavours: { threading: { ...threadingOptions } },
    ...options,
  });
}

/** The flavour's own runner, driven without a ServiceRunner, to look at its threads. */
export function directRunner(options: ThreadingOptions = {}): ThreadingRunner {
  return threading.createRunner({ logger: silentLogger, gracePeriod: 1000, options: { ...options } }) as ThreadingRunner;
}

let lastId = 1_000_000;
export function context(kind: RunKind = 'execute', name = 'test payload'): RunContext {
  return { id: ++lastId, name, flavour: 'threading', kind };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolve once `check()` holds; reject after `timeout` ms. */
export async function until(check: () => boolean, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeout} ms`);
    await sleep(5);
  }
}

/** The URL of a fixture module. */
export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/** Run a fixture script in a child process (it imports the built packages). */
export function runFixture(name: string, timeout = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(fixture(name))], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** For `.then(unexpected, (err) => err)`: a promise that should have rejected resolved. */
export function unexpected(value: unknown): never {
  throw new Error(`expected a rejection, got ${String(value)}`);
}
