/**
 * Errors that escape a payload's own promise reach its supervisor: each scenario runs in a
 * child process (the process's handlers are per process), with a trio payload beside it whose
 * finally block shows that everything else stopped gracefully, and the process must exit by
 * itself.
 */
import { describe, expect, it } from '@jest/globals';
import { runFixture } from './support.js';

const run = async (scenario: string) => {
  const result = await runFixture('escaped-errors.mjs', [scenario]);
  expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
  expect(result.stdout).toMatch(/exited within a second of settling: true, took less than 10 s\n$/);
  return result.stdout;
};

const blamed = (name: string, flavour: string) => `accept rejected: PayloadFailure: payload '${name}' (${flavour}, #`;

describe('an error that escapes a payload is that payload failure', () => {
  it.each([
    ['asyncio-timer', 'ticking', 'asyncio', 'thrown by a timer'],
    ['asyncio-unobserved', 'careless', 'asyncio', 'nobody observes this'],
    ['asyncio-emitter', 'emitting', 'asyncio', 'emitted with no listener'],
    ['trio-timer', 'trioTicking', 'trio', 'thrown by a timer of a trio payload'],
    ['trio-among-many', 'trioLate', 'trio', 'thrown after many steps'],
    ['after-it-ended', 'leavesATimer', 'asyncio', 'thrown after the payload returned'],
    ['trio-adopt-from-trio', 'trioAdopted', 'trio', 'thrown by a timer of a payload adopted by a trio payload'],
  ])(
    '%s: logged at once, then a graceful stop, and accept() rejects naming the payload',
    async (scenario, name, flavour, message) => {
      const stdout = await run(scenario);
      const lines = stdout.split('\n');
      // Logged the moment it happened, before the stop.
      expect(lines[0]).toMatch(
        new RegExp(`^error: payload '${name}' \\(${flavour}, #\\d+\\) failed, so the runtime stopped: Error: ${message}$`),
      );
      expect(stdout).toContain('bystander finally ran\n');
      expect(stdout).toContain(blamed(name, flavour));
      expect(stdout).toContain(`| cause: ${message}\n`);
    },
    30_000,
  );

  it('trio: the failing operation is halted, its own finally runs', async () => {
    expect(await run('trio-timer')).toContain('trioTicking finally ran\n');
  }, 30_000);

  it('a payload that ignores its signal is abandoned after the grace period, and the failure is still reported', async () => {
    const stdout = await run('asyncio-ignores-signal');
    expect(stdout).toContain("warn: payload 'deaf' (asyncio, #2) did not stop within 2000 ms and was abandoned\n");
    expect(stdout).toContain("accept rejected: PayloadFailure: payload 'deaf' (asyncio, #2) failed");
  }, 30_000);

  it.each([
    ['asyncio-restart', 'flaky', 'asyncio'],
    ['trio-restart', 'trioFlaky', 'trio'],
  ])(
    '%s: with restart: on-failure the payload is restarted and the runner keeps running',
    async (scenario, name, flavour) => {
      const stdout = await run(scenario);
      expect(stdout).toMatch(
        new RegExp(
          `^${name} run 1\nwarn: payload '${name}' \\(${flavour}, #2\\) ended with Error: first run fails; restart 1 in 10 ms\n${name} run 2\n`,
        ),
      );
      expect(stdout).toContain('accept resolved\n');
    },
    30_000,
  );

  it('in a child of a supervisor: the supervisor restarts it by its strategy (one-for-all: with its sibling)', async () => {
    const stdout = await run('supervisor-child');
    expect(stdout).toMatch(
      /^leaky run 1\nwarn: child 'leaky' \(asyncio, #\d+\) of supervisor 'pair' ended with Error: escaped from a child; restart 1 in 10 ms with 1 sibling \(one-for-all\)\nsibling finally ran\nleaky run 2\n/,
    );
    expect(stdout).toContain('accept resolved\n');
  }, 30_000);

  it('from an earlier run of a restarted payload: logged naming the payload, and the current run is not blamed', async () => {
    const stdout = await run('earlier-run');
    expect(stdout).toMatch(
      /^restarted run 1\nwarn: payload 'restarted' \(asyncio, #2\) ended with Error: the first run fails; restart 1 in 10 ms\nrestarted run 2\n/,
    );
    expect(stdout).toContain(
      "error: an error escaped an earlier run of payload 'restarted' (asyncio, #2), after that run had ended: Error: thrown by a timer of the first run\n",
    );
    expect(stdout).toContain('restarted run 2 stopped by the shutdown\n');
    expect(stdout).not.toContain('restart 2');
    expect(stdout).toContain('accept resolved\n');
  }, 30_000);

  it('in execute(): the caller gets the escaped error, the runner keeps running', async () => {
    const stdout = await run('execute');
    expect(stdout).toMatch(/^execute rejected: thrown by a timer of an execute\nbystander finally ran\naccept resolved\n/);
  }, 30_000);

  it('in a trio execute() started by a trio payload: the execute is blamed, not its caller', async () => {
    const stdout = await run('trio-execute-from-trio');
    expect(stdout).toMatch(/^execute rejected: thrown by a timer of a trio execute\nbystander finally ran\naccept resolved\n/);
    expect(stdout).not.toContain("payload 'trioCaller'");
  }, 30_000);

  it('values that cannot be turned into strings are reported, not a crash', async () => {
    const stdout = await run('odd-values');
    expect(stdout).toContain("ended with [Object: null prototype] { detail: 'no prototype' }; restart 1");
    expect(stdout).toContain('ended with { toString: [Function: toString] }; restart 2');
    expect(stdout).toContain('accept resolved\n');
  }, 30_000);

  it("an error from the application's own code stops the runner gracefully as an UncaughtFailure", async () => {
    const stdout = await run('unowned');
    expect(stdout).toContain(
      "accept rejected: UncaughtFailure: an error escaped outside any payload (uncaughtException), so the runtime stopped: Error: thrown by the application's own code",
    );
    expect(stdout).toContain('bystander finally ran\n');
  }, 30_000);

  it('a microtask that throws is blamed on its payload where Node keeps its async context (24+), else stops the runner as uncaught', async () => {
    const stdout = await run('asyncio-microtask');
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 24) expect(stdout).toContain("accept rejected: PayloadFailure: payload 'microtask' (asyncio, #2) failed");
    else expect(stdout).toContain('accept rejected: UncaughtFailure: an error escaped outside any payload (uncaughtException)');
  }, 30_000);
});

describe('an error that escapes a payload abandoned by an earlier accept()', () => {
  it.each(['asyncio', 'trio'])(
    '%s: is logged as that payload’s, and fails nothing that runs now',
    async (flavour) => {
      const result = await runFixture('abandoned-late-error.mjs', [flavour]);
      expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(result.stdout.split('\n')).toEqual([
        `warn: payload 'stubborn' (${flavour}, #1) did not stop within 300 ms and was abandoned`,
        'first accept resolved',
        `error: an error escaped payload 'stubborn' (${flavour}, #1), which had been abandoned: Error: late throw of an abandoned payload`,
        'second accept resolved',
        '',
      ]);
    },
    30_000,
  );
});
