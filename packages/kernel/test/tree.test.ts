import { describe, expect, it } from '@jest/globals';
import { formatTree } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const alpha = inlineFlavour({ name: 'tree-alpha' });
const beta = inlineFlavour({ name: 'tree-beta' });

describe('tree()', () => {
  it('shows queued payloads before accept(), then running ones per flavour', async () => {
    const { runner } = testRunner();
    const hold = deferred();
    runner.adopt(() => hold.promise, { flavour: alpha, name: 'first' });
    expect(runner.tree()).toEqual({
      state: 'idle',
      flavours: [{ flavour: 'tree-alpha', payloads: [expect.objectContaining({ name: 'first', state: 'queued', kind: 'adopt' })] }],
    });
    const accepting = runner.accept();
    await new Promise((resolve) => setImmediate(resolve));
    runner.adopt(() => hold.promise, { flavour: beta, name: 'second' });
    const pending = runner.execute(() => hold.promise, { flavour: beta, name: 'third' });
    await new Promise((resolve) => setImmediate(resolve));
    const tree = runner.tree();
    expect(tree.state).toBe('running');
    expect(tree.flavours.map((b) => [b.flavour, b.payloads.map((p) => `${p.name}:${p.kind}:${p.state}`)])).toEqual([
      ['tree-alpha', ['first:adopt:running']],
      ['tree-beta', ['second:adopt:running', 'third:execute:running']],
    ]);
    hold.resolve();
    await pending;
    await new Promise((resolve) => setImmediate(resolve));
    expect(runner.tree().flavours).toEqual([]);
    await runner.shutdown();
    await accepting;
  });

  it('renders for people', () => {
    const text = formatTree(
      {
        state: 'running',
        flavours: [
          { flavour: 'asyncio', payloads: [{ id: 3, name: 'poll', flavour: 'asyncio', kind: 'adopt', state: 'running', service: false, restarts: 0, startedAt: 0 }] },
          { flavour: 'trio', payloads: [{ id: 4, name: 'Watcher.run', flavour: 'trio', kind: 'adopt', state: 'queued', service: true, restarts: 2 }] },
        ],
      },
      12_500,
    );
    expect(text).toBe(
      ['runtime (running)', '├─ asyncio', '│  └─ #3 poll [adopt] running for 12.5s', '└─ trio', '   └─ #4 Watcher.run [service] queued, 2 restarts'].join('\n'),
    );
  });
});

describe('configure()', () => {
  it('changes options while idle and refuses while accepting', async () => {
    const { runner } = testRunner();
    const seen: string[] = [];
    const logger = { error: () => {}, warn: (_: object, msg?: string) => void seen.push(msg ?? ''), info: () => {}, debug: () => {} };
    runner.configure({ logger, gracePeriod: 20 });
    const stubborn = inlineFlavour({ name: 'tree-stubborn', cancelOnClose: false });
    runner.adopt(() => new Promise(() => {}), { flavour: stubborn, name: 'deaf' });
    const accepting = runner.accept();
    expect(() => runner.configure({ gracePeriod: 1 })).toThrow(/only possible while the runner does not accept/);
    await new Promise((resolve) => setImmediate(resolve));
    await runner.shutdown();
    await accepting;
    expect(seen).toEqual([expect.stringMatching(/'deaf'.*abandoned/)]);
  });
});
