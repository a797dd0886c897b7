import { describe, expect, it } from '@jest/globals';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import {
  ChildFailure,
  OrphanedReturn,
  PayloadFailure,
  RestartIntensityExceeded,
  formatTree,
  supervisor,
  type PayloadSnapshot,
  type PayloadTrace,
  type RestartEvent,
} from '@cobald/kernel';
import { supervisionLab, turns } from './support/supervision-lab.js';
import { testRunner } from './support/runner.js';

const fast = { initial: 1, max: 1 };

describe('supervisor(): ordered start, reverse stop', () => {
  it('starts the children in list order and stops them in reverse order on shutdown', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'pipeline', children: [lab.child('a'), lab.child('b'), lab.child('c')] }));
    const accepting = runner.accept();
    await turns();
    expect(lab.log).toEqual(['start a', 'start b', 'start c']);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(lab.log).toEqual(['start a', 'start b', 'start c', 'cancel c', 'cancel b', 'cancel a']);
  });

  it('stops each child only after the one after it settled', async () => {
    const lab = supervisionLab('slow-lab', { cancellable: 'deaf' });
    const { runner, warnings } = testRunner({ gracePeriod: 30 });
    runner.adopt(supervisor({ name: 'deaf', children: [lab.child('a'), lab.child('b', { shutdownTimeout: 60 })] }));
    const accepting = runner.accept();
    await turns();
    const stopping = Date.now();
    await runner.shutdown();
    await accepting;
    // b is abandoned after its 60 ms, a after the grace period of 30 ms: one after the other.
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(85);
    expect(lab.log).toEqual(['start a', 'start b', 'cancel b', 'cancel a']);
    expect(warnings.filter((w) => /did not stop within/.test(w))).toEqual([
      expect.stringMatching(/child 'b' \(slow-lab, #\d+\) of supervisor 'deaf' did not stop within 60 ms and was abandoned/),
      expect.stringMatching(/child 'a' \(slow-lab, #\d+\) of supervisor 'deaf' did not stop within 30 ms and was abandoned/),
    ]);
  });

  it('stops a nested supervisor’s children before the siblings listed before it', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'top',
        children: [lab.child('a'), supervisor({ name: 'mid', children: [lab.child('b'), lab.child('c')] }), lab.child('d')],
      }),
    );
    const accepting = runner.accept();
    await turns();
    await runner.shutdown();
    await accepting;
    expect(lab.log).toEqual(['start a', 'start b', 'start c', 'start d', 'cancel d', 'cancel c', 'cancel b', 'cancel a']);
  });
});

