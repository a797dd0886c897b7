/**
 * /healthz and /readyz through a runtime's life: idle, starting, running, a restart, stopping,
 * stopped, and failed; over real HTTP.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { asyncio } from '@cobald/flavour-asyncio';
import { currentSignal } from '@cobald/kernel';
import { deferred, quietRunner, sleep, until } from '@cobald/test-support';
import { attachMonitor, type Monitor } from '@cobald/monitor';
import { gatedFlavour } from './support/gated-flavour.js';
import { get, openEvents } from './support/http.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function status(monitor: Monitor, path: 'healthz' | 'readyz'): Promise<[number, string]> {
  const answer = await get(monitor.url + path);
  return [answer.status, JSON.parse(answer.body).status];
}

describe('health and readiness through a life', () => {
  it('idle, starting, running, a restart, stopping, stopped', async () => {
    const runner = quietRunner({ gracePeriod: 2000 });
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    const stream = openEvents(`${monitor.url}events`);
    cleanups.push(() => stream.close());
    await stream.opened;

    expect(await status(monitor, 'healthz')).toEqual([503, 'idle']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'idle']);

    // Starting: a flavour whose runner has not finished starting holds the runtime there.
    const gated = gatedFlavour();
    runner.adopt(() => undefined, { flavour: gated.flavour, name: 'gatedOneShot' });
    const failOnce = deferred();
    let runs = 0;
    runner.adopt(
      async function flaky() {
        if (runs++ === 0) {
          await failOnce.promise;
          throw new Error('lost the connection');
        }
        await new Promise<void>((resolve) => currentSignal().addEventListener('abort', () => resolve()));
      },
      { flavour: asyncio, restart: 'on-failure', backoff: { initial: 300 } },
    );
    // Stopping takes a while: this one needs 300 ms to finish after it is asked to stop.
    const stopDelay = deferred();
    runner.adopt(
      async function slowToStop() {
        await new Promise<void>((resolve) => currentSignal().addEventListener('abort', () => resolve()));
        await stopDelay.promise;
      },
      { flavour: asyncio },
    );
    const accepting = runner.accept();
    await until(() => runner.tree().state === 'starting');
    expect(await status(monitor, 'healthz')).toEqual([200, 'starting']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'starting']);

    gated.open();
    await runner.whenRunning();
    await until(() => runner.tree().flavours.every((branch) => branch.payloads.every((p) => p.state === 'running')));
    expect(await status(monitor, 'healthz')).toEqual([200, 'running']);
    expect(await status(monitor, 'readyz')).toEqual([200, 'ready']);

    // A restart: the page hears of it at once, and the daemon stays healthy and ready meanwhile.
    failOnce.resolve();
    const restarted = await stream.next(
      (e) =>
        e.event === 'tree' &&
        e.data.tree.flavours.some((b: any) => b.payloads.some((p: any) => p.name === 'flaky' && p.state === 'restarting')),
      2000,
    );
    const flaky = restarted.data.tree.flavours.flatMap((b: any) => b.payloads).find((p: any) => p.name === 'flaky');
    expect(flaky).toMatchObject({ restarts: 1, lastError: { name: 'Error', message: 'lost the connection' } });
    expect(await status(monitor, 'healthz')).toEqual([200, 'running']);
    expect(await status(monitor, 'readyz')).toEqual([200, 'ready']);
    await until(() => runner.tree().flavours.some((b) => b.payloads.some((p) => p.name === 'flaky' && p.state === 'running')));

    // Stopping: both answer 503 from the moment the stop begins.
    const stopping = runner.shutdown();
    await until(() => !runner.running);
    expect(await status(monitor, 'healthz')).toEqual([503, 'stopping']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'stopping']);
    stopDelay.resolve();
    await stopping;
    await accepting;
    expect(await status(monitor, 'healthz')).toEqual([503, 'idle']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'idle']);
  });

  it('failed: 503 once a payload failed the runtime, while it stops and after', async () => {
    const runner = quietRunner({ gracePeriod: 2000 });
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    const fail = deferred();
    const stopDelay = deferred();
    runner.adopt(
      async function fatal() {
        await fail.promise;
        throw new Error('<b>disk full</b>');
      },
      { flavour: asyncio },
    );
    runner.adopt(
      async function slowToStop() {
        await new Promise<void>((resolve) => currentSignal().addEventListener('abort', () => resolve()));
        await stopDelay.promise;
      },
      { flavour: asyncio },
    );
    const accepting = runner.accept().then(
      () => undefined,
      (error: unknown) => error,
    );
    await runner.whenRunning();
    expect(await status(monitor, 'healthz')).toEqual([200, 'running']);
    fail.resolve();
    await until(() => !runner.running);
    expect(await status(monitor, 'healthz')).toEqual([503, 'stopping']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'stopping']);
    stopDelay.resolve();
    expect(await accepting).toMatchObject({ name: 'PayloadFailure' });
    expect(await status(monitor, 'healthz')).toEqual([503, 'failed']);
    expect(await status(monitor, 'readyz')).toEqual([503, 'idle']);
    const tree = JSON.parse((await get(`${monitor.url}api/tree`)).body);
    expect(tree.ended.find((p: any) => p.name === 'fatal')).toMatchObject({ state: 'failed', lastError: { message: '<b>disk full</b>' } });
  });

  it('unhealthy while the event loop lags beyond the limit, healthy again after', async () => {
    const runner = quietRunner();
    const monitor = await attachMonitor(runner, { loopDelayLimit: 500 });
    cleanups.push(() => monitor.close());
    runner.adopt(() => new Promise<void>((resolve) => currentSignal().addEventListener('abort', () => resolve())), { flavour: asyncio });
    const accepting = runner.accept();
    cleanups.push(async () => {
      await runner.shutdown();
      await accepting;
    });
    await runner.whenRunning();
    expect(monitor.health()).toEqual({ ok: true, status: 'running' });
    await sleep(100); // the delay is measured between ticks of a timer, once it has ticked
    // Block the loop for 1.2 s (well beyond the limit, and beyond what a loaded machine stalls
    // on its own), then wait for the next point of the series to record it.
    const blockedUntil = Date.now() + 1200;
    while (Date.now() < blockedUntil);
    await until(() => monitor.health().status === 'delayed', 3000);
    expect(await status(monitor, 'healthz')).toEqual([503, 'delayed']);
    // The delay leaves the window of the last 5 seconds.
    await until(() => monitor.health().ok, 15_000);
  }, 25_000);
});
