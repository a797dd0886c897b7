/**
 * Supervision trees across the flavours: a thread restarted with its siblings, and the work a
 * payload starts (its executes) tied to it in every flavour that can call execute() (asyncio,
 * trio): a restarted service leaves no execute of its old run behind, threads included.
 */
import { describe, expect, it } from '@jest/globals';
import { currentSignal, isCancellation, supervisor, type PayloadSnapshot, type ServiceRunner } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { call, suspend } from 'effection';
import { recordingRunner, runtimeResources, settledResources, sleep } from './support.js';

/** Polls until `check` holds (bounded against a hang, not a timing). */
async function until(check: () => boolean, what: string, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not reached within ${timeout} ms: ${what}`);
    await sleep(5);
  }
}

/** A thread payload that counts its starts in `shared[slot]` and runs until terminated. */
const threadWaits = (shared: Int32Array, slot: number) => {
  Atomics.add(shared, slot, 1);
  return new Promise(() => setInterval(() => {}, 1000));
};

const waitForAbort = () => {
  const signal = currentSignal();
  return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
};

const names = (nodes: readonly PayloadSnapshot[]) => nodes.map((n) => n.name);

describe('a supervisor over asyncio, trio and threading children', () => {
  it('restarts a thread child with its siblings (one-for-all) and stops them all in reverse order', async () => {
    const before = runtimeResources();
    const { runner } = recordingRunner();
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const events: string[] = [];
    let connections = 0;
    runner.adopt(
      supervisor({
        name: 'mixed',
        strategy: 'one-for-all',
        children: [
          {
            name: 'connection',
            flavour: asyncio,
            restart: 'on-failure',
            backoff: { initial: 1, max: 1 },
            payload: async () => {
              const run = ++connections;
              events.push(`connection ${run} up`);
              try {
                if (run === 1) {
                  await until(() => Atomics.load(shared, 0) === 1, 'the first thread started');
                  throw new Error('connection reset');
                }
                await waitForAbort();
              } finally {
                events.push(`connection ${run} down`);
              }
            },
          },
          {
            name: 'consumer',
            flavour: trio,
            restart: 'on-failure',
            payload: function* () {
              events.push('consumer up');
              try {
                yield* suspend();
              } finally {
                events.push('consumer halted');
              }
            },
          },
          { name: 'crunch', flavour: threading, restart: 'on-failure', payload: threadWaits, args: [shared, 0] },
        ],
      }),
    );
    const accepting = runner.accept();
    await until(() => Atomics.load(shared, 0) === 2, 'the thread started again');
    await until(() => events.filter((e) => e === 'consumer up').length === 2, 'the consumer started again');
    expect(events).toEqual(['connection 1 up', 'consumer up', 'connection 1 down', 'consumer halted', 'connection 2 up', 'consumer up']);
    const mixed = runner.tree().flavours[0]!.payloads[0]!;
    expect(mixed.children.map((c) => `${c.name}:${c.flavour}:${c.state}:${c.restarts}`)).toEqual([
      'connection:asyncio:running:1',
      'consumer:trio:running:1',
      'crunch:threading:running:1',
    ]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(events.slice(6)).toEqual(['consumer halted', 'connection 2 down']);
    expect(await settledResources(before)).toEqual({});
  }, 30_000);
});

/** An adopted service in `flavour` whose first run starts executes (asyncio and threading) and fails. */
function serviceWithExecutes(runner: ServiceRunner, kind: 'asyncio' | 'trio', shared: Int32Array, outcomes: unknown[]) {
  let runs = 0;
  const start = (run: number) => {
    const pending = [
      runner.execute(threadWaits, { flavour: threading, args: [shared, 1], name: `thread of run ${run}` }),
      runner.execute(waitForAbort, { flavour: asyncio, name: `promise of run ${run}` }),
    ];
    for (const p of pending) p.catch((error: unknown) => outcomes.push(error));
  };
  if (kind === 'asyncio') {
    runner.adopt(
      async function service() {
        const run = ++runs;
        await sleep(1);
        start(run);
        await until(() => Atomics.load(shared, 1) === run, 'its thread started');
        if (run === 1) throw new Error('first run breaks');
        await waitForAbort();
      },
      { flavour: asyncio, restart: 'on-failure', backoff: { initial: 1, max: 1 } },
    );
  } else {
    runner.adopt(
      function* service() {
        const run = ++runs;
        yield* call(() => sleep(1));
        yield* call(async () => {
          start(run);
        });
        yield* call(() => until(() => Atomics.load(shared, 1) === run, 'its thread started'));
        if (run === 1) throw new Error('first run breaks');
        yield* suspend();
      },
      { flavour: trio, restart: 'on-failure', backoff: { initial: 1, max: 1 } },
    );
  }
  return () => runs;
}

describe.each(['asyncio', 'trio'] as const)('executes called from a %s payload', (kind) => {
  it('belong to it: a restarted service leaves no execute of its old run behind, threads included', async () => {
    const before = runtimeResources();
    const { runner } = recordingRunner({ flavours: { threading: { maxWorkers: 4 } } });
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const outcomes: unknown[] = [];
    const runs = serviceWithExecutes(runner, kind, shared, outcomes);
    const accepting = runner.accept();
    await until(() => runs() === 2 && Atomics.load(shared, 1) === 2, 'the second run started its executes');
    await until(
      () => runner.tree().flavours.some((b) => b.payloads.some((p) => p.children.length === 2)),
      'the second run’s executes show',
    );
    const service = runner.tree().flavours.find((b) => b.flavour === kind)!.payloads[0]!;
    expect(service).toMatchObject({ name: 'service', restarts: 1 });
    expect(names(service.children).sort()).toEqual(['promise of run 2', 'thread of run 2']);
    // Nothing else runs: the first run's executes are gone, not at the top of the tree either.
    expect(runner.tree().flavours.flatMap((b) => names(b.payloads))).toEqual(['service']);
    expect(outcomes).toHaveLength(2);
    expect(outcomes.every(isCancellation)).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(outcomes).toHaveLength(4);
    expect(await settledResources(before)).toEqual({});
  }, 30_000);
});
