import { describe, expect, it } from '@jest/globals';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { formatJournal, syslogPriority } from '../src/logging.js';
import { Daemon, accepting, fileRecords, fixture, runCobald, tempDir } from './support.js';

describe('log targets', () => {
  it('logs JSON lines to stdout with --log-target stdout', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--log-target', 'stdout']);
    await daemon.record(accepting, 'stdout');
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
    expect(daemon.stderr).toBe('');
    expect(daemon.records('stdout').at(-1)?.msg).toBe('stopped gracefully');
  });

  it('stops on SIGTERM although its log file cannot be written (a full disk)', async () => {
    // Before, the last flush retried the failing write forever and the daemon never exited.
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--log-target', '/dev/full']);
    await daemon.until(() => daemon.stderr.includes('cobald: log file /dev/full: ENOSPC') || undefined, 'a write error');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  it('runs on when the reader of its stderr goes away (as when journald restarts), and stops on SIGTERM', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')]);
    await daemon.record(accepting);
    daemon.child.stderr.destroy();
    // A record now meets a closed pipe; before, that crashed the daemon with exit 1.
    daemon.kill('SIGUSR1');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(daemon.child.exitCode).toBeNull();
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  it('appends to a file and reopens it on SIGHUP, after logrotate moved it', async () => {
    const dir = tempDir();
    const log = join(dir, 'logs', 'cobald.log');
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--log-target', log]);
    await daemon.until(() => fileRecords(log).find(accepting), 'accepting in the log file');
    renameSync(log, `${log}.1`);
    daemon.kill('SIGHUP');
    await daemon.until(() => existsSync(log) && fileRecords(log).length > 0, 'a new log file');
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
    expect(daemon.stderr).toBe('');

    const rotated = fileRecords(`${log}.1`).map((record) => record.msg);
    const current = fileRecords(log).map((record) => record.msg);
    expect(rotated).toContain('accepting');
    expect(rotated.some((msg) => msg.startsWith('SIGHUP'))).toBe(false);
    expect(current).toEqual([`SIGHUP: reopened the log file ${log}`, 'SIGINT: shutting down gracefully', 'stopped gracefully']);

    // A second run appends to the file instead of replacing it.
    await runCobald(['run', fixture('throwing.mjs'), '--log-target', log]);
    expect(
      fileRecords(log)
        .slice(0, 3)
        .map((record) => record.msg),
    ).toEqual(current);
  });

  it('keeps running on SIGHUP when logging to a stream', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')]);
    await daemon.record(accepting);
    daemon.kill('SIGHUP');
    await daemon.record((record) => record.signal === 'SIGHUP');
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
  });

  it('exits with 73 when the log file cannot be opened', async () => {
    const dir = tempDir();
    const result = await runCobald(['run', fixture('heartbeat.mjs'), '--log-target', dir]);
    expect(result.code).toBe(73);
    expect(result.stderr).toContain(`cannot open the log file ${dir}`);
  });

  it('exits with 73, at once, when the folder of the log file cannot be made, also where a recursive mkdir would spin (procfs)', async () => {
    for (const target of ['/proc/cobald-nope/cobald.log', join(tempDir(), 'a-file', 'logs', 'cobald.log')]) {
      if (!target.startsWith('/proc')) writeFileSync(join(target, '..', '..'), '');
      const result = await runCobald(['run', fixture('heartbeat.mjs'), '--log-target', target]);
      expect(result.code).toBe(73);
      expect(result.stderr).toContain(`cannot open the log file ${target}`);
    }
  });

  it('uses pino-pretty for --log-pretty when it is installed, and says so when it is not', async () => {
    const result = await runCobald(['run', fixture('throwing.mjs'), '--log-pretty']);
    expect(result.code).toBe(2);
    let installed = true;
    try {
      createRequire(import.meta.url).resolve('pino-pretty');
    } catch {
      installed = false;
    }
    if (installed) {
      expect(result.records).toEqual([]);
      expect(result.stderr).toContain('bad configuration value');
    } else {
      expect(result.records[0]).toMatchObject({ level: 40, msg: expect.stringContaining('npm install pino-pretty') });
    }
  });
});

describe('the supervision tree on SIGUSR1', () => {
  it('is logged as text and as data', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')]);
    await daemon.record(accepting);
    daemon.kill('SIGUSR1');
    const dump = await daemon.record((record) => record.signal === 'SIGUSR1');
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
    expect(dump.level).toBe(30);
    expect(dump.msg).toMatch(
      /^SIGUSR1: supervision tree\nruntime \(running\)\n└─ asyncio\n {3}└─ #\d+ heartbeat \[adopt\] running for \d+\.\ds$/,
    );
    expect(dump.tree).toMatchObject({ state: 'running', flavours: [{ flavour: 'asyncio', payloads: [{ name: 'heartbeat' }] }] });
    expect(daemon.stderr).not.toMatch(/Debugger listening/);
  });
});

describe('--log-journal', () => {
  it('writes one short line per record with a syslog priority and no timestamp', async () => {
    const result = await runCobald(['run', fixture('failing.mjs'), '--log-journal']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).toMatch(/^<[0-7]>\S/);
    expect(result.stderr).not.toMatch(/"time"|"hostname"|"level"/);
    expect(lines[0]).toMatch(/^<6>cobald 0\.1\.0 starting .* versions=\{"@cobald\/daemon":"0\.1\.0"/);
    expect(lines).toContainEqual(expect.stringMatching(/^<6>accepting tree=\{/));
    const failure = lines.at(-1)!;
    expect(failure).toMatch(
      /^<2>payload 'crasher' \(asyncio, #\d+\) failed, so the runtime stopped: Error: boom in crasher payload=\{"id":\d+,"name":"crasher","flavour":"asyncio"\} err=\{/,
    );
    expect(failure).toContain('"stack":"Error: boom in crasher\\n    at crasher');
  });

  it('maps pino levels to syslog priorities', () => {
    expect([10, 20, 30, 40, 50, 60].map(syslogPriority)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it('formats values so that each record stays on one line', () => {
    expect(
      formatJournal({
        level: 40,
        time: 1,
        pid: 2,
        hostname: 'h',
        name: 'cobald',
        msg: 'two\nlines',
        n: 3,
        ok: true,
        word: 'plain',
        text: 'with space',
        nothing: null,
      }),
    ).toBe('<4>two\\nlines n=3 ok=true word=plain text="with space" nothing=null');
    expect(formatJournal({ level: 30, msg: 'x', err: { stack: 'E\n at f' } })).toBe('<6>x err={"stack":"E\\n at f"}');
  });
});
