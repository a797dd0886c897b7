import { describe, expect, it } from '@jest/globals';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon, accepting, fixture, runCobald, tempDir, withoutSystemd } from './support.js';

describe('running a configuration', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('stops gracefully on %s and exits with 0', async (signal) => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')]);
    const ready = await daemon.record(accepting);
    expect(ready.tree.flavours[0].payloads[0]).toMatchObject({ name: 'heartbeat', flavour: 'asyncio', state: 'running' });
    daemon.kill(signal);
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const messages = daemon.records().map((record) => record.msg);
    expect(messages).toContain(`${signal}: shutting down gracefully`);
    expect(messages.at(-1)).toBe('stopped gracefully');
  });

  it('logs the versions, the platform, the configuration and the options at start', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--grace-period', '250']);
    await daemon.record(accepting);
    daemon.kill('SIGTERM');
    await daemon.exited;
    const [start, loaded] = daemon.records();
    expect(start).toMatchObject({
      level: 30,
      name: 'cobald',
      versions: { '@cobald/daemon': '0.1.0', '@cobald/kernel': '0.1.0', node: process.version },
      platform: `${process.platform}-${process.arch}`,
      config: fixture('heartbeat.mjs'),
      options: { logLevel: 'info', logTarget: 'stderr', gracePeriod: 250 },
    });
    expect(loaded).toMatchObject({ config: fixture('heartbeat.mjs'), flavours: { asyncio: '0.1.0' } });
  });

  it('forces exit with 128+signal on a second signal while payloads stop', async () => {
    const daemon = new Daemon(['run', fixture('stubborn.mjs'), '--grace-period', '20000']);
    await daemon.record(accepting);
    daemon.kill('SIGINT');
    await daemon.record((record) => record.msg === 'SIGINT: shutting down gracefully');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 128 + 15, signal: null });
    expect(daemon.records().at(-1)).toMatchObject({ level: 50, msg: 'SIGTERM during shutdown: forcing exit' });
  });

  it('takes a first signal during a stop that a failure began as no second signal: the stop finishes, exit 1', async () => {
    const release = join(tempDir(), 'release');
    const daemon = new Daemon(['run', fixture('fails-while-other-stops.mjs'), '--grace-period', '60000'], {
      env: { ...withoutSystemd(process.env), COBALD_TEST_RELEASE: release },
    });
    // The failure is logged the moment it happens, not once the stop is over.
    const failure = await daemon.record((record) => record.payload?.name === 'crasher');
    expect(failure).toMatchObject({ level: 50, err: { message: expect.stringContaining('boom in crasher') } });
    await daemon.record((record) => record.msg === 'lingerer cleaning up');
    daemon.kill('SIGTERM');
    await daemon.record((record) => record.signal === 'SIGTERM');
    writeFileSync(release, '');
    expect(await daemon.exited).toEqual({ code: 1, signal: null });
    const messages = daemon.records().map((record) => record.msg);
    expect(messages).toContain('lingerer cleaned up');
    expect(messages).toContain('SIGTERM: already shutting down gracefully; another signal forces the exit');
    expect(messages).not.toContain('SIGTERM during shutdown: forcing exit');
    expect(daemon.records().at(-1)).toMatchObject({
      level: 60,
      payload: { name: 'crasher', flavour: 'asyncio' },
      err: { message: 'boom in crasher' },
    });
  });

  it('still forces the exit on a second signal during a stop that a failure began', async () => {
    const release = join(tempDir(), 'release');
    const daemon = new Daemon(['run', fixture('fails-while-other-stops.mjs'), '--grace-period', '60000'], {
      env: { ...withoutSystemd(process.env), COBALD_TEST_RELEASE: release },
    });
    await daemon.record((record) => record.msg === 'lingerer cleaning up');
    daemon.kill('SIGTERM');
    await daemon.record((record) => record.signal === 'SIGTERM');
    daemon.kill('SIGINT');
    expect(await daemon.exited).toEqual({ code: 128 + 2, signal: null });
    const records = daemon.records();
    expect(records.at(-1)).toMatchObject({ level: 50, msg: 'SIGINT during shutdown: forcing exit' });
    // The failure that began it all is in the log although the stop never finished.
    expect(records).toContainEqual(expect.objectContaining({ payload: expect.objectContaining({ name: 'crasher' }) }));
  });

  it('exits with 1 after a payload failed, logging the payload and the error with its stack', async () => {
    const result = await runCobald(['run', fixture('failing.mjs')]);
    expect(result.code).toBe(1);
    const failure = result.records.find((record) => record.level === 60);
    expect(failure).toMatchObject({
      payload: { name: 'crasher', flavour: 'asyncio', id: expect.any(Number) },
      err: { type: 'Error', message: 'boom in crasher' },
    });
    expect(failure?.msg).toMatch(/^payload 'crasher' \(asyncio, #\d+\) failed/);
    expect(failure?.err.stack).toMatch(/Error: boom in crasher\n\s+at crasher .*failing\.mjs/);
  });

  it('exits with 2 when the configuration module throws', async () => {
    const result = await runCobald(['run', fixture('throwing.mjs')]);
    expect(result.code).toBe(2);
    const fatal = result.records.at(-1);
    expect(fatal).toMatchObject({ level: 60, err: { message: 'bad configuration value' } });
    expect(fatal?.msg).toBe(`cannot load configuration ${fixture('throwing.mjs')}: Error: bad configuration value`);
    expect(result.records.map((record) => record.msg)).not.toContain('accepting');
  });

  it('exits with 2 when the configuration file does not exist', async () => {
    const result = await runCobald(['run', 'no-such-config.mjs'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.records.at(-1)?.msg).toMatch(/^configuration file not found: .*no-such-config\.mjs$/);
  });

  it('exits with 2 when the default function of the configuration rejects', async () => {
    const result = await runCobald(['run', fixture('setup-rejects.mjs')]);
    expect(result.code).toBe(2);
    expect(result.records.at(-1)).toMatchObject({ level: 60, err: { message: 'cannot reach the database' } });
    expect(result.records.at(-1)?.msg).toContain('default export of configuration');
  });

  it('calls a default export with the runtime and a logger before accepting', async () => {
    const daemon = new Daemon(['run', fixture('default-export.mjs')]);
    const ready = await daemon.record(accepting);
    const messages = daemon.records().map((record) => record.msg);
    expect(messages.indexOf('configuring from the default export')).toBeLessThan(messages.indexOf('accepting'));
    expect(daemon.records()).toContainEqual(
      expect.objectContaining({ config: 'default-export.mjs', answer: 42, msg: 'configuring from the default export' }),
    );
    expect(ready.tree.flavours[0].payloads[0]).toMatchObject({ name: 'from-default-export', state: 'running' });
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
  });

  it('loads a CommonJS configuration whose module.exports is the function', async () => {
    const daemon = new Daemon(['run', fixture('commonjs.cjs'), '--grace-period', '50']);
    const ready = await daemon.record(accepting);
    expect(ready.tree.flavours[0].payloads[0]).toMatchObject({ name: 'fromCommonJS', flavour: 'asyncio' });
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
  });

  it('loads a TypeScript configuration through tsx when the app has it', async () => {
    // Inside the repository, where tsx is installed (a dev dependency of this package).
    const daemon = new Daemon(['run', fixture('typed-config.ts'), '--grace-period', '50']);
    const ready = await daemon.record(accepting);
    expect(ready.tree.flavours[0].payloads[0]).toMatchObject({ name: 'typedWaiter', flavour: 'asyncio', state: 'running' });
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
  });

  it('without tsx, refuses a TypeScript configuration saying what to install, or loads it where Node.js strips types', async () => {
    // Outside the repository, so that no tsx can be found beside it.
    const dir = tempDir();
    copyFileSync(fixture('typescript.ts'), join(dir, 'config.ts'));
    // Node.js 22.18 and later strip types themselves: there a TypeScript configuration needs no tsx.
    if ((process.features as { typescript?: unknown }).typescript) {
      const daemon = new Daemon(['run', 'config.ts'], { cwd: dir });
      await daemon.record(accepting);
      daemon.kill('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      return;
    }
    const result = await runCobald(['run', 'config.ts'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.records.at(-1)?.msg).toBe('cannot load config.ts: install tsx (npm install -D tsx) or compile it to JavaScript');
  });
});