describe('strategies', () => {
  const cases = [
    ['one-for-one', ['start b']],
    ['one-for-all', ['cancel d', 'cancel c', 'cancel a', 'start a', 'start b', 'start c', 'start d']],
    ['rest-for-one', ['cancel d', 'cancel c', 'start b', 'start c', 'start d']],
  ] as const;
  it.each(cases)('%s restarts the right children: stopped newest first, started in order', async (strategy, after) => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const children = ['a', 'b', 'c', 'd'].map((name) => lab.child(name, { restart: 'on-failure', backoff: fast }));
    runner.adopt(supervisor({ name: 'group', strategy, children }));
    const accepting = runner.accept();
    await turns();
    lab.fail('b');
    await turns(30);
    expect(lab.log.slice(4)).toEqual(after);
    const tree = runner.tree();
    const group = tree.flavours.find((branch) => branch.flavour === 'supervisor')!.payloads[0]!;
    expect(group).toMatchObject({ name: 'group', strategy, childRestarts: 1, state: 'running' });
    expect(group.children.map((c) => `${c.name}:${c.state}:${c.restarts}`)).toEqual(
      ['a', 'b', 'c', 'd'].map((name) => `${name}:running:${after.includes(`start ${name}` as never) ? 1 : 0}`),
    );
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('rest-for-one: a failure of an earlier child does not wait out the backoff of a later one that restarts with it', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'ingest',
        strategy: 'rest-for-one',
        children: [
          lab.child('conn', { restart: 'on-failure', backoff: fast }),
          lab.child('consumer', { restart: 'on-failure', backoff: fast }),
          // A backoff no test waits out: the restart of conn's group takes it over.
          lab.child('exporter', { restart: 'on-failure', backoff: { initial: 600_000, max: 600_000 } }),
        ],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.fail('exporter');
    await turns(5);
    lab.fail('conn');
    await turns(30);
    expect(lab.log).toEqual([
      'start conn',
      'start consumer',
      'start exporter',
      'cancel consumer',
      'start conn',
      'start consumer',
      'start exporter',
    ]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('restarts siblings whatever their own restart setting, and leaves children that ended alone', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'all',
        strategy: 'one-for-all',
        children: [lab.child('done'), lab.child('db', { restart: 'always', backoff: fast }), lab.child('consumer')],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.end('done');
    await turns();
    lab.end('db');
    await turns(30);
    expect(lab.log).toEqual(['start done', 'start db', 'start consumer', 'cancel consumer', 'start db', 'start consumer']);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('restarts a group once when two of its children fail at the same time', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const children = ['a', 'b', 'c'].map((name) => lab.child(name, { restart: 'on-failure', backoff: fast }));
    runner.adopt(supervisor({ name: 'pair', strategy: 'one-for-all', intensity: { restarts: 5, within: 1000 }, children }));
    const accepting = runner.accept();
    await turns();
    lab.fail('a');
    lab.fail('c');
    await turns(40);
    expect(['a', 'b', 'c'].map(lab.runs)).toEqual([2, 2, 2]);
    await runner.shutdown();
    await accepting;
  });
});

describe('escalation', () => {
  it("fails the supervisor when a 'never' child fails: siblings stop newest first, the error names child and supervisor", async () => {
    const lab = supervisionLab();
    const { runner, logged } = testRunner();
    runner.adopt(supervisor({ name: 'ingest', children: [lab.child('db'), lab.child('consumer'), lab.child('exporter')] }));
    const accepting = runner.accept();
    await turns();
    const boom = new Error('connection refused');
    lab.fail('consumer', boom);
    const error = (await accepting.catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.payload).toMatchObject({ name: 'ingest', flavour: 'supervisor' });
    const failure = error.cause as ChildFailure;
    expect(failure).toBeInstanceOf(ChildFailure);
    expect(failure.message).toMatch(/^child 'consumer' \(lab, #\d+\) of supervisor 'ingest' \(#\d+\) failed: Error: connection refused$/);
    expect(failure.cause).toBe(boom);
    expect(failure.child.name).toBe('consumer');
    expect(failure.supervisor.name).toBe('ingest');
    expect(lab.log.slice(3)).toEqual(['cancel exporter', 'cancel db']);
    // Logged the moment the supervisor met it, before the siblings stopped.
    expect(logged[0]).toMatchObject({
      level: 'error',
      msg: expect.stringMatching(
        /^child 'consumer' .* failed: Error: connection refused; supervisor 'ingest' stops its children and fails$/,
      ),
    });
  });

  it("takes a value returned by a 'never' child for a failure, as an OrphanedReturn", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'values', children: [lab.child('answer')] }));
    const accepting = runner.accept();
    await turns();
    lab.end('answer', 42);
    const error = (await accepting.catch((e: unknown) => e)) as PayloadFailure;
    expect((error.cause as ChildFailure).cause).toBeInstanceOf(OrphanedReturn);
    expect(((error.cause as ChildFailure).cause as OrphanedReturn).value).toBe(42);
  });

  it('restarts a failed supervisor by its own policy when adopted with one; the runner keeps running', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'flaky', children: [lab.child('a'), lab.child('b')] }), { restart: 'on-failure', backoff: fast });
    const accepting = runner.accept();
    await turns();
    lab.fail('b');
    await turns(30);
    expect(lab.log).toEqual(['start a', 'start b', 'cancel a', 'start a', 'start b']);
    expect(runner.tree().flavours[0]!.payloads[0]).toMatchObject({ name: 'flaky', restarts: 1, state: 'running' });
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('fails the supervisor with RestartIntensityExceeded after more restarts than its intensity', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'budget',
        intensity: { restarts: 2, within: 10_000 },
        children: [
          lab.child('steady'),
          lab.child('a', { restart: 'on-failure', backoff: fast }),
          lab.child('b', { restart: 'on-failure', backoff: fast }),
        ],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.fail('a');
    await turns();
    lab.fail('b');
    await turns();
    lab.fail('a', new Error('third'));
    const error = (await accepting.catch((e: unknown) => e)) as PayloadFailure;
    const exceeded = error.cause as RestartIntensityExceeded;
    expect(exceeded).toBeInstanceOf(RestartIntensityExceeded);
    expect(exceeded.message).toMatch(/'budget' \(supervisor, #\d+\) exceeded its restart intensity of 2 restarts within 10000 ms/);
    expect((exceeded.cause as Error).message).toBe('third');
    expect(lab.log.slice(-2)).toEqual(['cancel b', 'cancel steady']);
  });

  it('escalates through three levels until a supervisor with a restart policy restarts', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const inner = supervisor({ name: 'inner', children: [lab.child('x'), lab.child('y')] });
    const middle = supervisor({ name: 'middle', children: [lab.child('m'), inner] });
    runner.adopt(supervisor({ name: 'outer', children: [lab.child('o'), { payload: middle, restart: 'on-failure', backoff: fast }] }));
    const accepting = runner.accept();
    await turns();
    expect(lab.log).toEqual(['start o', 'start m', 'start x', 'start y']);
    const tree = runner.tree();
    const outer = tree.flavours[0]!.payloads[0]!;
    const shape = (node: PayloadSnapshot): unknown => (node.children.length ? { [node.name]: node.children.map(shape) } : node.name);
    expect(shape(outer)).toEqual({ outer: ['o', { middle: ['m', { inner: ['x', 'y'] }] }] });
    lab.fail('x');
    await turns(40);
    expect(lab.log.slice(4)).toEqual(['cancel y', 'cancel m', 'start m', 'start x', 'start y']);
    const restarted = runner.tree().flavours[0]!.payloads[0]!.children[1]!;
    expect(restarted).toMatchObject({ name: 'middle', restarts: 1, strategy: 'one-for-one' });
    expect(runner.tree().flavours[0]!.payloads[0]).toMatchObject({ childRestarts: 1 });
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });
});

