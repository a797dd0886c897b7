/**
 * A redis-server of the test's own: on a unix socket in a fresh temporary folder, without
 * persistence, listening on no network port; stopped by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { debianProgram } from '@cobald/test-support';

/** A running redis-server. */
export interface RedisServer {
  /** Its unix socket: `connection: { path }`. */
  readonly path: string;
  /** The temporary folder it runs in, for the test's own files too. */
  readonly dir: string;
  /** Stop it and remove its folder. */
  stop(): Promise<void>;
  /** Stop it and start it again on the same socket, empty (nothing is persisted), after `downFor` ms. */
  restart(downFor?: number): Promise<void>;
}

/** Start a redis-server, installing Debian's when it is missing (or saying how to). */
export async function startRedis(): Promise<RedisServer> {
  const binary = await debianProgram('/usr/bin/redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'cobald-bullmq-'));
  const path = join(dir, 'redis.sock');
  let child: ChildProcess = await launch(binary, path, dir);
  return {
    path,
    dir,
    async stop() {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downFor = 0) {
      await kill(child);
      if (downFor > 0) await delay(downFor);
      child = await launch(binary, path, dir);
    },
  };
}

async function launch(binary: string, path: string, dir: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', '0', '--unixsocket', path, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (existsSync(path)) {
      const client = new Redis({ path, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') return child;
      } catch {
        // not yet
      } finally {
        client.disconnect();
      }
    }
    await delay(50);
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not answer within 30 s');
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
