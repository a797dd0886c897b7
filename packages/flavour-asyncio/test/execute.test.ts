import { describe, expect, it } from '@jest/globals';
import { ServiceRunner, silentLogger } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';

describe('asyncio execute', () => {
  it('returns the result', async () => {
    const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
    const accepting = runner.accept();
    const sum = await runner.execute(async (a: number, b: number) => a + b, { flavour: asyncio, args: [1, 2] });
    expect(sum).toBe(3);
    await runner.shutdown();
    await accepting;
  });
});
