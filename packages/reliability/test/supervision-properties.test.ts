/**
 * Random supervision trees over the real main-thread flavours: leaves are asyncio promises or
 * trio operations whose runs return, throw or wait until stopped, under random strategies and
 * restart settings, nested up to three deep; then a shutdown. For every tree, nothing is left
 * running once accept() settles (every run ended by itself or saw its stop: an abort, a
 * `finally`), and the shutdown stops the children in reverse tree order. The kernel's own
 * property test (packages/kernel/test/supervision-properties.test.ts) covers many more trees
 * with a test flavour; this one checks the same with asyncio and trio.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { currentSignal, supervisor, type ChildSpec, type SupervisorSpec } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { sleep as pause, suspend } from 'effection';
import { recordingRunner } from './support.js';

const runs = Number(process.env['COBALD_PROPERTY_RUNS']) || 40;

type Outcome = 'returns' | 'throws' | 'waits';
interface Leaf {
  readonly kind: 'leaf';
  readonly flavour: 'asyncio' | 'trio';
  readonly restart: 'never' | 'on-failure' | 'always';
  readonly script: readonly Outcome[];
}
interface Tree {
  readonly kind: 'tree';
  readonly strategy: 'one-for-one' | 'one-for-all' | 'rest-for-one';
  readonly children: readonly (Leaf | Tree)[];
}

const leaf: fc.Arbitrary<Leaf> = fc.record({
  kind: fc.constant('leaf' as const),
  flavour: fc.constantFrom('asyncio' as const, 'trio' as const),
  restart: fc.constantFrom('never' as const, 'on-failure' as const, 'always' as const),
  script: fc.array(fc.constantFrom<Outcome>('returns', 'throws', 'waits', 'waits'), { maxLength: 2 }),
});
const tree = fc.letrec<{ tree: Tree; node: Leaf | Tree }>((tie) => ({
  tree: fc.record({
    kind: fc.constant('tree' as const),
    strategy: fc.constantFrom('one-for-one' as const, 'one-for-all' as const, 'rest-for-one' as const),
    children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
  }),
  node: fc.oneof({ depthSize: 'small', maxDepth: 2 }, leaf, tie('tree')),
})).tree;

interface World {
  readonly events: string[];
  readonly live: Set<string>;
}

function build(model: Tree, path: string, world: World): SupervisorSpec {
  const children = model.children.map((child, i): ChildSpec | SupervisorSpec => {
    const at = `${path}.${i}`;
    if (child.kind === 'tree') return build(child, at, world);
    let run = 0;
    const begin = () => {
      world.events.push(`start ${at}`);
      world.live.add(at);
      return child.script[run++] ?? 'waits';
    };
    const ended = (how: 'end' | 'stop') => {
      world.events.push(`${how} ${at}`);
      world.live.delete(at);
    };
    const options = { name: `n${i}`, restart: child.restart, backoff: { initial: 1, max: 1 } };
    if (child.flavour === 'asyncio') {
      return {
        ...options,
        flavour: asyncio,
        payload: async () => {
          const outcome = begin();
          const signal = currentSignal();
          try {
            await new Promise<void>((resolve, reject) => {
              signal.addEventListener('abort', () => reject(signal.reason), { once: true });
              if (outcome !== 'waits') setTimeout(resolve, 2);
            });
          } catch (error) {
            ended('stop');
            throw error;
          }
          ended('end');
          if (outcome === 'throws') throw new Error(`${at} failed`);
        },
      };
    }
    return {
      ...options,
      flavour: trio,
      payload: function* () {
        const outcome = begin();
        let done = false;
        try {
          if (outcome === 'waits') yield* suspend();
          yield* pause(2);
          done = true;
        } finally {
          ended(done ? 'end' : 'stop');
        }
        if (outcome === 'throws') throw new Error(`${at} failed`);
      },
    };
  });
  return supervisor({ name: `s${path}`, strategy: model.strategy, intensity: { restarts: 3, within: 60_000 }, children });
}

function order(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return pa.length - pb.length;
}

describe('random supervision trees of asyncio and trio children', () => {
  it('leave nothing running after accept() settles and stop in reverse order', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 0, max: 20 }), async (model, wait) => {
        const world: World = { events: [], live: new Set() };
        const { runner } = recordingRunner({ gracePeriod: 2000 });
        runner.adopt(build(model, '0', world));
        const accepting = runner.accept().then(
          () => undefined,
          () => undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
        const stopAt = world.events.length;
        await runner.shutdown();
        await accepting;
        expect([...world.live]).toEqual([]);
        const started = world.events.filter((e) => e.startsWith('start ')).length;
        expect(world.events.length - started).toBe(started);
        const stops = world.events
          .slice(stopAt)
          .filter((e) => e.startsWith('stop '))
          .map((e) => e.slice(5));
        for (let i = 1; i < stops.length; i++)
          expect({ stops, reverse: order(stops[i - 1]!, stops[i]!) > 0 }).toMatchObject({ reverse: true });
      }),
      { numRuns: runs, timeout: 20_000 },
    );
  }, 300_000);
});
