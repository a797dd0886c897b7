/**
 * RedisOutageLog on its own, with a fake clock: a long outage is its first error, a reminder per
 * 30 s (how long, how many attempts), and one info record when the connection is ready.
 */
import { afterEach, beforeEach, expect, it, jest } from '@jest/globals';
import { silentLogger, type Logger } from '@cobald/kernel';
import { RedisOutageLog } from '../src/redis-outage.js';

const records: { level: string; msg: string; obj: object }[] = [];
const record =
  (level: string) =>
  (obj: object, msg = '') =>
    void records.push({ level, msg, obj });
const logger: Logger = { ...silentLogger, warn: record('warn'), info: record('info') };

beforeEach(() => {
  records.length = 0;
  jest.useFakeTimers({ now: 0 });
});
afterEach(() => {
  jest.useRealTimers();
});

it('a 10-minute outage with an attempt a second is 20 warnings, then one info record', () => {
  const log = new RedisOutageLog(logger, 'bullmq caller', { queue: 'q' });
  for (let second = 0; second < 600; second += 1) {
    log.error(new Error('connect ECONNREFUSED /run/redis.sock'));
    jest.advanceTimersByTime(1_000);
  }
  log.ready();
  const warnings = records.filter((r) => r.level === 'warn');
  expect(warnings).toHaveLength(20);
  expect(warnings[0]!.msg).toBe('bullmq caller: Redis: connect ECONNREFUSED /run/redis.sock');
  expect(warnings[0]!.obj).toMatchObject({ queue: 'q', err: expect.any(Error) });
  expect(warnings[1]!.msg).toBe(
    'bullmq caller: Redis still unreachable after 30 s, 31 failed attempts: connect ECONNREFUSED /run/redis.sock',
  );
  expect(records.at(-1)).toEqual({
    level: 'info',
    msg: 'bullmq caller: Redis back after 600 s, 600 failed attempts',
    obj: { queue: 'q', attempts: 600, downFor: 600_000 },
  });
});

it('ready without an outage logs nothing; the next outage is warned of again', () => {
  const log = new RedisOutageLog(logger, 'w', {}, { remindEvery: 5_000 });
  log.ready();
  expect(records).toHaveLength(0);
  log.error(new Error('a'));
  log.error(new Error('b'));
  expect(log.down).toBe(true);
  log.ready();
  expect(log.down).toBe(false);
  log.error(new Error('c'));
  expect(records.map((r) => `${r.level} ${r.msg}`)).toEqual([
    'warn w: Redis: a',
    'info w: Redis back after 0 s, 2 failed attempts',
    'warn w: Redis: c',
  ]);
});
