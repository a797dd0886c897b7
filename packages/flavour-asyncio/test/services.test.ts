import { describe, expect, it } from '@jest/globals';
import { currentSignal, service } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { setTimeout as delay } from 'node:timers/promises';
import { testRunner } from './support.js';

describe('asyncio services', () => {
  it('start before and after accept, and stop through their signal', async () => {
    const log: string[] = [];
    @service({ flavour: asyncio })
    class Poller {
      constructor(readonly label: string) {}
      async run() {
        log.push(`${this.label} started`);
        await delay(60_000, undefined, { signal: currentSignal() }).catch(() => log.push(`${this.label} stopped`));
      }
    }
    const early = new Poller('early');
    const { runner } = testRunner();
    const accepting = runner.accept();
    await delay(5);
    const late = new Poller('late');
    await delay(5);
    expect(log).toEqual(['early started', 'late started']);
    await runner.shutdown();
    await accepting;
    expect(log.slice(2).sort()).toEqual(['early stopped', 'late stopped']);
    expect([early, late]).toHaveLength(2);
  });
});
