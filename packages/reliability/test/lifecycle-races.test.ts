/**
 * Races in the runner's lifecycle with all three flavours at once: shutdown() twice, at once,
 * and before accept(); accept() again after a graceful stop and after a failure; services whose
 * constructor throws or that were collected before accept(). Then, in child processes (real
 * signals, real exit): SIGINT while a flavour runner starts slowly or never finishes starting,
 * SIGTERM during shutdown, and a process that exits by itself once accept() settled.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { PayloadFailure, service } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { suspend } from 'effection';
import { kits, recordingRunner, runFixture, runtimeResources, settledResources, sleep, unexpected } from './support.js';

let before: Record<string, number>;
beforeEach(() => {
  before = runtimeResources();
});
afterEach(async () => {
  expect(await settledResources(before)).toEqual({});
});

/** Adopt a payload of every flavour that waits to be stopped; count how often each stopped. */
function adoptWaiters(runner: ReturnType<typeof recordingRunner>['runner'], stopped: Record<string, number>) {
  runner.adopt(
    async function asyncioWaiter() {
      await new Promise((resolve) => setTimeout(resolve, 60_000, undefined).unref());
    },
    { flavour: asyncio },
  );
  runner.adopt(
    function* trioWaiter() {
      try {
        yield* suspend();
      } finally {
        stopped['trio'] = (stopped['trio'] ?? 0) + 1;
      }
    },
    { flavour: trio },
  );
  const waits = kits[2]!.waits();
  runner.adopt(waits.payload, { flavour: threading, args: waits.args, name: 'threadingWaiter' });
}

