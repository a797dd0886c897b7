/**
 * Worker deaths that worker-crashes.test.ts does not cover: a crash right after the payload
 * answered (blamed on the right payload, never on the next one the thread would run), a crash
 * of a thread that is being retired (logged, not lost), process.exit() and running out of
 * memory in adopted payloads (fatal for accept()), and that a crashed thread is never reused.
 */
import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, ServiceRunner, silentLogger, type Logger } from '@cobald/kernel';
import { WorkerCrashed, threading } from '@cobald/flavour-threading';
import { quietRunner, unexpected, until } from './support.js';

function recordingRunner(threadingOptions: Record<string, unknown> = {}, gracePeriod = 2000) {
  const logged: { level: string; msg: string }[] = [];
  const record = (level: string) => (_obj: object, msg?: string) => logged.push({ level, msg: msg ?? '' });
  const logger: Logger = { ...silentLogger, error: record('error'), warn: record('warn') };
  const runner = new ServiceRunner({ handleSignals: false, gracePeriod, logger, flavours: { threading: threadingOptions } });
  return { runner, logged };
}

const threadResources = () => process.getActiveResourcesInfo().filter((type) => /Worker|MessagePort/i.test(type));

describe('a worker thread that dies around its payload', () => {
  it('blames a crash from a microtask the payload queued on that payload, not on the next one', async () => {
    // One thread: the innocent payload would be sent to the guilty one's thread at once.
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      const guilty = runner.execute(
        function guilty() {
          queueMicrotask(() => {
            throw new Error('thrown by a microtask');
          });
          return 'looked fine';
        },
        { flavour: threading },
      );
      const innocent = runner.execute(
        function innocent() {
          return 'fine';
        },
        { flavour: threading },
      );
      const crash = (await guilty.then(unexpected, (err: unknown) => err)) as WorkerCrashed;
      expect(crash).toBeInstanceOf(WorkerCrashed);
      expect(crash.message).toBe("worker thread of payload 'guilty' crashed while running it: Error: thrown by a microtask");
      expect(await innocent).toBe('fine');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('logs a crash of a thread that is retired after its payload answered', async () => {
    const { runner, logged } = recordingRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      // The payload answers at once, leaving a timer that throws soon after; its thread is
      // retired (not clean), and whether the timer fires before the thread is gone is a race, as
      // is whether it fires before the answer (then it is the run's own failure). Run until the
      // timer fires after the answer once: that crash must be logged, naming the payload. How
      // long a thread takes to go differs between Node lines and with the machine's load, so
      // the timer's delay goes through 1 to 12 ms, for at most 40 s.
      const end = Date.now() + 40_000;
      for (let i = 0; Date.now() < end && !logged.some(({ msg }) => msg.includes('crashed its worker thread')); i++) {
        const result = await runner
          .execute(
            function leavesATimer(delay: number) {
              setTimeout(() => {
                throw new Error('thrown by a timer left behind');
              }, delay);
              return 'answered';
            },
            { flavour: threading, args: [1 + (i % 12)] },
          )
          .catch((err: unknown) => err);
        if (result !== 'answered') {
          expect(result).toBeInstanceOf(WorkerCrashed);
          expect((result as Error).message).toBe(
            "worker thread of payload 'leavesATimer' crashed while running it: Error: thrown by a timer left behind",
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(logged).toContainEqual({
        level: 'error',
        msg: "threading payload 'leavesATimer' had ended, but an uncaught error it left behind crashed its worker thread: Error: thrown by a timer left behind",
      });
    } finally {
      await runner.shutdown();
      await accepting;
    }
  }, 60_000);

  it('makes process.exit() in an adopted payload fatal, naming the payload and the exit code', async () => {
    const runner = quietRunner({}, { gracePeriod: 300 });
    runner.adopt(
      function sleeper() {
        return new Promise<void>((resolve) => setTimeout(resolve, 60_000));
      },
      { flavour: threading },
    );
    runner.adopt(
      function quitter() {
        process.exit(7);
      },
      { flavour: threading },
    );
    const failure = (await runner.accept().then(unexpected, (err: unknown) => err)) as PayloadFailure;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.payload.name).toBe('quitter');
    expect(failure.cause).toBeInstanceOf(WorkerCrashed);
    expect((failure.cause as WorkerCrashed).exitCode).toBe(7);
    // The sleeper ignores its signal: its thread is terminated after the grace period, and is
    // gone moments after accept() settled.
    await until(() => threadResources().length === 0);
  });

  it('makes running out of memory in an adopted payload fatal', async () => {
    const runner = quietRunner({ resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } }, { gracePeriod: 2000 });
    runner.adopt(
      function hoarder() {
        const hoard: number[][] = [];
        for (;;) hoard.push(new Array(100_000).fill(hoard.length));
      },
      { flavour: threading },
    );
    const failure = (await runner.accept().then(unexpected, (err: unknown) => err)) as PayloadFailure;
    expect(failure.payload.name).toBe('hoarder');
    expect(failure.message).toMatch(/ran out of memory while running it/);
    expect(threadResources()).toEqual([]);
  }, 20_000);

  it('never reuses a thread that crashed: the next payload gets a fresh one', async () => {
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      const threadId = () => runner.execute(() => require('node:worker_threads').threadId as number, { flavour: threading });
      const before = await threadId();
      expect(await threadId()).toBe(before); // a clean thread is reused
      await expect(
        runner.execute(
          function crasher() {
            process.exit(1);
          },
          { flavour: threading },
        ),
      ).rejects.toBeInstanceOf(WorkerCrashed);
      const after = await threadId();
      expect(after).not.toBe(before);
      await expect(
        runner.execute(
          function thrower() {
            setImmediate(() => {
              throw new Error('late');
            });
            return new Promise(() => {});
          },
          { flavour: threading },
        ),
      ).rejects.toThrow(/crashed while running it: Error: late/);
      expect(await threadId()).not.toBe(after);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });
});
