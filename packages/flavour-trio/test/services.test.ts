/**
 * What is particular to trio services. That services run before and after accept(), fail the
 * runner and stop newest first is checked by the conformance kit (conformance.test.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, service } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { quietRunner } from './support.js';

describe('trio services', () => {
  it('refuses a service whose run() is async, saying what trio expects', async () => {
    @service({ flavour: trio })
    class Async {
      async run(): Promise<void> {}
    }

    const runner = quietRunner();
    const instance = new Async();
    const failure = await runner.accept().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PayloadFailure);
    const cause = (failure as PayloadFailure).cause;
    expect(cause).toBeInstanceOf(TypeError);
    expect((cause as TypeError).message).toMatch(/'Async\.run' returned a promise.*generator functions.*asyncio/s);
    expect(instance).toBeInstanceOf(Async);
  });
});
