/**
 * The thread pool's numbers, asked of the threading flavour through `cobald:threading:stats`:
 * on /metrics, and in the series the page charts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { threading } from '@cobald/flavour-threading';
import { quietRunner, until } from '@cobald/test-support';
import { attachMonitor } from '@cobald/monitor';
import { get, parseMetrics, sampleValue } from './support/http.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs in a worker thread until the runtime terminates it. */
function sleeper(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

describe('the thread pool', () => {
  it('shows busy threads and queued payloads on /metrics and in the series', async () => {
    const runner = quietRunner({ gracePeriod: 200, flavours: { threading: { maxWorkers: 1 } } });
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    runner.adopt(sleeper, { flavour: threading, args: [60_000] });
    const accepting = runner.accept().catch(() => {});
    await runner.whenRunning();
    const executes = [1, 2, 3].map(() => runner.execute(sleeper, { flavour: threading, args: [60_000] }).catch(() => {}));
    cleanups.push(async () => {
      await runner.shutdown();
      await accepting;
      await Promise.all(executes);
    });

    const metric = async (name: string) => sampleValue(parseMetrics((await get(`${monitor.url}metrics`)).body).samples, name);
    // One thread for the adopted payload, one (maxWorkers) for the executes, two executes waiting.
    await until(() => runner.tree().flavours.some((b) => b.payloads.filter((p) => p.state === 'running').length >= 2), 10_000);
    let busy = 0;
    await until(() => {
      void metric('cobald_thread_pool_busy').then((value) => (busy = value ?? 0));
      return busy === 2;
    }, 10_000);
    expect(await metric('cobald_thread_pool_busy')).toBe(2);
    expect(await metric('cobald_thread_pool_queued')).toBe(2);
    // The pool may start a spare thread while payloads wait: at least the two busy ones are alive.
    expect(await metric('cobald_thread_pool_workers')).toBeGreaterThanOrEqual(2);
    let points: { busy: number; queued: number }[] = [];
    await until(() => {
      void get(`${monitor.url}api/series`).then((answer) => (points = JSON.parse(answer.body)));
      return points.some((p) => p.busy === 2 && p.queued === 2);
    }, 5000);
  }, 30_000);

  it('reads zero without a threading runner', async () => {
    const monitor = await attachMonitor(quietRunner());
    cleanups.push(() => monitor.close());
    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    expect(sampleValue(samples, 'cobald_thread_pool_busy')).toBe(0);
    expect(sampleValue(samples, 'cobald_thread_pool_queued')).toBe(0);
  });
});
