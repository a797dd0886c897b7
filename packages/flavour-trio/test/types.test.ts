/**
 * Compile-time checks: the package's test script runs tsc over this file, so an unused
 * `@ts-expect-error` or a wrong inferred type fails the test run before jest starts.
 */
import { describe, expect, it } from '@jest/globals';
import type { ServiceRunner } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep } from 'effection';
import { quietRunner } from './support.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Only type-checked; never called. */
function compileTimeChecks(runner: ServiceRunner) {
  const sum = runner.execute(function* (a: number, b: number) {
    yield* sleep(1);
    return a + b;
  }, { flavour: trio, args: [1, 2] });
  const inferred: Equal<typeof sum, Promise<number>> = true;

  const text = runner.execute(function* () { return 'x'; }, { flavour: trio });
  const inferredText: Equal<typeof text, Promise<string>> = true;

  // @ts-expect-error an async function returns a promise, not an operation: not a trio payload
  runner.execute(async () => 1, { flavour: trio });

  // @ts-expect-error the args must fit the payload
  runner.execute(function* (a: number) { return a; }, { flavour: trio, args: ['one'] });

  return [inferred, inferredText];
}

describe('trio types', () => {
  it('compiles (see tsc) and the runtime agrees with the types', async () => {
    expect(typeof compileTimeChecks).toBe('function');
    const runner = quietRunner();
    const accepting = runner.accept();
    const result: number = await runner.execute(function* (a: number) { return a * 2; }, { flavour: trio, args: [21] });
    expect(result).toBe(42);
    await runner.shutdown();
    await accepting;
  });
});
