import { describe, expect, it } from '@jest/globals';
import { installTimeout, nodeOfLine, runScript } from '@cobald/test-support';
import { PayloadFailure } from '@cobald/kernel';
import { WorkerCrashed, threading } from '@cobald/flavour-threading';
import { context, directRunner, fixture, quietRunner, unexpected } from './support.js';

describe('a worker thread that dies under its payload', () => {
  it('fails an execute when the payload calls process.exit()', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const error = await runner
        .execute(
          function quitter() {
            process.exit(3);
          },
          { flavour: threading },
        )
        .then(unexpected, (err: unknown) => err as WorkerCrashed);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect(error.message).toBe("worker thread of payload 'quitter' exited with code 3 while running it");
      expect(error.exitCode).toBe(3);
      // The runner goes on with fresh threads.
      expect(await runner.execute(() => 'alive', { flavour: threading })).toBe('alive');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('fails an adopted payload whose timer throws after the function returned', async () => {
    const runner = quietRunner({}, { gracePeriod: 30_000 });
    runner.adopt(
      function lateThrow() {
        setTimeout(() => {
          throw new Error('thrown by a timer');
        }, 10);
        return new Promise<void>((resolve) => setTimeout(resolve, 60_000));
      },
      { flavour: threading },
    );
    const failure = (await runner.accept().catch((err: unknown) => err)) as PayloadFailure;
    expect(failure).toBeInstanceOf(PayloadFailure);
    const crash = failure.cause as WorkerCrashed;
    expect(crash).toBeInstanceOf(WorkerCrashed);
    expect(crash.message).toBe("worker thread of payload 'lateThrow' crashed while running it: Error: thrown by a timer");
    expect((crash.cause as Error).message).toBe('thrown by a timer');
  });

  it('fails a payload that runs out of memory under resourceLimits', async () => {
    const runner = directRunner({ resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    try {
      const error = await runner
        .run(
          () => {
            const hoard: number[][] = [];
            for (;;) hoard.push(new Array(100_000).fill(hoard.length));
          },
          [],
          context('execute', 'hoarder'),
        )
        .then(unexpected, (err: unknown) => err as WorkerCrashed);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect(error.message).toMatch(
        /^worker thread of payload 'hoarder' ran out of memory while running it \(raise the threading option resourceLimits\): .*memory/,
      );
      expect((error.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
      expect(runner.stats().workers).toBe(0);
    } finally {
      await runner.close();
    }
  }, 20_000);

  it('fails the waiting payload when a thread cannot even start', async () => {
    // A heap too small for the worker's own entry module: it dies while starting. Not smaller
    // than 4 MB: from Node 22 on, V8 aborts the whole process when a worker's heap cannot even
    // hold its start-up snapshot (1 or 2 MB), instead of failing the worker.
    const runner = directRunner({ resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 } });
    try {
      const error = await runner.run(() => 1, [], context('execute', 'unlucky')).then(unexpected, (err: unknown) => err as WorkerCrashed);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect(error.starting).toBe(true);
      expect(error.message).toMatch(/^the worker thread started for payload 'unlucky' ran out of memory before it could run it/);
    } finally {
      await runner.close();
    }
  }, 20_000);

  it('fails the waiting payload when a thread does not start within startTimeout, instead of waiting forever', async () => {
    // No thread starts within a millisecond: the limit is what ends the wait.
    const runner = directRunner({ startTimeout: 1 });
    try {
      const error = await runner.run(() => 1, [], context('execute', 'patient')).then(unexpected, (err: unknown) => err as WorkerCrashed);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect(error.starting).toBe(true);
      expect(error.message).toMatch(/^the worker thread started for payload 'patient' .*before it could run it/);
      expect((error.cause as Error).message).toBe('the worker thread did not start within 1 ms (threading option startTimeout)');
      expect(runner.stats().workers).toBe(0);
    } finally {
      await runner.close();
    }
  });

  it('refuses a heap limit below 4 MB, with which V8 on Node 22 and later aborts the whole process', async () => {
    // Measured: maxOldGenerationSizeMb <= 2.4 ends Node 22, 24 and 26 with a fatal V8 error
    // (SIGTRAP) as soon as a thread starts; nothing could catch it. 4 fails that thread only.
    for (const maxOldGenerationSizeMb of [0, 1, 2, 2.5, 3.99, Number.NaN, -8]) {
      expect(() => directRunner({ resourceLimits: { maxOldGenerationSizeMb } })).toThrow(
        new RegExp(
          `^threading option 'resourceLimits.maxOldGenerationSizeMb' must be a number >= 4, got ${String(maxOldGenerationSizeMb)}: below about 2.5 MB, V8`,
        ),
      );
    }
    expect(() => directRunner({ resourceLimits: { maxOldGenerationSizeMb: '64' as unknown as number } })).toThrow(TypeError);
    // The young generation has no such floor (measured down to 0.1 MB on 22, 24 and 26).
    await directRunner({ resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 0.5 } }).close();
    // Through a ServiceRunner, the payload that would have made the runner fails with it.
    const runner = quietRunner({ resourceLimits: { maxOldGenerationSizeMb: 2 } });
    const accepting = runner.accept();
    try {
      await expect(runner.execute(() => 1, { flavour: threading })).rejects.toThrow(
        /'resourceLimits.maxOldGenerationSizeMb' must be a number >= 4, got 2/,
      );
    } finally {
      await runner.shutdown();
      await accepting.catch(() => {});
    }
  });

  it('refuses a stack below 0.5 MB, with which a starting thread ends the whole process', () => {
    for (const stackSizeMb of [0, 0.1, 0.2, 0.49, Number.NaN]) {
      expect(() => directRunner({ resourceLimits: { stackSizeMb } })).toThrow(
        new RegExp(`^threading option 'resourceLimits.stackSizeMb' must be a number >= 0.5, got ${String(stackSizeMb)}: `),
      );
    }
  });

  it.each([22, 24])(
    'keeps the process alive on Node.js %i with the smallest limits it accepts, and refuses those that would end it',
    async (line) => {
      const result = await runScript(fixture('small-limits.mjs'), [], { node: await nodeOfLine(line), timeout: 30_000 });
      expect(result).toMatchObject({ code: 0, signal: null });
      expect(result.stdout).toBe(
        '{"maxOldGenerationSizeMb":4} WorkerCrashed\n' +
          '{"stackSizeMb":0.5} ran: 2\n' +
          '{"maxOldGenerationSizeMb":2} TypeError\n' +
          '{"stackSizeMb":0.2} TypeError\n',
      );
    },
    installTimeout + 40_000,
  );

  it('refuses a startTimeout that is not a positive number', () => {
    expect(() => directRunner({ startTimeout: 0 })).toThrow(/'startTimeout' must be a number of milliseconds > 0/);
  });
});
