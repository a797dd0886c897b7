import { describe, expect, it } from '@jest/globals';
import { currentSignal, service } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { setTimeout as delay } from 'node:timers/promises';
import { testRunner } from './support.js';

describe('asyncio services on shutdown', () => {
  it('stop one at a time, newest first: each is aborted only after the newer one has ended', async () => {
    const log: string[] = [];
    const make = (name: string) =>
      service({ flavour: asyncio, name })(
        class {
          async run() {
            await delay(60_000, undefined, { signal: currentSignal() }).catch(() => {});
            log.push(`${name} aborted`);
            await delay(20); // cleanup that the next service waits for
            log.push(`${name} cleaned up`);
          }
        },
      );
    const { runner } = testRunner();
    const accepting = runner.accept();
    const instances = [];
    for (const name of ['storage', 'api']) {
      instances.push(new (make(name))());
      await delay(5);
    }
    await runner.shutdown();
    await accepting;
    expect(log).toEqual(['api aborted', 'api cleaned up', 'storage aborted', 'storage cleaned up']);
    expect(instances).toHaveLength(2);
  });
});
