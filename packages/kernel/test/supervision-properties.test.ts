/**
 * Property-based tests over random supervision trees: strategies, restart settings, nesting up
 * to three deep, significant children and autoShutdown, and children whose runs return, return
 * a value, throw or wait until stopped, at random moments; then a shutdown. For every tree:
 * - accept() settles; when it rejects, the cause chain ends in something a child really did
 *   (its error, an OrphanedReturn of its value) or in a RestartIntensityExceeded;
 * - no payload is lost: every run that started ended by itself or was stopped, and nothing is
 *   left running once accept() settles;
 * - children stop in reverse order: the stops of the shutdown come in reverse tree order, and in
 *   a tree where nothing ended on its own, they are exactly the reverse of the starts.
 * COBALD_PROPERTY_RUNS=5000 runs a soak with that many trees.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ChildFailure,
  OrphanedReturn,
  PayloadFailure,
  RestartIntensityExceeded,
  defineFlavour,
  supervisor,
  type ChildSpec,
  type FlavourRunner,
  type RunContext,
  type SupervisorSpec,
} from '@cobald/kernel';
import { testRunner } from './support/runner.js';

const runs = Number(process.env['COBALD_PROPERTY_RUNS']) || 150;

type Outcome = 'returns' | 'value' | 'throws' | 'waits';
interface Leaf {
  readonly kind: 'leaf';
  readonly restart: 'never' | 'on-failure' | 'always';
  readonly significant: boolean;
  /** What its runs do, one after the other; it waits once they are used up. */
  readonly script: readonly Outcome[];
  /** Turns of the event loop before a run does what its script says. */
  readonly after: number;
}
interface Tree {
  readonly kind: 'tree';
  readonly strategy: 'one-for-one' | 'one-for-all' | 'rest-for-one';
  readonly autoShutdown: 'never' | 'any-significant' | 'all-significant';
  readonly restart: 'never' | 'on-failure' | 'always';
  readonly children: readonly (Leaf | Tree)[];
}

const leaf: fc.Arbitrary<Leaf> = fc
  .record({
    kind: fc.constant('leaf' as const),
    restart: fc.constantFrom('never' as const, 'on-failure' as const, 'always' as const),
    significant: fc.boolean(),
    script: fc.array(fc.constantFrom<Outcome>('returns', 'value', 'throws', 'waits', 'waits'), { maxLength: 3 }),
    after: fc.integer({ min: 0, max: 4 }),
  })
  .map((l) => (l.restart === 'always' ? { ...l, significant: false } : l));

const tree = fc.letrec<{ tree: Tree; node: Leaf | Tree }>((tie) => ({
  tree: fc.record({
    kind: fc.constant('tree' as const),
    strategy: fc.constantFrom('one-for-one' as const, 'one-for-all' as const, 'rest-for-one' as const),
    autoShutdown: fc.constantFrom('never' as const, 'never' as const, 'any-significant' as const, 'all-significant' as const),
    restart: fc.constantFrom('never' as const, 'on-failure' as const),
    children: fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
  }),
  node: fc.oneof({ depthSize: 'small', maxDepth: 2, withCrossShrink: true }, leaf, tie('tree')),
})).tree;

/** A flavour whose runs get an AbortSignal that its cancel() aborts. */
function signalFlavour() {
  return defineFlavour({
    name: 'prop',
    version: '0.0.0',
    kernel: '*',
    validate(payload) {
      if (typeof payload !== 'function') throw new TypeError('a prop payload is a function');
    },
    createRunner(): FlavourRunner {
      const controllers = new Map<RunContext, AbortController>();
      return {
        run(payload, args, context) {
          const controller = new AbortController();
          controllers.set(context, controller);
          return Promise.resolve((payload as (...a: unknown[]) => Promise<unknown>)(...args, controller.signal)).finally(() =>
            controllers.delete(context),
          );
        },
        cancel(context) {
          controllers.get(context)?.abort(new DOMException('stopped', 'AbortError'));
        },
        async close() {
          for (const controller of controllers.values()) controller.abort(new DOMException('closed', 'AbortError'));
        },
      };
    },
  });
}

