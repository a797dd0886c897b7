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
      ended: [],
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

  it('remembers how the newest payloads ended, also after the runner stopped', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.execute(() => 'value', { flavour: alpha, name: 'fine' });
    await runner.execute(() => Promise.reject(new Error('no')), { flavour: alpha, name: 'broken' }).catch(() => {});
    runner.adopt(() => new Promise(() => {}), { flavour: alpha, name: 'stopped' });
    await new Promise((resolve) => setImmediate(resolve));
    await runner.shutdown();
    await accepting;
    const tree = runner.tree();
    expect(tree.state).toBe('idle');
    expect(tree.ended.map((p) => `${p.name}:${p.state}`)).toEqual(['fine:done', 'broken:failed', 'stopped:cancelled']);
    expect(tree.ended[0]).not.toHaveProperty('scope');
  });

  it('keeps only the newest 64 ended payloads', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    for (let i = 0; i < 70; i++) await runner.execute(() => undefined, { flavour: alpha, name: `run ${i}` });
    const ended = runner.tree().ended;
    expect(ended).toHaveLength(64);
    expect(ended[0]?.name).toBe('run 6');
    expect(ended.at(-1)?.name).toBe('run 69');
    await runner.shutdown();
    await accepting;
  });

  it('renders for people', () => {
    const text = formatTree(
      {
        state: 'running',
        flavours: [
          {
            flavour: 'asyncio',
            payloads: [
              {
                id: 3,
                name: 'poll',
                flavour: 'asyncio',
                kind: 'adopt',
                state: 'running',
                service: false,
                restarts: 0,
                startedAt: 0,
                children: [],
              },
            ],
          },
          {
            flavour: 'trio',
            payloads: [
              { id: 4, name: 'Watcher.run', flavour: 'trio', kind: 'adopt', state: 'queued', service: true, restarts: 2, children: [] },
            ],
          },
        ],
        ended: [
          {
            id: 2,
            name: 'fetchConfig',
            flavour: 'asyncio',
            kind: 'execute',
            state: 'failed',
            service: false,
            restarts: 0,
            startedAt: 0,
            children: [],
          },
        ],
      },
      12_500,
    );
    expect(text).toBe(
      [
        'runtime (running)',
        '├─ asyncio',
        '│  └─ #3 poll [adopt] running for 12.5s',
        '└─ trio',
        '   └─ #4 Watcher.run [service] queued, 2 restarts',
        'ended (newest last):',
        '   #2 fetchConfig [execute] asyncio: failed',
      ].join('\n'),
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
