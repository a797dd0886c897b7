import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { threading } from '@cobald/flavour-threading';
import { fixture, quietRunner } from './support.js';

describe('threading module payloads', () => {
  it('run the default export, or a named one, with arguments', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const doubled = await runner.execute({ module: fixture('jobs.mjs') }, { flavour: threading, args: [21] });
      expect(doubled).toEqual({ value: 42, threadId: expect.any(Number), isMainThread: false });
      const greeting = await runner.execute({ module: fixture('jobs.mjs').href, export: 'greet' }, { flavour: threading, args: ['world'] });
      expect(greeting).toBe('hello, world!');
      // An absolute path works as well as a URL.
      const byPath = await runner.execute(
        { module: fileURLToPath(fixture('jobs.mjs')), export: 'greet' },
        { flavour: threading, args: ['path', '?'] },
      );
      expect(byPath).toBe('hello, path?');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('rethrow the errors of the export, and explain a missing or wrong export', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const module = fixture('jobs.mjs');
      await expect(runner.execute({ module, export: 'fail' }, { flavour: threading, args: ['out of range'] })).rejects.toThrow(
        new RangeError('out of range'),
      );
      await expect(runner.execute({ module, export: 'missing' }, { flavour: threading })).rejects.toThrow(
        /has no export 'missing' \(it exports: default, fail, greet, notAFunction\)/,
      );
      await expect(runner.execute({ module, export: 'notAFunction' }, { flavour: threading })).rejects.toThrow(
        /export 'notAFunction' of module '.*jobs\.mjs' is not a function but a number/,
      );
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('are named after their export and module', async () => {
    const url = fixture('jobs.mjs').href;
    expect(threading.nameOf?.({ module: url, export: 'greet' })).toBe(`'greet' of '${url}'`);
    expect(threading.nameOf?.({ module: new URL(url) })).toBe(`'default' of '${url}'`);
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      await expect(runner.execute({ module: url, export: 'missing' }, { flavour: threading })).rejects.toThrow(
        /module '.*jobs\.mjs' has no export/,
      );
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('refuse bad references before anything is sent', () => {
    for (const bad of [
      undefined,
      null,
      42,
      'jobs.mjs',
      {},
      { module: 42 },
      { module: '' },
      { module: 'file:///x.mjs', export: 3 },
      { module: './jobs.mjs' },
    ]) {
      expect(() => threading.validate(bad)).toThrow(TypeError);
    }
    expect(() => threading.validate({ module: './jobs.mjs' })).toThrow(/new URL\('\.\/jobs\.mjs', import\.meta\.url\)/);
    expect(() => threading.validate({ module: 'file:///srv/jobs.mjs', export: 'run' })).not.toThrow();
    expect(() => threading.validate(() => 1)).not.toThrow();
  });
});
