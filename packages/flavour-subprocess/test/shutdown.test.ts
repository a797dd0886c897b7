import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, createFlavourHost, isCancellation, type RunContext } from '@cobald/kernel';
import { subprocess } from 'cobald-flavour-subprocess';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, node, testRunner, until } from './support.js';

/** A child that prints its pid, then runs until it is killed. */
const sleeper = () => node('console.log(process.pid); setInterval(() => {}, 1000)');

/** A child that ignores SIGTERM, and creates the file `ready` once it does. */
const stubborn = (ready: string) =>
  node(`process.on("SIGTERM", () => {}); fs.writeFileSync(${JSON.stringify(ready)}, ""); setInterval(() => {}, 1000)`);

/** Paths in a fresh folder for a child to signal through: `ready` once its handlers are installed. */
function tempFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'cobald-subprocess-'));
  return { ready: join(dir, 'ready'), flushed: join(dir, 'flushed') };
}

describe('subprocess shutdown', () => {
  it('sends SIGTERM to every child; adopted ones are cancelled, executed ones reject with PayloadCancelled', async () => {
    // A grace period far longer than the bound below: only SIGTERM can have stopped them in time.
    const { runner } = testRunner({ gracePeriod: 10_000 });
    const pids: number[] = [];
    runner.adopt(sleeper(), { flavour: subprocess, name: 'adopted' });
    const accepting = runner.accept();
    const executed = runner.execute(sleeper(), { flavour: subprocess, name: 'executed' }).catch((e: unknown) => e);
    // Their pids, from the process table: children of this process running the sleeper.
    await until(() => childPids().length === 2);
    pids.push(...childPids());
    expect(pids).toHaveLength(2);
    const started = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    const error = await executed;
    expect(error).toBeInstanceOf(PayloadCancelled);
    expect(isCancellation(error)).toBe(true);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('sends SIGKILL to a child that ignores SIGTERM once the grace period is over', async () => {
    const { runner } = testRunner({ gracePeriod: 300 });
    const accepting = runner.accept();
    const files = tempFiles();
    const executed = runner.execute(stubborn(files.ready), { flavour: subprocess }).catch((e: unknown) => e);
    expect(await until(() => existsSync(files.ready), 10_000)).toBe(true);
    const [pid] = childPids();
    const started = Date.now();
    await runner.shutdown();
    await accepting;
    expect(await until(() => !alive(pid!), 2_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(isCancellation(await executed)).toBe(true);
  });

  it("gives a command its own shutdownTimeout to stop, not the runner's grace period", async () => {
    // The command needs a second after SIGTERM to flush; the runner's grace period is far shorter.
    const files = tempFiles();
    const flusher = node(
      `process.on("SIGTERM", () => setTimeout(() => { fs.writeFileSync(${JSON.stringify(files.flushed)}, "ok"); process.exit(0); }, 1000));` +
        `fs.writeFileSync(${JSON.stringify(files.ready)}, ""); setInterval(() => {}, 1000)`,
    );
    const { runner, warnings } = testRunner({ gracePeriod: 100 });
    runner.adopt(flusher, { flavour: subprocess, name: 'flusher', shutdownTimeout: 20_000 });
    const accepting = runner.accept();
    expect(await until(() => existsSync(files.ready), 10_000)).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(existsSync(files.flushed)).toBe(true);
    expect(warnings).toEqual([]);
    expect(runner.tree().ended).toEqual([expect.objectContaining({ name: 'flusher', state: 'cancelled' })]);
  });

  it('kills a command that ignores SIGTERM once its shutdownTimeout is over, even within a longer grace period', async () => {
    const files = tempFiles();
    const { runner } = testRunner({ gracePeriod: 60_000 });
    runner.adopt(stubborn(files.ready), { flavour: subprocess, name: 'stubborn', shutdownTimeout: 200 });
    const accepting = runner.accept();
    expect(await until(() => existsSync(files.ready), 10_000)).toBe(true);
    const [pid] = childPids();
    const started = Date.now();
    await runner.shutdown();
    await accepting;
    // Far below the grace period: only the payload's own timeout can have ended it.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await until(() => !alive(pid!), 2_000)).toBe(true);
  });

  it('settles a stopped command once it exits, though a process it started still holds its output open', async () => {
    // The command starts a grandchild that inherits its stdout and outlives it.
    const { runner, warnings } = testRunner({ gracePeriod: 5_000 });
    const starter = node(
      'const g = require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "inherit" });' +
        'console.log(g.pid); setInterval(() => {}, 1000)',
    );
    let grandchild = 0;
    const accepting = runner.accept();
    const outcome = runner.execute(starter, { flavour: subprocess, name: 'starter' }).catch((e: unknown) => e);
    try {
      await until(() => {
        const [child] = childPids();
        if (child === undefined) return false;
        grandchild = Number(spawnSync('pgrep', ['-P', String(child)], { encoding: 'utf8' }).stdout.trim());
        return grandchild > 0;
      });
      expect(grandchild).toBeGreaterThan(0);
      const started = Date.now();
      await runner.shutdown();
      await accepting;
      expect(isCancellation(await outcome)).toBe(true);
      // It was not waited for until abandoned after the grace period.
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(warnings).toEqual([]);
    } finally {
      if (grandchild > 0) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('cancel() stops one command, which settles as cancelled; the others run on', async () => {
    const runner = subprocess.createRunner(createFlavourHost({ gracePeriod: 300 }));
    await runner.start?.();
    const context = (id: number) => ({ id, name: `sleeper ${id}`, flavour: 'subprocess', kind: 'execute' as const });
    const first = runner.run(sleeper(), [], context(1)).catch((e: unknown) => e);
    const second = runner.run(node('setTimeout(() => console.log("done"), 300)'), [], context(2));
    await until(() => childPids().length === 1);
    // Optional in the FlavourRunner contract; the subprocess runner has it.
    (runner as { cancel(context: RunContext): void }).cancel(context(1));
    expect(isCancellation(await first)).toBe(true);
    await expect(second).resolves.toMatchObject({ code: 0, stdout: 'done\n' });
    await runner.close();
  });

  it('stops every child of a payload id, as when a restarted payload starts again while its old child still exits', async () => {
    const runner = subprocess.createRunner(createFlavourHost({ gracePeriod: 5_000 }));
    await runner.start?.();
    const context = { id: 7, name: 'restarted', flavour: 'subprocess', kind: 'adopt' as const };
    const files = [tempFiles(), tempFiles()];
    // The old run's child still runs (it ignores SIGTERM for now) when the new run starts.
    const old = runner.run(stubborn(files[0]!.ready), [], context).catch((e: unknown) => e);
    const current = runner.run(sleeper(), [], context).catch((e: unknown) => e);
    expect(await until(() => existsSync(files[0]!.ready), 10_000)).toBe(true);
    await until(() => childPids().length === 2);
    const pids = childPids();
    expect(pids).toHaveLength(2);
    // The old child ends first: the runner must still know the new one.
    process.kill(
      pids.find((pid) => spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout.includes('SIGTERM'))!,
      'SIGKILL',
    );
    expect(await old).toMatchObject({ name: 'CommandFailed', signal: 'SIGKILL' });
    const started = Date.now();
    await runner.close();
    expect(isCancellation(await current)).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('takes a child killed by SIGTERM just before the stop as stopped, as when systemd signals every process of the service', async () => {
    const { runner, messages } = testRunner({ gracePeriod: 5_000 });
    runner.adopt(sleeper(), { flavour: subprocess, name: 'sleeper' });
    const accepting = runner.accept();
    await until(() => childPids().length === 1);
    const [pid] = childPids();
    process.kill(pid!, 'SIGTERM');
    expect(await until(() => !alive(pid!), 2_000)).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(messages).toEqual([]);
    expect(runner.tree().ended).toEqual([expect.objectContaining({ name: 'sleeper', state: 'cancelled' })]);
  });

  it('still fails a command killed by SIGTERM when no stop follows', async () => {
    const { runner } = testRunner();
    runner.adopt(sleeper(), { flavour: subprocess, name: 'sleeper' });
    const accepting = runner.accept();
    await until(() => childPids().length === 1);
    process.kill(childPids()[0]!, 'SIGTERM');
    await expect(accepting).rejects.toMatchObject({ name: 'PayloadFailure', cause: { name: 'CommandFailed', signal: 'SIGTERM' } });
  });

  it('refuses to run once closed', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.execute(node(''), { flavour: subprocess });
    await runner.shutdown();
    await accepting;
    await expect(runner.execute(node(''), { flavour: subprocess })).rejects.toThrow(/not accepting|accept\(\)/);
  });

  // A child process: only there can the process exit under a runner that is closing.
  it('kills the children still stopping when the process exits during the shutdown', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit-while-stopping.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await until(() => !alive(pid), 2_000)).toBe(true);
  });

  // A child process: only there can we see that nothing keeps the event loop alive.
  it('leaves no child, timer or listener behind: the process exits by itself', () => {
    const script = fileURLToPath(new URL('./fixtures/shutdown-exits.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('cancelled: true\naccept resolved\nexit listeners left: 0\n');
  });
});

/** The pids of this process's children that run a sleeper. */
function childPids(): number[] {
  const ps = spawnSync('ps', ['-o', 'pid=,ppid=,args=', '-A'], { encoding: 'utf8' }).stdout;
  return ps
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, ...args]) => Number(ppid) === process.pid && args.join(' ').includes('setInterval'))
    .map(([pid]) => Number(pid));
}