interface World {
  /** start <path> / stop <path> / end <path>, in order. */
  readonly events: string[];
  readonly live: Set<string>;
  /** The errors and values the runs really produced. */
  readonly produced: Set<unknown>;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

function build(model: Tree, path: string, world: World, flavour: ReturnType<typeof signalFlavour>): SupervisorSpec {
  const children = model.children.map((child, i): ChildSpec | SupervisorSpec => {
    const at = `${path}.${i}`;
    if (child.kind === 'tree') {
      const spec = build(child, at, world, flavour);
      return child.restart === 'never' ? spec : { payload: spec, restart: child.restart, backoff: { initial: 1, max: 1 } };
    }
    let run = 0;
    const payload = async (signal: AbortSignal) => {
      const outcome = child.script[run++] ?? 'waits';
      world.events.push(`start ${at}`);
      world.live.add(at);
      const stopped = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      // A run that ends by itself never awaits it; its flavour may still abort it a moment later.
      stopped.catch(() => {});
      try {
        for (let i = 0; i < child.after; i++) await Promise.race([turn(), stopped]);
        if (outcome === 'waits') await stopped;
        world.events.push(`end ${at}`);
        if (outcome === 'throws') {
          const error = new Error(`${at} failed`);
          world.produced.add(error);
          throw error;
        }
        if (outcome === 'value') {
          world.produced.add(at);
          return at;
        }
        return undefined;
      } catch (error) {
        if (signal.aborted && error === signal.reason) world.events.push(`stop ${at}`);
        throw error;
      } finally {
        world.live.delete(at);
      }
    };
    return {
      name: `n${i}`,
      payload,
      flavour,
      restart: child.restart,
      significant: child.significant,
      backoff: { initial: 1, max: 1 },
    };
  });
  return supervisor({
    name: `s${path}`,
    strategy: model.strategy,
    autoShutdown: model.autoShutdown,
    intensity: { restarts: 4, within: 60_000 },
    children,
  });
}

/** Compare two tree paths as positions in the tree: 0.1 < 0.1.0 < 0.2. */
function order(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return pa.length - pb.length;
}

async function check(model: Tree, wait: number): Promise<void> {
  const world: World = { events: [], live: new Set(), produced: new Set() };
  const flavour = signalFlavour();
  const { runner } = testRunner({ gracePeriod: 1000 });
  runner.adopt(build(model, '0', world, flavour), {
    restart: model.restart,
    backoff: { initial: 1, max: 1 },
    intensity: { restarts: 2, within: 60_000 },
  });
  const accepting = runner.accept().then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  for (let i = 0; i < wait; i++) await turn();
  const stopAt = world.events.length;
  await runner.shutdown();
  const result = await accepting;

  // Nothing is left running, and every run that started ended or was stopped.
  expect([...world.live]).toEqual([]);
  const started = world.events.filter((e) => e.startsWith('start ')).length;
  const finished = world.events.filter((e) => e.startsWith('end ') || e.startsWith('stop ')).length;
  expect(finished).toBe(started);

  // A failure is what a child really did, reported through the supervisors.
  if (!result.ok) {
    expect(result.error).toBeInstanceOf(PayloadFailure);
    let cause = (result.error as PayloadFailure).cause;
    while (cause instanceof ChildFailure) cause = cause.cause;
    if (cause instanceof OrphanedReturn) expect(world.produced.has(cause.value)).toBe(true);
    else if (!(cause instanceof RestartIntensityExceeded)) expect(world.produced.has(cause)).toBe(true);
  }

  // The shutdown's stops come in reverse tree order.
  const stops = world.events
    .slice(stopAt)
    .filter((e) => e.startsWith('stop '))
    .map((e) => e.slice(5));
  for (let i = 1; i < stops.length; i++)
    expect({ before: stops[i - 1], after: stops[i], reverse: order(stops[i - 1]!, stops[i]!) > 0 }).toMatchObject({ reverse: true });
  // Where nothing ended by itself, the stops are the starts reversed.
  if (!world.events.some((e) => e.startsWith('end ')) && result.ok) {
    const starts = world.events.filter((e) => e.startsWith('start ')).map((e) => e.slice(6));
    expect(world.events.filter((e) => e.startsWith('stop ')).map((e) => e.slice(5))).toEqual([...starts].reverse());
  }
}

describe('random supervision trees', () => {
  it('lose no payload, leave nothing running, and stop in reverse order', async () => {
    await fc.assert(
      fc.asyncProperty(tree, fc.integer({ min: 0, max: 30 }), async (model, wait) => {
        await check(model, wait);
      }),
      { numRuns: runs, timeout: 20_000 },
    );
  }, 600_000);
});
