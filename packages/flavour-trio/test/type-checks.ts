/**
 * Type-level checks, not a jest test: `tsc -p tsconfig.json` (the package's typecheck target,
 * and the first step of its test script) compiles this file, so an unused `@ts-expect-error` or
 * a wrongly inferred type fails the build. There is nothing to run: a jest test that only
 * checked that this function exists could not fail.
 */
import type { ServiceRunner } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep } from 'effection';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Only type-checked; never called. */
export function compileTimeChecks(runner: ServiceRunner) {
  const sum = runner.execute(
    function* (a: number, b: number) {
      yield* sleep(1);
      return a + b;
    },
    { flavour: trio, args: [1, 2] },
  );
  const inferred: Equal<typeof sum, Promise<number>> = true;

  const text = runner.execute(
    function* () {
      return 'x';
    },
    { flavour: trio },
  );
  const inferredText: Equal<typeof text, Promise<string>> = true;

  // @ts-expect-error an async function returns a promise, not an operation: not a trio payload
  runner.execute(async () => 1, { flavour: trio });

  const identity = function* (a: number) {
    return a;
  };
  // @ts-expect-error the args must fit the payload
  runner.execute(identity, { flavour: trio, args: ['one'] });

  return [inferred, inferredText];
}
