import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { Daemon, fixture, parseRecords, runCobald, withoutSystemd } from './support.js';

/** `cobald run slow-start.mjs`, its default function doing what `setup` says (see the fixture). */
const slowStart = (setup: string, ...options: string[]) =>
  new Daemon(['run', fixture('slow-start.mjs'), ...options], { env: { ...withoutSystemd(process.env), COBALD_TEST_SETUP: setup } });

const settingUp = (record: { msg: string }) => record.msg === 'setting up';
const messages = (daemon: Daemon) => daemon.records().map((record) => record.msg);

describe('cobald run before it accepts', () => {
  it('reports a default function that can never settle, and exits with 2 (not Node’s bare 13)', async () => {
    const daemon = slowStart('never');
    expect(await daemon.exited).toEqual({ code: 2, signal: null });
    expect(daemon.records().at(-1)).toMatchObject({
      level: 60,
      msg: 'the configuration never finishes loading: it awaits a promise that nothing is left to settle (the event loop is empty)',
    });
    expect(messages(daemon)).not.toContain('accepting');
  });

  it('gives up on a configuration that takes longer than --start-timeout: its signal aborts, it cleans up, exit 2', async () => {
    const daemon = slowStart('abortable', '--start-timeout', '300');
    expect(await daemon.exited).toEqual({ code: 2, signal: null });
    const logged = messages(daemon);
    expect(daemon.records()).toContainEqual(
      expect.objectContaining({
        level: 60,
        timeout: 300,
        msg: 'the configuration did not finish loading within 300 ms (--start-timeout); stopping it',
      }),
    );
    expect(logged.indexOf('setup cleaned up')).toBeGreaterThan(logged.indexOf('setting up'));
    expect(logged).not.toContain('accepting');
    expect(logged).not.toContain('a payload of a configuration that did not finish loading ran');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s while the default function runs: logs it, aborts its signal, waits for it to clean up, exits with 0',
    async (signal) => {
      const daemon = slowStart('abortable');
      await daemon.record(settingUp);
      daemon.kill(signal);
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      const logged = messages(daemon);
      expect(logged).toContain(`${signal} while the configuration loads: stopping before accepting`);
      expect(logged.indexOf('setup cleaned up')).toBeGreaterThan(
        logged.indexOf(`${signal} while the configuration loads: stopping before accepting`),
      );
      expect(logged.at(-1)).toBe('stopped before accepting');
      expect(logged).not.toContain('accepting');
      expect(logged).not.toContain('a payload of a configuration that did not finish loading ran');
    },
  );

  it('acts on a SIGTERM that came before the daemon could log: held from the first line, then a stop before accepting', async () => {
    const result = spawnSync(process.execPath, [fixture('signal-before-logging.mjs')], { encoding: 'utf8', timeout: 20_000 });
    expect(result).toMatchObject({ status: 0, signal: null });
    const logged = parseRecords(result.stderr).map((record) => record.msg);
    expect(logged).toContain('SIGTERM while the configuration loads: stopping before accepting');
    expect(logged.at(-1)).toBe('stopped before accepting');
    expect(logged).not.toContain('accepting');
  });

  it('on SIGTERM during the import: waits for it, calls no default function, exits with 0', async () => {
    const daemon = new Daemon(['run', fixture('slow-import.mjs')]);
    await daemon.until(() => daemon.stderr.includes('importing slow-import.mjs') || undefined, 'the import');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const logged = messages(daemon);
    expect(logged).toContain('SIGTERM while the configuration loads: stopping before accepting');
    expect(logged).not.toContain('the default function of a configuration ran after a stop was asked for');
    expect(logged.at(-1)).toBe('stopped before accepting');
  });

  it('forces the exit with 128+N when the default function ignores its signal past the grace period', async () => {
    const daemon = slowStart('stubborn', '--grace-period', '300');
    await daemon.record(settingUp);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 128 + 15, signal: null });
    expect(daemon.records().at(-1)).toMatchObject({
      level: 50,
      msg: 'the configuration did not stop within the grace period of 300 ms: forcing exit',
    });
  });

  it('forces the exit with 128+N on a second signal while it stops before accepting', async () => {
    const daemon = slowStart('stubborn', '--grace-period', '60000');
    await daemon.record(settingUp);
    daemon.kill('SIGINT');
    await daemon.record((record) => record.signal === 'SIGINT');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 128 + 15, signal: null });
    expect(daemon.records().at(-1)).toMatchObject({ level: 50, msg: 'SIGTERM while stopping before accepting: forcing exit' });
  });

  it('takes an error that escapes the configuration while it loads as its failure: logged with its stack, cleaned up, exit 2', async () => {
    const daemon = slowStart('escape');
    expect(await daemon.exited).toEqual({ code: 2, signal: null });
    const failure = daemon.records().find((record) => record.level === 60);
    expect(failure).toMatchObject({
      origin: 'uncaughtException',
      msg: 'an error escaped the configuration while it loaded (uncaughtException): Error: thrown by a timer of the configuration',
      err: { message: 'thrown by a timer of the configuration' },
    });
    expect(failure?.err.stack).toMatch(/slow-start\.mjs/);
    expect(messages(daemon)).toContain('setup cleaned up');
    // Node's own report of an uncaught exception is not printed: the daemon handled it.
    expect(daemon.stderr).not.toMatch(/^Node\.js v\d/m);
  });

  it.each(['top-level', 'default'])(
    'takes a rejection the configuration forgot to await (%s) as its failure: exit 2 before accepting',
    async (where) => {
      const daemon = new Daemon(['run', fixture('forgotten-await.mjs')], {
        env: { ...withoutSystemd(process.env), COBALD_TEST_FORGET: where },
      });
      expect(await daemon.exited).toEqual({ code: 2, signal: null });
      expect(daemon.records().at(-1)).toMatchObject({
        level: 60,
        origin: 'unhandledRejection',
        msg: `an error escaped the configuration while it loaded (unhandledRejection): Error: the database refused the connection (${where})`,
      });
      expect(messages(daemon)).not.toContain('accepting');
    },
  );

  it.each(['top-level-io', 'default-io'])(
    'takes a rejection the configuration forgot to await that comes from I/O (%s) as its failure too: exit 2, before or after accepting',
    async (where) => {
      const daemon = new Daemon(['run', fixture('forgotten-await.mjs')], {
        env: { ...withoutSystemd(process.env), COBALD_TEST_FORGET: where },
      });
      expect(await daemon.exited).toEqual({ code: 2, signal: null });
      // The failed read reaches the daemon in a later turn of the event loop: while the start is guarded, or once it accepts.
      expect(daemon.records().at(-1)).toMatchObject({
        level: 60,
        msg: expect.stringMatching(
          /^an error escaped the configuration('s code after it loaded \(a promise it did not await\?\)| while it loaded \(unhandledRejection\)): Error: ENOENT: .*no-such-settings\.json/,
        ),
      });
    },
  );

  it('refuses a configuration that calls accept() itself, stopping what it started, instead of hanging until the start timeout', async () => {
    const daemon = new Daemon(['run', fixture('self-accept.mjs')]);
    expect(await daemon.exited).toEqual({ code: 2, signal: null });
    expect(daemon.records()).toContainEqual(
      expect.objectContaining({
        level: 60,
        msg: expect.stringMatching(/^the configuration calls accept\(\) itself: under cobald run the daemon accepts/),
      }),
    );
    expect(daemon.stderr).toContain('selfAccepted stopped');
    expect(messages(daemon)).not.toContain('accepting');
  });

  it.each([
    ['import', /^cannot load configuration .*odd-throws\.mjs: \{ toString: \[Function: toString\], code: 'ODD' \}$/],
    [
      'setup',
      /^the default export of configuration .*odd-throws\.mjs failed: \[Object: null prototype\] \{ reason: 'a null-prototype object' \}$/,
    ],
  ])('reports what a configuration threw at %s, even a value String() cannot convert', async (at, message) => {
    const result = await runCobald(['run', fixture('odd-throws.mjs')], { env: { ...withoutSystemd(process.env), COBALD_TEST_AT: at } });
    expect(result.code).toBe(2);
    expect(result.records.at(-1)).toMatchObject({ level: 60, msg: expect.stringMatching(message) });
  });

  it('refuses a --start-timeout that is no number of milliseconds, or one too long for a timer', async () => {
    for (const value of ['soon', '-1', '3000000000']) {
      const result = await runCobald(['run', fixture('slow-start.mjs'), `--start-timeout=${value}`]);
      expect(result.code).toBe(64);
      expect(result.stderr).toContain('--start-timeout must be');
    }
  });
});