describe('significant children and autoShutdown', () => {
  it("'any-significant': a significant child's normal end stops the others and ends the supervisor normally", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'job',
        autoShutdown: 'any-significant',
        children: [lab.child('a'), lab.child('work', { significant: true }), lab.child('c')],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.end('work');
    await turns();
    expect(lab.log.slice(3)).toEqual(['cancel c', 'cancel a']);
    expect(runner.tree().flavours).toEqual([]);
    expect(runner.tree().ended.map((n) => `${n.name}:${n.state}`)).toEqual(['work:done', 'c:cancelled', 'a:cancelled', 'job:done']);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it("'all-significant' waits for every significant child", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'batch',
        autoShutdown: 'all-significant',
        children: [lab.child('helper'), lab.child('one', { significant: true }), lab.child('two', { significant: true })],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.end('one');
    await turns();
    expect(lab.log).toEqual(['start helper', 'start one', 'start two']);
    lab.end('two');
    await turns();
    expect(lab.log.slice(3)).toEqual(['cancel helper']);
    expect(runner.tree().flavours).toEqual([]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it("'never' ignores significance; a supervisor whose children all ended ends normally", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'plain', children: [lab.child('a', { significant: true }), lab.child('b')] }));
    const accepting = runner.accept();
    await turns();
    lab.end('a');
    await turns();
    expect(lab.log).toEqual(['start a', 'start b']);
    expect(runner.tree().flavours[0]!.payloads[0]!.children.map((c) => c.state)).toEqual(['done', 'running']);
    lab.end('b');
    await turns();
    expect(runner.tree().flavours).toEqual([]);
    expect(runner.tree().ended.at(-1)).toMatchObject({ name: 'plain', state: 'done' });
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });
});

