import { describe, expect, it } from '@jest/globals';
import { isCancellation, supervisor, type PayloadSnapshot } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { turns } from './support/supervision-lab.js';
import { testRunner } from './support/runner.js';

/** Runs payloads in their cancel scope, as asyncio does: execute() inside one knows its payload. */
function scopedLab(name: string) {
  const events: string[] = [];
  const flavour = inlineFlavour({ name, scoped: true, cancellable: true, events });
  return {
    flavour,
    events,
    get log() {
      return events.filter((e) => e.startsWith('cancel '));
    },
  };
}

const never = () => new Promise<never>(() => {});
const names = (nodes: readonly PayloadSnapshot[]) => nodes.map((n) => n.name);

describe('execute() inside a payload runs as its child', () => {
  it('shows under the payload in tree(), also from nested functions after awaits', async () => {
    const lab = scopedLab('ep-tree');
    const { runner } = testRunner();
    const hold = deferred();
    const fetchPage = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return runner.execute(() => hold.promise, { flavour: lab.flavour, name: 'fetchPage' });
    };
    runner.adopt(
      async function crawler() {
        await Promise.resolve();
        await fetchPage();
      },
      { flavour: lab.flavour },
    );
    const accepting = runner.accept();
    await turns(20);
    const branch = runner.tree().flavours[0]!;
    expect(names(branch.payloads)).toEqual(['crawler']);
    expect(branch.payloads[0]!.children).toEqual([
      expect.objectContaining({ name: 'fetchPage', kind: 'execute', state: 'running', children: [] }),
    ]);
    hold.resolve();
    await turns();
    expect(runner.tree().flavours).toEqual([]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('is cancelled before its payload when the payload is stopped, and its caller gets a cancellation', async () => {
    const lab = scopedLab('ep-cancel');
    const { runner } = testRunner();
    let outcome: unknown;
    runner.adopt(
      async function owner() {
        outcome = await runner.execute(never, { flavour: lab.flavour, name: 'child' }).catch((error: unknown) => error);
        await never();
      },
      { flavour: lab.flavour },
    );
    const accepting = runner.accept();
    await turns();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(lab.log.slice(0, 2)).toEqual(['cancel child', 'cancel owner']);
    expect(isCancellation(outcome)).toBe(true);
  });

  it('leaves nothing of an old run behind when its payload restarts', async () => {
    const lab = scopedLab('ep-restart');
    const { runner } = testRunner();
    const outcomes: unknown[] = [];
    let runs = 0;
    runner.adopt(
      async function service() {
        const run = ++runs;
        const pending = runner.execute(never, { flavour: lab.flavour, name: `work of run ${run}` });
        pending.catch((error: unknown) => outcomes.push(error));
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (run === 1) throw new Error('first run breaks');
        await never();
      },
      { flavour: lab.flavour, restart: 'on-failure', backoff: { initial: 1, max: 1 } },
    );
    const accepting = runner.accept();
    await turns(40);
    expect(runs).toBe(2);
    const service = runner.tree().flavours[0]!.payloads[0]!;
    expect(service).toMatchObject({ name: 'service', restarts: 1, state: 'running' });
    expect(names(service.children)).toEqual(['work of run 2']);
    expect(outcomes).toHaveLength(1);
    expect(isCancellation(outcomes[0])).toBe(true);
    // The old run's execute was stopped before the new run began.
    expect(lab.log[0]).toBe('cancel work of run 1');
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it("cancels a supervisor's child's executes when the child restarts with a sibling", async () => {
    const lab = scopedLab('ep-tree-restart');
    const { runner } = testRunner();
    const broken = deferred();
    let consumerRuns = 0;
    let dbRuns = 0;
    runner.adopt(
      supervisor({
        name: 'pair',
        strategy: 'one-for-all',
        children: [
          {
            name: 'db',
            flavour: lab.flavour,
            payload: () => (dbRuns++ === 0 ? broken.promise : never()),
            restart: 'on-failure',
            backoff: { initial: 1, max: 1 },
          },
          {
            name: 'consumer',
            flavour: lab.flavour,
            restart: 'on-failure',
            payload: async () => {
              const run = ++consumerRuns;
              await runner.execute(never, { flavour: lab.flavour, name: `query ${run}` }).catch(() => {});
              await never();
            },
          },
        ],
      }),
    );
    const accepting = runner.accept();
    await turns();
    const consumer = () => runner.tree().flavours[0]!.payloads[0]!.children[1]!;
    expect(names(consumer().children)).toEqual(['query 1']);
    broken.reject(new Error('db down'));
    await turns(30);
    expect(lab.log.slice(0, 2)).toEqual(['cancel query 1', 'cancel consumer']);
    expect(consumer()).toMatchObject({ restarts: 1, state: 'running' });
    expect(names(consumer().children)).toEqual(['query 2']);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('gives results and errors only to the caller: a failed execute never escalates', async () => {
    const lab = scopedLab('ep-errors');
    const { runner } = testRunner();
    const seen = deferred<unknown>();
    runner.adopt(
      async function careful() {
        const value = await runner.execute(() => 7, { flavour: lab.flavour });
        const error = await runner
          .execute(() => Promise.reject(new Error('lookup failed')), { flavour: lab.flavour })
          .catch((e: unknown) => e);
        seen.resolve([value, (error as Error).message]);
        await never();
      },
      { flavour: lab.flavour },
    );
    const accepting = runner.accept();
    expect(await seen.promise).toEqual([7, 'lookup failed']);
    await turns();
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('ends the executes a payload left unsettled when it returns', async () => {
    const lab = scopedLab('ep-return');
    const { runner } = testRunner();
    let outcome: unknown;
    runner.adopt(
      async function fireAndForget() {
        runner.execute(never, { flavour: lab.flavour, name: 'forgotten' }).catch((e: unknown) => (outcome = e));
      },
      { flavour: lab.flavour },
    );
    const accepting = runner.accept();
    await turns();
    expect(lab.log).toEqual(['cancel forgotten']);
    expect(isCancellation(outcome)).toBe(true);
    expect(runner.tree().flavours).toEqual([]);
    await runner.shutdown();
    await accepting;
  });

  it('keeps adopt() inside a payload at the top level', async () => {
    const lab = scopedLab('ep-adopt');
    const { runner } = testRunner();
    runner.adopt(
      async function parent() {
        runner.adopt(never, { flavour: lab.flavour, name: 'orphan' });
        await never();
      },
      { flavour: lab.flavour },
    );
    const accepting = runner.accept();
    await turns();
    const branch = runner.tree().flavours[0]!;
    expect(names(branch.payloads)).toEqual(['parent', 'orphan']);
    expect(branch.payloads[0]!.children).toEqual([]);
    await runner.shutdown();
    await accepting;
  });
});
