import { describe, expect, it } from '@jest/globals';
import { Daemon, accepting, fixture } from './support.js';

describe('restarts in the daemon', () => {
  it('are logged, shown by the SIGUSR1 tree dump, and keep the daemon running', async () => {
    const daemon = new Daemon(['run', fixture('flaky.mjs')]);
    await daemon.record(accepting);
    const second = await daemon.record((record) => record.restarts === 2);
    await daemon.record((record) => record.run === 3);
    daemon.kill('SIGUSR1');
    const dump = await daemon.record((record) => record.signal === 'SIGUSR1');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });

    const restarts = daemon.records().filter((record) => typeof record.restarts === 'number');
    expect(restarts).toHaveLength(2);
    restarts.forEach((record, i) => {
      expect(record).toMatchObject({
        level: 40,
        payload: { name: 'flaky', flavour: 'asyncio', id: expect.any(Number) },
        restarts: i + 1,
        delay: 10,
        err: { type: 'Error', message: `flaky run ${i + 1} failed` },
      });
      expect(record.msg).toMatch(
        new RegExp(`^payload 'flaky' \\(asyncio, #\\d+\\) ended with Error: flaky run ${i + 1} failed; restart ${i + 1} in 10 ms$`),
      );
    });
    expect(second.err.stack).toMatch(/Error: flaky run 2 failed\n\s+at flaky .*flaky\.mjs/);

    expect(dump.msg).toMatch(/\n {3}└─ #\d+ flaky \[adopt\] running for \d+\.\ds, 2 restarts$/);
    expect(dump.tree.flavours[0].payloads[0]).toMatchObject({ name: 'flaky', state: 'running', restarts: 2 });
    expect(daemon.records().map((record) => record.msg)).not.toContainEqual(expect.stringMatching(/failed, so the runtime stopped/));
    expect(
      daemon
        .records()
        .filter((record) => record.run !== undefined)
        .map((record) => record.run),
    ).toEqual([1, 2, 3]);
    expect(daemon.records().at(-1)!.msg).toBe('stopped gracefully');
  });
});

describe('a failure the restart policy absorbs, during a stop', () => {
  it.each([1, 2, 3])(
    'is logged and the stop stays graceful: exit 0 (SIGTERM during run %i)',
    async (run) => {
      const daemon = new Daemon(['run', fixture('flaky-every-300ms.mjs')]);
      await daemon.record((record) => record.run === run);
      // Somewhere within the run's 300 ms: the run fails while the runtime stops it.
      await new Promise((resolve) => setTimeout(resolve, 40 * run));
      daemon.kill('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      const messages = daemon.records().map((record) => record.msg);
      expect(messages).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^payload 'flaky' \\(asyncio, #\\d+\\) failed while it was stopped, and its restart policy would have restarted it: Error: flaky run ${run} failed$`,
          ),
        ),
      );
      expect(messages).not.toContainEqual(expect.stringMatching(/failed, so the runtime stopped/));
      expect(messages.at(-1)).toBe('stopped gracefully');
    },
    20_000,
  );
});