describe('the tree', () => {
  it('nests supervisors and shows strategy and restart counts; formatTree draws the nesting', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(
      supervisor({
        name: 'ingest',
        strategy: 'rest-for-one',
        children: [lab.child('db', { restart: 'always', backoff: fast }), supervisor({ name: 'exporters', children: [lab.child('http')] })],
      }),
    );
    const accepting = runner.accept();
    await turns();
    lab.end('db');
    await turns(30);
    const tree = runner.tree();
    expect(tree.flavours).toHaveLength(1);
    const ingest = tree.flavours[0]!;
    expect(ingest.flavour).toBe('supervisor');
    expect(ingest.payloads[0]).toMatchObject({
      name: 'ingest',
      flavour: 'supervisor',
      kind: 'adopt',
      strategy: 'rest-for-one',
      childRestarts: 1,
      children: [
        { name: 'db', flavour: 'lab', restarts: 1, children: [] },
        {
          name: 'exporters',
          flavour: 'supervisor',
          strategy: 'one-for-one',
          childRestarts: 0,
          restarts: 1,
          children: [{ name: 'http', flavour: 'lab' }],
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
    const text = formatTree(tree, Date.now());
    expect(text.replace(/ for \d+\.\ds/g, '').replace(/#\d+/g, '#n')).toBe(
      [
        'runtime (running)',
        '└─ supervisor',
        '   └─ #n ingest [supervisor rest-for-one] running, 1 child restart',
        '      ├─ #n db [adopt] lab running, 1 restart',
        '      └─ #n exporters [supervisor one-for-one] running, 1 restart',
        '         └─ #n http [adopt] lab running',
        'ended (newest last):',
        // The run of http under the exporters' first run, which restarted with db.
        '   #n http [adopt] lab: cancelled',
      ].join('\n'),
    );
    await runner.shutdown();
    await accepting;
  });

  it('shows a queued supervisor before accept()', () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'later', children: [lab.child('a')] }));
    expect(runner.tree().flavours).toEqual([
      { flavour: 'supervisor', payloads: [expect.objectContaining({ name: 'later', state: 'queued', children: [] })] },
    ]);
  });

  it('publishes restarts and runs with their parent on the cobald channels', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const restarts: RestartEvent[] = [];
    const onRestart = (message: unknown) => void restarts.push(message as RestartEvent);
    const starts: PayloadTrace[] = [];
    const trace = { start: (context: PayloadTrace) => void starts.push(context) } as never;
    subscribe('cobald:restart', onRestart);
    tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload').subscribe(trace);
    try {
      runner.adopt(supervisor({ name: 'watched', children: [lab.child('a', { restart: 'on-failure', backoff: fast })] }));
      const accepting = runner.accept();
      await turns();
      lab.fail('a');
      await turns(30);
      await runner.shutdown();
      await accepting;
    } finally {
      unsubscribe('cobald:restart', onRestart);
      tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload').unsubscribe(trace);
    }
    const top = starts.find((s) => s.name === 'watched')!;
    expect(restarts).toEqual([
      expect.objectContaining({ name: 'a', flavour: 'lab', restarts: 1, delay: 1, parent: { id: top.id, name: 'watched' } }),
    ]);
    expect(starts.filter((s) => s.name === 'a').map((s) => s.parent)).toEqual([
      { id: top.id, name: 'watched' },
      { id: top.id, name: 'watched' },
    ]);
    expect(top.parent).toBeUndefined();
  });
});

describe('how restarts are counted (one engine, as OTP counts)', () => {
  it("counts a child's restart when it is decided: a child waiting out its backoff is restarting, its restart counted", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    runner.adopt(supervisor({ name: 'patient', children: [lab.child('a', { restart: 'on-failure', backoff: { initial: 10_000 } })] }));
    const accepting = runner.accept();
    await turns();
    lab.fail('a');
    await turns();
    const top = runner.tree().flavours[0]!.payloads[0]!;
    expect(top).toMatchObject({ name: 'patient', childRestarts: 1 });
    expect(top.children[0]).toMatchObject({ name: 'a', state: 'restarting', restarts: 1 });
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it("grows a child's backoff within its own policy's window, not within its supervisor's intensity period", async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const delays: number[] = [];
    const onRestart = (message: unknown) => void delays.push((message as RestartEvent).delay);
    subscribe('cobald:restart', onRestart);
    try {
      // The supervisor forgets a restart after 1 ms; the child's own window is its policy's default, 5000 ms.
      const child = lab.child('a', { restart: 'on-failure', backoff: { initial: 2, factor: 2, max: 100 } });
      runner.adopt(supervisor({ name: 'short-memory', intensity: { restarts: 10, within: 1 }, children: [child] }));
      const accepting = runner.accept();
      for (let run = 1; run <= 3; run++) {
        while (lab.runs('a') < run) await turns(5);
        lab.fail('a');
      }
      while (lab.runs('a') < 4) await turns(5);
      await runner.shutdown();
      await expect(accepting).resolves.toBeUndefined();
    } finally {
      unsubscribe('cobald:restart', onRestart);
    }
    expect(delays).toEqual([2, 4, 8]);
  });
});

describe('supervisors nested to any depth', () => {
  it('start, show in tree() and formatTree(), and stop 2000 levels deep', async () => {
    const lab = supervisionLab();
    const { runner } = testRunner();
    const depth = 2000;
    let spec = supervisor({ name: 'level1', children: [lab.child('leaf')] });
    for (let level = 2; level <= depth; level++) spec = supervisor({ name: `level${level}`, children: [spec] });
    runner.adopt(spec);
    const accepting = runner.accept();
    while (lab.runs('leaf') === 0) await turns(20);
    let node = runner.tree().flavours[0]!.payloads[0]!;
    let levels = 0;
    for (; node.children.length > 0; levels++) node = node.children[0]!;
    expect({ levels, leaf: node.name, state: node.state }).toEqual({ levels: depth, leaf: 'leaf', state: 'running' });
    expect(formatTree(runner.tree()).split('\n')).toHaveLength(depth + 3);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(lab.log).toEqual(['start leaf', 'cancel leaf']);
  }, 60_000);
});
