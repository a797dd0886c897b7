import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parseCommand, usage, UsageError } from '../src/options.js';
import { runCobald } from './support.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the command line', () => {
  it('prints the version with --version and -v', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runCobald([flag]);
      expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('prints the usage with --help, also after a command', async () => {
    for (const args of [['--help'], ['run', 'x.mjs', '-h']]) {
      const result = await runCobald(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${usage}\n`);
      expect(result.stdout).toContain('--log-journal');
    }
  });

  it.each([
    [['run', 'x.mjs', '--bogus'], "Unknown option '--bogus'"],
    [['run', 'x.mjs', '--log-level', 'loud'], '--log-level must be one of'],
    [['run', 'x.mjs', '--grace-period', '1.5s'], '--grace-period must be a whole number'],
    // Node's timers would fire at once instead of after 35 days.
    [['run', 'x.mjs', '--grace-period', '3000000000'], '--grace-period must be at most 2147483647 ms'],
    [['run'], 'the configuration module is missing'],
    [[], 'a command is required'],
    [['start', 'x.mjs'], "unknown command 'start'"],
    [['run', 'x.mjs', '--log-journal', '--log-pretty'], 'exclude each other'],
  ])('exits with 64 (EX_USAGE) and the usage for %j', async (args, message) => {
    const result = await runCobald(args);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: cobald run <config> [options]');
  });

  it('reads every option, with defaults', () => {
    expect(parseCommand(['run', 'c.mjs'])).toEqual({
      command: 'run',
      config: 'c.mjs',
      logLevel: 'info',
      logTarget: 'stderr',
      logJournal: false,
      logPretty: false,
      gracePeriod: undefined,
      startTimeout: 60_000,
    });
    expect(
      parseCommand([
        '--log-level',
        'debug',
        'run',
        '--log-target=/var/log/c.log',
        'c.mjs',
        '--log-journal',
        '--grace-period',
        '500',
        '--start-timeout',
        '1000',
      ]),
    ).toEqual({
      command: 'run',
      config: 'c.mjs',
      logLevel: 'debug',
      logTarget: '/var/log/c.log',
      logJournal: true,
      logPretty: false,
      gracePeriod: 500,
      startTimeout: 1000,
    });
    expect(parseCommand(['run', 'c.mjs', '--grace-period', 'infinity', '--start-timeout', 'Infinity'])).toMatchObject({
      gracePeriod: Infinity,
      startTimeout: Infinity,
    });
    expect(() => parseCommand(['run', 'a.mjs', 'b.mjs'])).toThrow(UsageError);
  });
});
