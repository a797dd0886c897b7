import { describe, expect, it } from '@jest/globals';
import { PayloadSourceError, threading } from '@cobald/flavour-threading';
import { quietRunner, unexpected } from './support.js';

/** A real function made from source text, as a compiler or an instrumenter would leave it. */
const compiled = (...parts: string[]) => new Function(...parts) as (...args: unknown[]) => unknown;

describe('threading function payloads and their source', () => {
  it("name a variable of the caller's scope that the worker does not have", async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    const factor = 3;
    try {
      const error = await runner
        .execute(
          function scale(n: number) {
            return n * factor;
          },
          { flavour: threading, args: [2] },
        )
        .then(unexpected, (err: unknown) => err as ReferenceError);
      expect(error).toBeInstanceOf(ReferenceError);
      expect(error.message).toMatch(
        /^threading payload 'scale' refers to 'factor', which is not defined in the worker thread: .*without the variables of the scope .*Pass 'factor' as an argument.*module payload/,
      );
      expect((error.cause as Error).message).toBe('factor is not defined');
      // Also further down a longer function.
      const offset = 10;
      const later = await runner
        .execute(
          async (values: number[]) => {
            const sum = values.reduce((a, b) => a + b, 0);
            await new Promise((resolve) => setTimeout(resolve, 1));
            return sum + offset;
          },
          { flavour: threading, name: 'total', args: [[1, 2]] },
        )
        .then(unexpected, (err: unknown) => err as Error);
      expect(later.message).toMatch(/^threading payload 'total' refers to 'offset', which is not defined in the worker thread/);
      // The same function with the value as an argument works.
      expect(await runner.execute((n: number, f: number) => n * f, { flavour: threading, args: [2, factor] })).toBe(6);
      // A ReferenceError of the payload's own making is left as it is.
      const own = await runner
        .execute(
          () => {
            throw new ReferenceError('nothing is not defined');
          },
          { flavour: threading },
        )
        .then(unexpected, (err: unknown) => err as Error);
      expect(own.message).toBe('nothing is not defined');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it("explain TypeScript's __awaiter and __generator before sending", () => {
    const downlevelled = compiled('a', 'return __awaiter(this, void 0, void 0, function* () { return a; });');
    expect(() => threading.validate(downlevelled)).toThrow(PayloadSourceError);
    expect(() => threading.validate(downlevelled)).toThrow(
      /threading payload 'anonymous' cannot run in a worker thread: its source calls __awaiter, a helper that TypeScript adds .*target/,
    );
    const generator = compiled('return __generator(this, function (_a) { return [2]; });');
    expect(() => threading.validate(generator)).toThrow(/its source calls __generator/);
  });

  it("explain coverage counters and esbuild's __name before sending", async () => {
    const instrumented = compiled('cov_1x2y3z().f[0]++; cov_1x2y3z().s[1]++; return 1;');
    expect(() => threading.validate(instrumented)).toThrow(/instrumented by a coverage tool \(istanbul.*coverageProvider: 'v8'/);
    const global = compiled('__coverage__["x"].s[0]++; return 1;');
    expect(() => threading.validate(global)).toThrow(/coverage tool/);
    const named = compiled('const inner = __name(() => 1, "inner"); return inner();');
    expect(() => threading.validate(named)).toThrow(/its source calls __name, a helper that esbuild/);
    // A function that declares a helper's name itself is its own business.
    const own = compiled('function __name(x) { return x; } return __name(5);');
    expect(() => threading.validate(own)).not.toThrow();
    // adopt() refuses such a payload at once: nothing reaches a worker.
    const runner = quietRunner();
    expect(() => runner.adopt(instrumented, { flavour: threading })).toThrow(PayloadSourceError);
    const accepting = runner.accept();
    await expect(runner.execute(named, { flavour: threading })).rejects.toThrow(PayloadSourceError);
    await runner.shutdown();
    await accepting;
  });

  it('explain native, bound and class payloads', () => {
    expect(() => threading.validate(Math.max)).toThrow(/'max' cannot run in a worker thread: it is a native or bound function/);
    const bound = ((a: number) => a).bind(null, 1);
    expect(() => threading.validate(bound)).toThrow(/native or bound function.*instead of fn\.bind/);
    expect(() => threading.validate(class Job {})).toThrow(/'Job' cannot run in a worker thread: it is a class.*@service/);
    const accessor = Object.getOwnPropertyDescriptor(
      {
        get value() {
          return 1;
        },
      },
      'value',
    )!.get!;
    expect(() => threading.validate(accessor)).toThrow(/getter or setter/);
  });

  it('run methods written in shorthand form', async () => {
    const jobs = {
      async double(n: number) {
        return n * 2;
      },
      triple(n: number) {
        return n * 3;
      },
      *count(n: number) {
        yield n;
      },
      delete() {
        return 'a reserved word as a name';
      },
    };
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      expect(await runner.execute(jobs.double, { flavour: threading, args: [21] })).toBe(42);
      expect(await runner.execute(jobs.triple, { flavour: threading, args: [3] })).toBe(9);
      expect(await runner.execute(jobs.delete, { flavour: threading })).toBe('a reserved word as a name');
      // A generator runs, but a generator object cannot be sent back: that is explained.
      await expect(runner.execute(jobs.count, { flavour: threading, args: [1] })).rejects.toThrow(/cannot be sent back/);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('refuse what is neither a function nor a module reference', () => {
    for (const bad of [undefined, null, 1, 'return 1', Symbol('x'), [], { export: 'x' }]) {
      expect(() => threading.validate(bad)).toThrow(TypeError);
      expect(() => threading.validate(bad)).toThrow(/a threading payload is a self-contained function, or an ES module export/);
    }
  });
});
