/**
 * Type-level checks, not a jest test: `tsc -p tsconfig.json` (the package's typecheck target,
 * and the first step of its test script) compiles this file, so an unused `@ts-expect-error` or
 * a wrongly inferred type fails the build. There is nothing to run: a jest test that only
 * checked that this function exists could not fail.
 */
import type { ServiceRunner } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { fixture } from './support.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Only type-checked; never called. */
export function compileTimeChecks(runner: ServiceRunner) {
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
