/**
 * Cancellations the runtime makes itself (issue 18): executes a payload started and did not
 * await, stopped because the runtime stops, their caller's run ended, or their caller was
 * stopped. Each scenario runs in a child process, as a user's daemon does: none may fail a
 * payload or crash the process, also after accept() settled, and each says why it was cancelled.
 */
import { describe, expect, it } from '@jest/globals';
import { runFixture } from './support.js';

const run = async (scenario: string) => {
  const result = await runFixture('runtime-cancellations.mjs', [scenario]);
  expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
  expect(result.stdout).toMatch(/accept resolved\nexited within a second of settling: true, took less than 10 s\n$/);
  return result.stdout;
};

describe('a cancellation the runtime made', () => {
  it('of executes a poller fired and forgot (asyncio, trio, threading) is no crash after shutdown()', async () => {
    expect(await run('fire-and-forget')).not.toMatch(/error:/);
  }, 30_000);

  it('of executes left running by a payload that returned is not that payload’s failure', async () => {
    expect(await run('left-running')).not.toMatch(/error:/);
  }, 30_000);

  it("of an execute left running by each run of a restart: 'always' payload is logged nowhere", async () => {
    const stdout = await run('left-running-always');
    expect(stdout).not.toMatch(/error:|escaped/);
    expect(stdout).toMatch(/^warn: payload 'warmer' \(asyncio, #\d+\) ended; restart 3 in 20 ms$/m);
  }, 30_000);

  it('says why: the caller’s run ended, the caller was stopped, the runtime stops', async () => {
    const stdout = await run('reasons');
    expect(stdout).toMatch(
      /^caller ended: PayloadCancelled: payload 'leftBehind' \(asyncio, #\d+\) was cancelled because the run of payload 'ends' \(asyncio, #\d+\), which executed it, ended \| running: true$/m,
    );
    expect(stdout).toMatch(
      /^caller stopped: PayloadCancelled: payload 'ofStopped' \(asyncio, #\d+\) was cancelled because payload 'stopped' \(asyncio, #\d+\), which executed it, was stopped \| running: true$/m,
    );
    expect(stdout).toMatch(
      /^runtime stops: PayloadCancelled: payload 'atShutdown' \(asyncio, #\d+\) was cancelled because the runtime is shutting down \| running: false$/m,
    );
  }, 30_000);
});
