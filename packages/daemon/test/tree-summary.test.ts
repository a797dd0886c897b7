import { describe, expect, it } from '@jest/globals';
import type { PayloadSnapshot, RuntimeTree } from '@cobald/kernel';
import { treeForLog } from '../src/tree-summary.js';
import { Daemon, accepting, fixture, withoutSystemd } from './support.js';

const node = (id: number, flavour: string, state: PayloadSnapshot['state'], children: PayloadSnapshot[] = []): PayloadSnapshot => ({
  id,
  name: `p${id}`,
  flavour,
  kind: 'adopt',
  state,
  service: false,
  restarts: 0,
  children,
});

describe('the supervision tree in a log record', () => {
  it('is logged whole up to the limit', () => {
    const tree: RuntimeTree = {
      state: 'running',
      flavours: [{ flavour: 'asyncio', payloads: [node(1, 'asyncio', 'running')] }],
      ended: [],
    };
    expect(treeForLog(tree, 1)).toEqual({ tree, more: undefined });
  });

  it('beyond the limit keeps the first nodes depth first, nested ones included, and counts all by flavour and state', () => {
    const supervisor = node(1, 'supervisor', 'running', [node(2, 'asyncio', 'running'), node(3, 'trio', 'restarting')]);
    const tree: RuntimeTree = {
      state: 'running',
      flavours: [
        { flavour: 'supervisor', payloads: [supervisor] },
        { flavour: 'asyncio', payloads: [node(4, 'asyncio', 'running'), node(5, 'asyncio', 'queued')] },
      ],
      ended: [node(9, 'asyncio', 'failed')],
    };
    const { tree: logged, more } = treeForLog(tree, 2);
    expect(logged).toEqual({
      state: 'running',
      flavours: [{ flavour: 'supervisor', payloads: [{ ...supervisor, children: [node(2, 'asyncio', 'running')] }] }],
      ended: tree.ended,
      total: 5,
      shown: 2,
      counts: { supervisor: { running: 1 }, asyncio: { running: 2, queued: 1 }, trio: { restarting: 1 } },
    });
    expect(more).toBe('… and 3 more payloads (of 5: supervisor: 1 running; asyncio: 2 running, 1 queued; trio: 1 restarting)');
  });

  it('keeps the accepting and SIGUSR1 records of a daemon with 20k payloads small and useful', async () => {
    const daemon = new Daemon(['run', fixture('many.mjs')], { env: withoutSystemd(process.env), timeout: 60_000 });
    const ready = await daemon.record(accepting);
    daemon.kill('SIGUSR1');
    const dump = await daemon.record((record) => record.signal === 'SIGUSR1');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });

    const more = '… and 19900 more payloads (of 20000: asyncio: 20000 running)';
    for (const record of [ready, dump]) {
      expect(record.tree).toMatchObject({ state: 'running', total: 20_000, shown: 100, counts: { asyncio: { running: 20_000 } } });
      expect(record.tree.flavours[0].payloads).toHaveLength(100);
      expect(record.tree.flavours[0].payloads[0]).toMatchObject({ name: 'waiter-0', state: 'running' });
      expect(record.more).toBe(more);
    }
    expect(dump.msg).toMatch(
      /\n {3}└─ #\d+ waiter-99 \[adopt\] running for [\d.]+s\n… and 19900 more payloads \(of 20000: asyncio: 20000 running\)$/,
    );
    // Each record is one line: well under 64 KiB, where whole trees took megabytes.
    const lines = daemon.stderr.split('\n').filter((line) => line.includes('"accepting"') || line.includes('"SIGUSR1"'));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.length).toBeLessThan(64 * 1024);
    // Starting and stopping 20k payloads takes seconds on a busy machine.
  }, 60_000);
});
