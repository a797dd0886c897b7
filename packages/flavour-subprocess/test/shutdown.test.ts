import { describe, expect, it } from '@jest/globals';
import { PayloadCancelled, createFlavourHost, isCancellation, type RunContext } from '@cobald/kernel';
import { subprocess } from 'cobald-flavour-subprocess';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { alive, node, testRunner, until } from './support.js';

/** A child that prints its pid, then runs until it is killed; `stubborn` ignores SIGTERM. */
const sleeper = (stubborn = false) =>
  node(`${stubborn ? 'process.on("SIGTERM", () => {});' : ''} console.log(process.pid); setInterval(() => {}, 1000)`);

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
    const executed = runner.execute(sleeper(true), { flavour: subprocess }).catch((e: unknown) => e);
    await until(() => childPids().length === 1);
    const [pid] = childPids();
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it install its SIGTERM handler
    const started = Date.now();
    await runner.shutdown();
    await accepting;
    expect(await until(() => !alive(pid!), 2_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(isCancellation(await executed)).toBe(true);
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

  it('refuses to run once closed', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.execute(node(''), { flavour: subprocess });
    await runner.shutdown();
    await accepting;
    await expect(runner.execute(node(''), { flavour: subprocess })).rejects.toThrow(/not accepting|accept\(\)/);
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