describe('lifecycle races over every flavour', () => {
  it('shutdown() called twice, and three times at once, stops each payload once and settles every call', async () => {
    const { runner, logged } = recordingRunner({ gracePeriod: 2000 });
    const stopped: Record<string, number> = {};
    adoptWaiters(runner, stopped);
    const accepting = runner.accept();
    await runner.whenRunning();
    const calls = [runner.shutdown(), runner.shutdown(), runner.shutdown()];
    await Promise.all(calls);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(stopped).toEqual({ trio: 1 });
    // The asyncio waiter ignores its signal: abandoned once, logged once.
    expect(logged.filter(({ msg }) => msg.includes('abandoned')).map(({ msg }) => msg)).toEqual([
      expect.stringMatching(/^payload 'asyncioWaiter' \(asyncio, #\d+\) did not stop within 2000 ms and was abandoned$/),
    ]);
  });

  it('shutdown() before accept() does nothing: the queue is kept and runs once accept() starts', async () => {
    const { runner } = recordingRunner();
    const ran: string[] = [];
    runner.adopt(async () => void ran.push('asyncio'), { flavour: asyncio });
    runner.adopt(
      function* () {
        ran.push('trio');
      },
      { flavour: trio },
    );
    await runner.shutdown();
    await runner.shutdown();
    expect(runner.tree().flavours.map((f) => [f.flavour, f.payloads.length])).toEqual([
      ['asyncio', 1],
      ['trio', 1],
    ]);
    const accepting = runner.accept();
    await runner.whenRunning();
    expect(await runner.execute((x: number) => x * 2, { flavour: threading, args: [21] })).toBe(42);
    await runner.shutdown();
    await accepting;
    expect(ran.sort()).toEqual(['asyncio', 'trio']);
  });

  it('accept() again after a graceful stop and after a failure, three rounds, with fresh flavour runners each time', async () => {
    const { runner } = recordingRunner({ gracePeriod: 500 });
    for (let round = 0; round < 3; round++) {
      const stopped: Record<string, number> = {};
      adoptWaiters(runner, stopped);
      const accepting = runner.accept();
      const results = await Promise.all([
        runner.execute(async (x: number) => x + 1, { flavour: asyncio, args: [round] }),
        runner.execute(
          function* (x: number) {
            return x + 2;
          },
          { flavour: trio, args: [round] },
        ),
        runner.execute((x: number) => x + 3, { flavour: threading, args: [round] }),
      ]);
      expect(results).toEqual([round + 1, round + 2, round + 3]);
      if (round === 1) {
        runner.adopt(
          async () => {
            throw new Error(`round ${round} failed`);
          },
          { flavour: asyncio, name: 'failing' },
        );
        const failure = (await accepting.then(unexpected, (err: unknown) => err)) as PayloadFailure;
        expect(failure.payload.name).toBe('failing');
      } else {
        await runner.shutdown();
        await expect(accepting).resolves.toBeUndefined();
      }
      expect(stopped).toEqual({ trio: 1 });
      expect(runner.running).toBe(false);
    }
  });

  it('a service whose constructor throws never runs; the others do', async () => {
    const ran: string[] = [];
    const Good = service({ flavour: trio })(
      class Good {
        *run() {
          ran.push('good');
        }
      },
    );
    const Bad = service({ flavour: asyncio })(
      class Bad {
        constructor() {
          throw new Error('constructor failed');
        }
        async run() {
          ran.push('bad');
        }
      },
    );
    expect(() => new Bad()).toThrow('constructor failed');
    new Good();
    await Promise.resolve(); // services enrol once their constructor has finished
    const { runner } = recordingRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    await sleep(20);
    expect(() => new Bad()).toThrow('constructor failed');
    await sleep(20);
    await runner.shutdown();
    await accepting;
    expect(ran).toEqual(['good']);
  });

  it('services collected before accept() never run, in asyncio and trio', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeDefined(); // the test script runs node with --expose-gc
    const ran: string[] = [];
    const A = service({ flavour: asyncio })(
      class A {
        async run() {
          ran.push('asyncio');
        }
      },
    );
    const T = service({ flavour: trio })(
      class T {
        *run() {
          ran.push('trio');
        }
      },
    );
    (() => {
      new A();
      new T();
    })();
    await Promise.resolve();
    await sleep(0);
    gc!();
    const { runner } = recordingRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    await sleep(20);
    await runner.shutdown();
    await accepting;
    expect(ran).toEqual([]);
  });
});

describe('signals and exit, in a child process', () => {
  it('SIGINT while a flavour runner starts slowly: every payload starts and stops, accept() resolves, the process exits by itself', async () => {
    const result = await runFixture('lifecycle.mjs', ['sigint-during-slow-start']);
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const lines = result.stdout.split('\n');
    // The queued payloads start once the slow runner is ready, and are stopped at once.
    expect(lines.slice(0, 2)).toEqual(['slow runner starting', 'info: SIGINT: shutting down gracefully']);
    expect(lines.slice(2, 4).sort()).toEqual(['slow-start payload ran', 'trio finally ran']);
    expect(lines.slice(4)).toEqual(['accept resolved', 'exited 0 within a second of settling: true', '']);
  }, 30_000);

  it('SIGINT while a flavour runner never finishes starting: its payload is abandoned and logged, the rest stop', async () => {
    const result = await runFixture('lifecycle.mjs', ['sigint-during-hung-start']);
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).not.toContain('hung-start payload ran');
    expect(result.stdout).toContain("warn: payload 'onHungRunner' (slow-start, #4) did not stop within 300 ms and was abandoned\n");
    expect(result.stdout).toMatch(/accept resolved\nexited 0 within a second of settling: true\n$/);
  }, 30_000);

  it('a second SIGTERM during shutdown forces exit with 143 (128 + 15)', async () => {
    const result = await runFixture('lifecycle.mjs', ['sigterm-during-shutdown']);
    expect(result.code).toBe(143);
    expect(result.stdout).toContain('hanging in finally\nerror: SIGTERM during shutdown: forcing exit\nprocess.exit(143) called\n');
    expect(result.stdout).not.toContain('accept');
  }, 30_000);

  it('after a graceful stop (accepting twice) and after a failure, nothing keeps the process: it exits by itself', async () => {
    const graceful = await runFixture('lifecycle.mjs', ['exits-after-graceful-stop']);
    expect(graceful).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(graceful.stdout).toBe(
      'round 1: 2,3,4\ntrio finally ran\nround 2: 2,3,4\ntrio finally ran\naccept resolved\nexited 0 within a second of settling: true\n',
    );
    const failed = await runFixture('lifecycle.mjs', ['exits-after-failure']);
    expect(failed).toMatchObject({ code: 1, signal: null, stderr: '' });
    expect(failed.stdout).toMatch(
      /accept rejected: payload 'failing' \(threading, #\d+\) failed, so the runtime stopped: Error: thread failed 1\nexited 1 within a second of settling: true\n$/,
    );
    expect(failed.stdout).not.toContain('process.exit');
  }, 30_000);
});
