/**
 * Type-level checks, not a jest test: `tsc -p tsconfig.json` (the package's typecheck target,
 * and the first step of its test script) compiles this file, so an unused `@ts-expect-error` or
 * a wrongly inferred type fails the build. There is nothing to run: a jest test that only
 * checked that this function exists could not fail.
 */
import type { ServiceRunner } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';

const inline = inlineFlavour({ name: 'types' });
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_: T) => undefined;

/** Never called: only compiled. */
export function typeChecks(runner: ServiceRunner) {
  const sum = runner.execute((a: number, b: number) => a + b, { flavour: inline, args: [1, 2] });
  assertType<Equal<typeof sum, Promise<number>>>(true);
  const text = runner.execute(async () => 'text', { flavour: inline });
  assertType<Equal<typeof text, Promise<string>>>(true);
  // @ts-expect-error the arguments must match the payload's parameters
  runner.execute((a: number) => a, { flavour: inline, args: ['one'] });
  // @ts-expect-error an inline payload is a function
  runner.adopt(42, { flavour: inline });
  const loose = runner.execute(() => 1, { flavour: 'some-name' });
  assertType<Equal<typeof loose, Promise<unknown>>>(true);
}
