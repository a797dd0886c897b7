import { describe, expect, it } from '@jest/globals';
import { AlreadyAccepting } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';
import { installTimeout, nodeOfLine, runScript } from './support/subprocess.js';
import { until } from '../../test-support/src/index.js';

const inline = inlineFlavour();
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('accept and shutdown', () => {
  it('is running between accept() and shutdown()', async () => {
    const { runner } = testRunner();
    expect(runner.running).toBe(false);
    const accepting = runner.accept();
    await tick();
    expect(runner.running).toBe(true);
    const stopping = runner.shutdown();
    // False at once, before the stop has even begun: adopt() and execute() would be refused now.
    expect(runner.running).toBe(false);
    await stopping;
    expect(runner.running).toBe(false);
    await expect(accepting).resolves.toBeUndefined();
  });

  it('tells when it runs and when it begins to stop', async () => {
    const { runner } = testRunner();
    await expect(runner.whenRunning()).rejects.toThrow(/whenRunning\(\) needs a runner that accepts work/);
    await expect(runner.whenStopping()).rejects.toThrow(/whenStopping\(\) needs a runner/);
    const order: string[] = [];
    const accepting = runner.accept().then(() => order.push('stopped'));
    const running = runner.whenRunning().then(() => order.push(`running ${runner.running}`));
    const stopping = runner.whenStopping().then(() => order.push('stopping'));
    await running;
    await runner.shutdown();
    await Promise.all([accepting, stopping]);
    expect(order).toEqual(['running true', 'stopping', 'stopped']);
  });

  it('refuses a second accept() on the same runner while it runs', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.accept()).rejects.toThrow(AlreadyAccepting);
    await expect(runner.accept()).rejects.toThrow(/already running on this runner/);
    await runner.shutdown();
    await accepting;
  });

  it('allows only one accepting runner per process', async () => {
    const first = testRunner().runner;
    const second = testRunner().runner;
    const accepting = first.accept();
    await expect(second.accept()).rejects.toThrow(/another ServiceRunner already accepts/);
    await first.shutdown();
    await accepting;
    const again = second.accept();
    await second.shutdown();
    await expect(again).resolves.toBeUndefined();
  });

  it('treats shutdown() as idempotent and safe to call concurrently', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await tick();
    await Promise.all([runner.shutdown(), runner.shutdown(), runner.shutdown()]);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('does nothing on shutdown() before accept(), and keeps the queue', async () => {
    const { runner } = testRunner();
    let runs = 0;
    runner.adopt(() => void runs++, { flavour: inline, name: 'queued' });
    await runner.shutdown();
    expect(runs).toBe(0);
    const accepting = runner.accept();
    await until(() => runs === 1, 2000); // the queue survived the early shutdown()
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(runner.tree().ended.map((payload) => [payload.name, payload.state])).toEqual([['queued', 'done']]);
  });

  it('accepts again after a graceful stop', async () => {
    const { runner } = testRunner();
    for (let round = 0; round < 2; round++) {
      const accepting = runner.accept();
      await expect(runner.execute(() => round, { flavour: inline })).resolves.toBe(round);
      await runner.shutdown();
      await accepting;
    }
  });

  it('closes every flavour runner on shutdown', async () => {
    const events: string[] = [];
    const tracked = inlineFlavour({ name: 'tracked', events });
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.execute(() => undefined, { flavour: tracked });
    await runner.shutdown();
    await accepting;
    expect(events).toEqual(['start', 'ready', 'close']);
  });

  it('abandons payloads that outlive the grace period, logs them, and still settles', async () => {
    const stubborn = inlineFlavour({ name: 'stubborn', cancelOnClose: false });
    const { runner, logged } = testRunner({ gracePeriod: 50 });
    runner.adopt(() => new Promise(() => {}), { flavour: stubborn, name: 'deaf' });
    const accepting = runner.accept();
    await tick();
    const started = Date.now();
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/'deaf' .*abandoned/) }));
  });

  it('leaves no timer or handle of its own behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { runner } = testRunner({ gracePeriod: 10_000 });
    const accepting = runner.accept();
    await runner.execute(() => undefined, { flavour: inline });
    await runner.shutdown();
    await accepting;
    // jest's own timers come and go; ours (the 10 s grace timer, accept()'s keep-alive) would stay.
    await until(() => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= before, 1000);
  });

  it(
    'await using a runner (Node 24+): leaving the block stops it and waits until accept() settled; a failure stays with accept()',
    async () => {
      const result = await runScript(new URL('./fixtures/await-using.mjs', import.meta.url), [], { node: await nodeOfLine(24) });
      expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(result.stdout).toBe(
        [
          'leaving the block',
          'payload stopped',
          'accept resolved',
          'after the block',
          'accept rejected: PayloadFailure',
          'disposed without throwing',
          '',
        ].join('\n'),
      );
    },
    installTimeout,
  );
});
