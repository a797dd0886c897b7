import { describe, expect, it } from '@jest/globals';
import { Daemon, accepting, fixture, withoutSystemd, type LogRecord } from './support.js';

/** `cobald run escaping.mjs`: the payload 'escaper' lets an error escape the way `how` says, once. */
const escaping = (how: string, restart: 'never' | 'on-failure') =>
  new Daemon(['run', fixture('escaping.mjs')], {
    env: { ...withoutSystemd(process.env), COBALD_TEST_ESCAPE: how, COBALD_TEST_RESTART: restart },
  });

const cases = [
  ['timer', 'asyncio', 'thrown by a timer'],
  ['rejection', 'asyncio', 'rejected with nobody to see it'],
  ['emitter', 'asyncio', 'emitted with no listener'],
  ['trio-timer', 'trio', 'thrown by a timer of a trio operation'],
] as const;

const names = (record: LogRecord, name: string) => record.payload?.name === name;
/** The daemon's own report of an error that is about to end the process. */
const crashReport = (record: LogRecord) => /^(uncaughtException|unhandledRejection): /.test(record.msg);

describe('errors that escape a payload, under cobald run', () => {
  it.each(cases)(
    "%s (%s) with restart 'never': logged at once naming the payload, with the stack; graceful stop, exit 1",
    async (how, flavour, message) => {
      const daemon = escaping(how, 'never');
      expect(await daemon.exited).toEqual({ code: 1, signal: null });
      const records = daemon.records();
      const first = records.find((record) => names(record, 'escaper'));
      expect(first).toMatchObject({ level: 50, payload: { name: 'escaper', flavour } });
      expect(first?.msg).toContain(message);
      expect(first?.err.stack).toContain(message);
      expect(first?.err.stack).toMatch(/escaping\.mjs/);
      // The other payload was stopped gracefully, after the failure was logged.
      const logged = records.map((record) => record.msg);
      expect(logged.indexOf('bystander stopped')).toBeGreaterThan(records.indexOf(first!));
      expect(records.at(-1)).toMatchObject({ level: 60, payload: { name: 'escaper', flavour }, err: { message } });
      expect(records.filter(crashReport)).toEqual([]);
      expect(daemon.stderr).not.toMatch(/^Node\.js v\d/m);
    },
  );

  it.each(cases)("%s (%s) with restart 'on-failure': the payload restarts and the daemon keeps running", async (how, flavour, message) => {
    const daemon = escaping(how, 'on-failure');
    await daemon.record(accepting);
    const restart = await daemon.record((record) => names(record, 'escaper') && record.restarts === 1);
    expect(restart).toMatchObject({ level: 40, payload: { flavour }, err: { message } });
    expect(restart.err.stack).toMatch(/escaping\.mjs/);
    await daemon.record((record) => record.run === 2);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const records = daemon.records();
    expect(records.filter((record) => record.level >= 50)).toEqual([]);
    expect(records.at(-1)?.msg).toBe('stopped gracefully');
  });
});

describe('a payload that fails with an error that throws when it is looked at', () => {
  it.each(['getter', 'proxy'])('(%s): the daemon logs the failure naming the payload and exits 1', async (how) => {
    const daemon = new Daemon(['run', fixture('unshowable-error.mjs'), '--grace-period', '500'], {
      env: { ...withoutSystemd(process.env), COBALD_TEST_UNSHOWABLE: how },
    });
    expect(await daemon.exited).toEqual({ code: 1, signal: null });
    const records = daemon.records();
    expect(records.find((record) => record.level === 50)).toMatchObject({ payload: { name: 'fetchUser' } });
    expect(records.at(-1)).toMatchObject({ level: 60, payload: { name: 'fetchUser' } });
    expect(records.at(-1)?.msg).toMatch(/^payload 'fetchUser' \(asyncio, #\d+\) failed, so the runtime stopped: /);
    expect(daemon.stderr).not.toMatch(/^Node\.js v\d/m);
  });
});
