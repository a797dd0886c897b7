/**
 * What the tests share: a redis-server of their own, worker daemons run with `cobald run` as
 * child processes, a caller runner, and the files tasks leave behind (tasks.mjs).
 */
import { afterAll, beforeAll } from '@jest/globals';
import { installTimeout, testRunner } from '@cobald/test-support';
import { Queue } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisServer } from './redis-server.js';

import { startRedis } from './redis-server.js';

export { startRedis, type RedisServer } from './redis-server.js';

/**
 * The redis-server of one test file: started (installed first when missing) before its tests,
 * stopped after them, with the worker daemons they started.
 */
export function redisForFile(): RedisServer {
  const server = {} as RedisServer;
  beforeAll(async () => {
    Object.assign(server, await startRedis());
  }, installTimeout + 60_000);
  afterAll(async () => {
    await killWorkers();
    if ('stop' in server) await server.stop();
  });
  return server;
}

const cli = fileURLToPath(new URL('../../daemon/dist/cli.js', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A worker daemon: `cobald run fixtures/worker.mjs`. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with its exit code (or the signal that killed it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** What it printed. */
  output(): string;
}

/** Settings of a worker daemon, as its environment. */
export interface WorkerSettings {
  readonly queue: string;
  readonly concurrency?: number;
  readonly lockDuration?: number;
  readonly stalledInterval?: number;
}

/** Start a worker daemon serving `settings.queue` with the tasks of tasks.mjs; resolves once it is ready. */
export async function startWorker(redis: RedisServer, marks: string, settings: WorkerSettings): Promise<WorkerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_PATH: redis.path, MARKS: marks, QUEUE: settings.queue };
  delete env.FORCE_COLOR;
  if (settings.concurrency) env.CONCURRENCY = String(settings.concurrency);
  if (settings.lockDuration) env.LOCK_DURATION = String(settings.lockDuration);
  if (settings.stalledInterval) env.STALLED_INTERVAL = String(settings.stalledInterval);
  const child = spawn(process.execPath, [cli, 'run', fixture('worker.mjs'), '--grace-period', '5000'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
  const worker: WorkerProcess = { child, pid: child.pid!, exited, output: () => output };
  workers.add(worker);
  // Ready once BullMQ lists it among the queue's workers (its name ends with its pid).
  const queue = new Queue(settings.queue, { connection: { path: redis.path } });
  try {
    await waitFor(`worker ${child.pid} to serve queue '${settings.queue}'`, async () => {
      if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}:\n${output}`);
      const listed = await queue.getWorkers();
      return listed.some((client) => String(client.rawname).endsWith(`-${child.pid}`));
    });
  } finally {
    await queue.close();
  }
  return worker;
}

const workers = new Set<WorkerProcess>();

/** Kill every worker daemon still running (after each test file). */
export async function killWorkers(): Promise<void> {
  await Promise.all(
    [...workers].map(async (worker) => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
    }),
  );
  workers.clear();
}

/** A folder for the marks tasks leave. */
export const marksIn = (redis: RedisServer): string => mkdtempSync(join(redis.dir, 'marks-'));

/** The text of mark `name.suffix`, or undefined. */
export function markOf(marks: string, name: string, suffix: string): string | undefined {
  const file = join(marks, `${name}.${suffix}`);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Wait until `check()` holds, for at most `ms` (generous: the machine may be loaded); throws naming `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await delay(50);
  }
}

/** A caller runner for the tests, its logs kept. */
export function callerRunner(redis: RedisServer, callerLease = 30_000) {
  return testRunner({ gracePeriod: 10_000, flavours: { bullmq: { connection: { path: redis.path }, callerLease } } });
}
