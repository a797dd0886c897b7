import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { Daemon, accepting, type LogRecord } from './support.js';

const demo = fileURLToPath(new URL('../../../examples/demo.mjs', import.meta.url));

describe('the quick-start demo under the cobald command', () => {
  it('runs a payload of each flavour until SIGINT, then stops them all gracefully', async () => {
    const daemon = new Daemon(['run', demo]);
    const ready = await daemon.record(accepting);
    expect(daemon.records()[1]?.flavours).toEqual({ asyncio: '0.1.0', trio: '0.1.0', threading: '0.1.0' });
    expect(ready.tree.flavours.map((branch: { flavour: string }) => branch.flavour)).toEqual(expect.arrayContaining(['asyncio', 'trio']));
    const logged = (msg: string) => (record: LogRecord) => record.msg === msg;
    await daemon.record(logged('asyncio heartbeat'));
    await daemon.record(logged('trio tick'));
    const primes = await daemon.record(logged('threading: primes counted'));
    expect(primes).toMatchObject({ from: 0, to: 2_000_000, count: 148_933 });
    daemon.kill('SIGINT');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const messages = daemon.records().map((record) => record.msg);
    expect(messages).toEqual(expect.arrayContaining(['asyncio heartbeat cancelled', 'trio ticker halted']));
    expect(messages.at(-1)).toBe('stopped gracefully');
    expect(daemon.records().filter((record) => record.level >= 40)).toEqual([]);
  }, 20_000);
});
