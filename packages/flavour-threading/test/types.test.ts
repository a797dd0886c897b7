/**
 * Compile-time checks: the package's test script runs tsc over this file, so an unused
 * `@ts-expect-error` or a wrong inferred type fails the test run before jest starts.
 */
import { describe, expect, it } from '@jest/globals';
import type { ServiceRunner } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { fixture, quietRunner } from './support.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Only type-checked; never called. */
function compileTimeChecks(runner: ServiceRunner) {
  const sum = runner.execute(async (a: number, b: number) => a + b, { flavour: threading, args: [1, 2] });
  const inferred: Equal<typeof sum, Promise<number>> = true;

  const byName = runner.execute((s: string) => s.length, { flavour: 'threading', args: ['abc'] });
  const inferredByName: Equal<typeof byName, Promise<number>> = true;

  const fromModule = runner.execute({ module: fixture('jobs.mjs'), export: 'greet' }, { flavour: threading, args: ['x'] });
  const inferredModule: Equal<typeof fromModule, Promise<unknown>> = true;

  // @ts-expect-error the args must fit the payload
  runner.execute((a: number) => a, { flavour: threading, args: ['one'] });

  // @ts-expect-error a module payload names its module
  runner.execute({ export: 'greet' }, { flavour: threading });

  return [inferred, inferredByName, inferredModule];
}

describe('threading types', () => {
  it('compiles (see tsc) and the runtime agrees with the types', async () => {
    expect(typeof compileTimeChecks).toBe('function');
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const length: number = await runner.execute((s: string) => s.length, { flavour: 'threading', args: ['four'] });
      expect(length).toBe(4);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });
});
