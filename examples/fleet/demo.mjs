#!/usr/bin/env node
// `npm run demo:fleet`: a local redis-server on a unix socket, two worker daemons and a caller
// with its monitor on http://127.0.0.1:9464/, all through `cobald run`. After eight seconds the
// demo kills one worker (SIGKILL) in the middle of its job: that job finishes on the other
// worker. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const redisServer = '/usr/bin/redis-server';
if (!existsSync(redisServer)) {
  console.error('demo:fleet needs redis-server: sudo apt-get install redis-server (Debian, Ubuntu), or set up Redis 7 or Valkey');
  process.exit(1);
}
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const cli = fileURLToPath(new URL('../../packages/daemon/dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cobald-fleet-demo-'));
const path = join(dir, 'redis.sock');
const env = { ...process.env, REDIS_PATH: path };
const children = [];
const launch = (args, name) => {
  const child = spawn(args[0], args.slice(1), { env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  console.log(`demo: started ${name} (pid ${child.pid})`);
  return child;
};

launch(
  [redisServer, '--port', '0', '--unixsocket', path, '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
  'redis-server',
);
while (!existsSync(path)) await sleep(50);
const workers = [1, 2].map((i) => launch([process.execPath, cli, 'run', here('worker.mjs'), '--log-pretty'], `worker ${i}`));
await sleep(1500);
launch(
  [process.execPath, cli, 'run', here('caller.mjs'), '--log-pretty', '--monitor', '9464'],
  'caller, monitor on http://127.0.0.1:9464/',
);

const stop = async () => {
  const exits = children.map((child) =>
    child.exitCode !== null || child.signalCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)),
  );
  for (const child of [...children].reverse()) child.kill('SIGTERM');
  await Promise.race([Promise.all(exits), sleep(5000)]);
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

await sleep(8000);
const victim = workers[0];
console.log(`demo: killing worker 1 (pid ${victim.pid}) with SIGKILL in the middle of its job; watch that job finish on worker 2`);
victim.kill('SIGKILL');
