import { describe, expect, it } from '@jest/globals';
import { ServiceRunner, service, silentLogger } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, suspend } from 'effection';

describe('trio services on shutdown', () => {
  it('are halted one at a time, newest first, each after the newer one finished its finally', async () => {
    const log: string[] = [];
    const make = (name: string) =>
      service({ flavour: trio, name })(
        class {
          *run() {
            try {
              yield* suspend();
            } finally {
              log.push(`${name} halting`);
              yield* sleep(20);
              log.push(`${name} halted`);
            }
          }
        },
      );
    const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
    const accepting = runner.accept();
    const instances = [];
    for (const name of ['storage', 'api']) {
      instances.push(new (make(name))());
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await runner.shutdown();
    await accepting;
    expect(log).toEqual(['api halting', 'api halted', 'storage halting', 'storage halted']);
    expect(instances).toHaveLength(2);
  });
});
