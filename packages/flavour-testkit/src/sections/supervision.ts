/**
 * Supervision trees (`supervisor()` of the kernel): the flavour's payloads as children of a
 * supervisor start in order, stop in reverse order, restart together by the strategy, and a
 * child's failure fails its supervisor with a `ChildFailure` that names it.
 */
import assert from 'node:assert/strict';
import { supervisor, type ChildSpec, type PayloadSnapshot } from '@cobald/kernel';
import type { Check } from '../check.js';
import type { PayloadRun } from '../options.js';
import { messageOf, nameOf, type Section } from '../section.js';
import { failing, failureOf } from './adopt.js';

const fast = { initial: 1, max: 1 };

/** A child spec of the check's flavour, named `label` in the check. */
function child(c: Check, label: string, run: PayloadRun, options: Partial<ChildSpec> = {}): ChildSpec {
  return { name: c.name(label), payload: run.payload, args: run.args ?? [], flavour: c.options.flavour, ...options };
}

const starts = (c: Check, label: string) => c.eventsOf(label).filter((event) => event.event === 'start').length;

/** Every node of a snapshot, depth first. */
function* nodes(snapshots: readonly PayloadSnapshot[]): Generator<PayloadSnapshot> {
  for (const node of snapshots) {
    yield node;
    yield* nodes(node.children);
  }
}

export const supervision: Section = {
  title: 'supervision trees',
  define({ options, check }) {
    const { payloads, flavour } = options;

    check("a child that fails fails its supervisor: a ChildFailure naming the child, the child's error as cause", async (c) => {
      const tree = c.name('tree');
      c.runner.adopt(supervisor({ name: tree, children: [child(c, 'broken', payloads.throws('child failure'))] }));
      c.accept();
      const failure = failureOf(await c.stopped(failing));
      assert.equal(failure.payload.name, tree, 'the PayloadFailure blames the supervisor');
      const cause = failure.cause as { child?: { name: string; flavour: string }; supervisor?: { name: string }; cause?: unknown };
      assert.equal(nameOf(cause), 'ChildFailure', `the supervisor fails with a ChildFailure, got ${String(cause)}`);
      assert.deepEqual(
        { child: cause.child?.name, flavour: cause.child?.flavour, supervisor: cause.supervisor?.name },
        { child: c.name('broken'), flavour: flavour.name, supervisor: tree },
      );
      assert.match(messageOf(cause.cause), /child failure/);
    });

    check('children start in list order, under their supervisor, and show in tree()', async (c) => {
      const tree = c.name('tree');
      c.runner.adopt(
        supervisor({
          name: tree,
          children: ['first', 'second', 'third'].map((label) => child(c, label, payloads.waitsForCancel(1, c.readyFile(label)))),
        }),
      );
      c.accept();
      await c.running('first', 'second', 'third');
      const started = c.events.filter((event) => event.event === 'start' && event.flavour === flavour.name);
      assert.deepEqual(
        started.map((event) => event.name),
        ['first', 'second', 'third'].map((label) => c.name(label)),
      );
      assert.ok(
        started.every((event) => event.parent?.name === tree),
        'cobald:payload names the supervisor as parent',
      );
      const node = [...nodes(c.runner.tree().flavours.flatMap((branch) => branch.payloads))].find((payload) => payload.name === tree);
      assert.ok(node, 'the supervisor is in tree()');
      assert.deepEqual(
        node.children.map((kid) => [kid.name, kid.flavour, kid.state]),
        ['first', 'second', 'third'].map((label) => [c.name(label), flavour.name, 'running']),
      );
      await c.shutdownCleanly();
    });

    check('children stop in reverse order, each after the one listed after it has cleaned up', async (c) => {
      // The last takes longest to clean up: stopped all at once, the first would end first.
      c.runner.adopt(
        supervisor({
          name: c.name('tree'),
          children: [
            child(c, 'first', payloads.waitsForCancel(1, c.readyFile('first'))),
            child(c, 'second', payloads.waitsForCancel(30, c.readyFile('second'))),
            child(c, 'third', payloads.waitsForCancel(60, c.readyFile('third'))),
          ],
        }),
      );
      c.accept();
      await c.running('first', 'second', 'third');
      await c.shutdownCleanly();
      const ends = c.events.filter((event) => event.event === 'asyncEnd' && event.flavour === flavour.name).map((event) => event.name);
      assert.deepEqual(
        ends,
        ['third', 'second', 'first'].map((label) => c.name(label)),
      );
      assert.deepEqual(
        ['first', 'second', 'third'].map((label) => c.ended(label)?.state),
        ['cancelled', 'cancelled', 'cancelled'],
      );
    });

    check("'one-for-all': a failing child restarts with its siblings, which are stopped as cancelled first", async (c) => {
      c.runner.adopt(
        supervisor({
          name: c.name('tree'),
          strategy: 'one-for-all',
          children: [
            child(c, 'sibling', payloads.waitsForCancel(1, c.readyFile('sibling'))),
            child(c, 'flaky', payloads.failsTimes(1, c.file('flaky-runs')), { restart: 'on-failure', backoff: fast }),
          ],
        }),
      );
      c.accept();
      await c.until(() => starts(c, 'sibling') === 2 && c.ended('flaky')?.state === 'done', 'the children to restart together');
      const sibling = c.eventsOf('sibling');
      assert.deepEqual(
        sibling.map((event) => event.event),
        ['start', 'error', 'asyncEnd', 'start'],
        'the sibling was stopped, then started again',
      );
      assert.equal(sibling[1]!.stopping, true, 'the sibling was asked to stop: its end is a cancellation');
      assert.deepEqual(
        c.restarts.map((event) => [event.name, event.parent?.name]).sort(),
        [
          [c.name('flaky'), c.name('tree')],
          [c.name('sibling'), c.name('tree')],
        ],
        'cobald:restart reports both, under their supervisor',
      );
      assert.equal(c.runner.running, true);
      await c.shutdownCleanly();
    });

    check(
      'a child that ignores cancellation holds up the stop no longer than its shutdownTimeout',
      async (c) => {
        c.runner.adopt(
          supervisor({
            name: c.name('tree'),
            children: [
              child(c, 'tidy', payloads.waitsForCancel(1, c.readyFile('tidy'))),
              child(c, 'deaf', payloads.ignoresCancel(c.readyFile('deaf')), { shutdownTimeout: 50 }),
            ],
          }),
        );
        c.accept();
        await c.running('tidy', 'deaf');
        await c.shutdownCleanly();
        assert.ok(['cancelled', 'abandoned'].includes(c.ended('deaf')?.state ?? ''), `deaf ended as ${c.ended('deaf')?.state}`);
        assert.equal(c.ended('tidy')?.state, 'cancelled', 'the child listed before it still stopped');
      },
      { gracePeriod: options.timeout + 5000 },
    );
  },
};
