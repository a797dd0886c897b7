import { describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { quietRunner } from './support.js';

describe('threading execute', () => {
  it('returns the value of a function run in a worker thread', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const sum = await runner.execute((a: number, b: number) => a + b, { flavour: threading, args: [1, 2] });
      expect(sum).toBe(3);
      const where = await runner.execute(
        async () => {
          const { isMainThread, threadId } = await import('node:worker_threads');
          return { isMainThread, threadId };
        },
        { flavour: threading },
      );
      expect(where.isMainThread).toBe(false);
      expect(where.threadId).toBeGreaterThan(0);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('gives payloads require, import() and globals', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const result = await runner.execute(
        async (parts: string[]) => {
          const path = require('node:path') as typeof import('node:path');
          const { format } = await import('node:util');
          return format('%s|%s|%s', path.posix.join(...parts), typeof structuredClone, Math.max(1, 2));
        },
        { flavour: threading, args: [['a', 'b']] },
      );
      expect(result).toBe('a/b|function|2');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('rethrows errors with their class, message, stack, cause and properties', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const error = await runner
        .execute(
          function failing(code: string) {
            const err = new TypeError('bad input', { cause: new Error('the root') }) as TypeError & { code?: string };
            err.code = code;
            throw err;
          },
          { flavour: threading, args: ['E_BAD'] },
        )
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(TypeError);
      const err = error as TypeError & { code: string; cause: Error };
      expect(err.message).toBe('bad input');
      expect(err.name).toBe('TypeError');
      expect(err.code).toBe('E_BAD');
      expect(err.stack).toMatch(/^TypeError: bad input\n\s+at failing \(cobald-threading-payload:failing:/);
      expect(err.cause).toBeInstanceOf(Error);
      expect(err.cause.message).toBe('the root');

      class CustomError extends Error {}
      const custom = await runner
        .execute(
          () => {
            class DatabaseError extends Error {
              override name = 'DatabaseError';
            }
            throw new DatabaseError('gone');
          },
          { flavour: threading },
        )
        .catch((e: unknown) => e as Error);
      expect(custom).toBeInstanceOf(Error);
      expect(custom).not.toBeInstanceOf(CustomError);
      expect(custom.name).toBe('DatabaseError');
      expect(custom.message).toBe('gone');
      expect(custom.stack).toContain('DatabaseError: gone');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('rethrows non-Error throwables as they were', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    const thrown = (payload: () => unknown) =>
      runner.execute(payload, { flavour: threading }).then(
        () => ({ rejected: false, value: undefined as unknown }),
        (value: unknown) => ({ rejected: true, value }),
      );
    try {
      expect(
        await thrown(() => {
          throw 'a string';
        }),
      ).toEqual({ rejected: true, value: 'a string' });
      expect(
        await thrown(() => {
          throw undefined;
        }),
      ).toEqual({ rejected: true, value: undefined });
      expect(
        await thrown(() => {
          throw { code: 7, list: [1, 2] };
        }),
      ).toEqual({ rejected: true, value: { code: 7, list: [1, 2] } });
      expect(await thrown(async () => Promise.reject(42))).toEqual({ rejected: true, value: 42 });
      const uncloneable = await thrown(() => {
        throw function secret() {};
      });
      expect(uncloneable.rejected).toBe(true);
      expect((uncloneable.value as Error).message).toMatch(/cannot be sent between threads: a function \(secret\)/);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('explains a result that cannot be sent back', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      await expect(
        runner.execute(
          function makeFn() {
            return () => 1;
          },
          { flavour: threading },
        ),
      ).rejects.toThrow(/the result of threading payload 'makeFn' cannot be sent back to the main thread/);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });
});
