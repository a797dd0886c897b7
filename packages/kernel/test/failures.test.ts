/**
 * Defects found by trying to break the runtime from outside, each now a guarantee: a stop
 * that a payload asks for does not wait for itself, every execute() settles, timeouts do not
 * overflow, a stop while a flavour loads leaves nothing running, services may define run() as
 * a field, and the process's handlers for uncaught errors exist only while accepting.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PayloadAbandoned, ServiceRunner, currentSignal, isCancellation, service, silentLogger, supervisor } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour({ name: 'inline-failures' });
/** Runs each payload in its kernel-owned cancel scope, as asyncio does. */
const scoped = inlineFlavour({ name: 'inline-scoped', cancelOnClose: false, scoped: true });
const uncaughtListeners = () => process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');

describe('failures found from outside', () => {
  it('handlers for uncaught errors exist only while accepting, and none with handleUncaught: false', async () => {
    for (const handleUncaught of [true, false]) {
      const before = uncaughtListeners();
      const runner = new ServiceRunner({ logger: silentLogger, handleSignals: false, handleUncaught });
      const accepting = runner.accept();
      expect(uncaughtListeners()).toBe(handleUncaught ? before + 2 : before);
      await runner.shutdown();
      await accepting;
      expect(uncaughtListeners()).toBe(before);
    }
  });

  it('shutdown() awaited inside a payload resolves once the stop began, not after the stop (which waits for that payload)', async () => {
    const { runner, warnings } = testRunner({ gracePeriod: 60_000 });
    const steps: string[] = [];
    runner.adopt(
      async function finisher() {
        steps.push('job done');
        await runner.shutdown();
        steps.push('shutdown() returned');
      },
      { flavour: scoped },
    );
    const started = Date.now();
    await runner.accept();
    expect(steps).toEqual(['job done', 'shutdown() returned']);
    expect(warnings).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000); // far below the grace period it would have waited
  });

  it('a failure that an abandoned payload reports after its time to stop is logged, not lost', async () => {
    for (const kind of ['adopt', 'execute'] as const) {
      const { runner, logged } = testRunner({ gracePeriod: 50 });
      const late = deferred<void>();
      const accepting = runner.accept();
      await runner.whenRunning();
      const payload = async function stubborn() {
        await late.promise;
        throw new Error('failed after it was abandoned');
      };
      if (kind === 'adopt') runner.adopt(payload, { flavour: scoped });
      else runner.execute(payload, { flavour: scoped }).catch(() => {});
      await new Promise((resolve) => setImmediate(resolve));
      await runner.shutdown();
      await accepting;
      late.resolve();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const errors = logged.filter(({ level }) => level === 'error').map(({ msg }) => msg);
      expect(errors).toEqual([
        expect.stringMatching(
          /^payload 'stubborn' \(inline-scoped, #\d+\), abandoned when it did not stop in time, failed later: Error: failed after it was abandoned$/,
        ),
      ]);
    }
  });

  it('an abandoned payload that ends later by its signal (an AbortError) is not reported again', async () => {
    const { runner, logged } = testRunner({ gracePeriod: 50 });
    const late = deferred<void>();
    const accepting = runner.accept();
    await runner.whenRunning();
    runner.adopt(
      async function slow() {
        const signal = currentSignal();
        await late.promise;
        signal.throwIfAborted();
      },
      { flavour: scoped },
    );
    await new Promise((resolve) => setImmediate(resolve));
    await runner.shutdown();
    await accepting;
    late.resolve();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logged.filter(({ level }) => level === 'error')).toEqual([]);
  });

  it('an execute() whose payload is abandoned on shutdown rejects with PayloadAbandoned, a cancellation', async () => {
    const { runner, warnings } = testRunner({ gracePeriod: 50 });
    const accepting = runner.accept();
    await runner.whenRunning();
    const executing = runner.execute(() => new Promise(() => {}), { flavour: scoped, name: 'deaf' });
    await runner.shutdown();
    await accepting;
    const error = await executing.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PayloadAbandoned);
    expect(isCancellation(error)).toBe(true);
    expect((error as Error).message).toMatch(/^payload 'deaf' \(inline-scoped, #\d+\) was abandoned: .* did not stop within 50 ms$/);
    expect(warnings).toEqual([expect.stringMatching(/^payload 'deaf' .* did not stop within 50 ms and was abandoned$/)]);
  });

  it('a grace period of Infinity waits for a slow payload; one above what a timer can wait for is refused', async () => {
    expect(() => new ServiceRunner({ gracePeriod: 2 ** 31 })).toThrow(
      /'gracePeriod' must be a number of milliseconds from 0 to 2147483647 .*or Infinity to wait forever, got 2147483648/,
    );
    const runner = new ServiceRunner({ gracePeriod: 2 ** 31 - 1, handleSignals: false });
    expect(() => runner.adopt(() => {}, { flavour: inline, shutdownTimeout: 2 ** 40 })).toThrow(/'shutdownTimeout' must be .* or Infinity/);
    expect(() => runner.adopt(() => {}, { flavour: inline, restart: 'always', backoff: { max: 2 ** 31 } })).toThrow(
      /'backoff.max' must be a number of milliseconds from 0 to 2147483647 \(about 24.8 days\), got 2147483648/,
    );
    expect(() => runner.adopt(() => {}, { flavour: inline, restart: 'always', backoff: { initial: Infinity } })).toThrow(
      /'backoff.initial'/,
    );

    const { runner: patient, warnings } = testRunner({ gracePeriod: Infinity });
    let stopped = false;
    patient.adopt(
      async function slowToStop() {
        const signal = currentSignal();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        stopped = true;
      },
      { flavour: scoped },
    );
    const accepting = patient.accept();
    await patient.whenRunning();
    await patient.shutdown();
    await accepting;
    expect(stopped).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('a service may define run as a class field; a class with no run at all is refused when it is made', async () => {
    const { runner } = testRunner();
    const ran = deferred<string>();
    @service({ flavour: inline })
    class Fielded {
      readonly label = 'field';
      run = async () => ran.resolve(this.label);
    }
    const kept = new Fielded();
    const accepting = runner.accept();
    expect(await ran.promise).toBe('field');
    await runner.shutdown();
    await accepting;
    expect(kept.label).toBe('field');

    const Runless = service({ flavour: inline })(class Runless {} as any);
    expect(() => new Runless()).toThrow(
      /@service\(\) class Runless has no run\(\): give it a run\(\) method, or a run field that holds a function/,
    );
  });

  it('a stop that begins while a flavour given by name still loads: the payload never starts, no runner is made, the process exits', () => {
    const app = fileURLToPath(new URL('./fixtures/app/', import.meta.url));
    const { stdout, stderr, status } = spawnSync(process.execPath, ['stop-while-loading.mjs'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect({ stderr, status }).toEqual({ stderr: '', status: 0 });
    expect(stdout).toBe('accept resolved\n["late: cancelled"]\n');
  });
});

describe('found by trying to break the packed packages', () => {
  it('an option that adopt(), execute() or the runner does not know is a TypeError, not silently ignored', () => {
    const runner = new ServiceRunner({ handleSignals: false });
    expect(() => runner.adopt(() => {}, { flavour: inline, restrat: 'on-failure' } as never)).toThrow(
      "adopt() has no option 'restrat': it takes 'flavour', 'args', 'name', 'restart', 'intensity', 'backoff', 'shutdownTimeout'",
    );
    expect(() => runner.adopt(supervisor({ name: 'sup', children: [] }), { restrat: 'always' } as never)).toThrow(
      "adopt() of supervisor 'sup' has no option 'restrat'",
    );
    expect(() => new ServiceRunner({ gracePeriode: 10 } as never)).toThrow("new ServiceRunner() has no option 'gracePeriode'");
    return expect(runner.execute(() => 1, { flavour: inline, arg: [1] } as never)).rejects.toThrow("execute() has no option 'arg'");
  });

  it('an intensity period of 0, which would count no restart and never stop a loop, is refused', () => {
    const runner = new ServiceRunner({ handleSignals: false });
    expect(() => runner.adopt(() => {}, { flavour: inline, restart: 'always', intensity: { restarts: 3, within: 0 } })).toThrow(
      /'intensity.within' must be more than 0 ms/,
    );
  });

  it('a payload that awaits execute() in a loop lets timers run: executes that settle at once do not starve the event loop', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    let executed = 0;
    let executedWhenTimerFired = -1;
    setTimeout(() => (executedWhenTimerFired = executed), 0);
    while (executedWhenTimerFired < 0 && executed < 100_000) {
      await runner.execute(() => 1, { flavour: inline });
      executed++;
    }
    expect(executedWhenTimerFired).toBeGreaterThanOrEqual(0);
    expect(executedWhenTimerFired).toBeLessThan(100_000);
    await runner.shutdown();
    await accepting;
  });

  it("executes started at once beyond one turn's limit all run, in the order they were made, each with its own result", async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await runner.whenRunning();
    const count = 3_500;
    const order: number[] = [];
    const results = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        runner.execute(
          () => {
            order.push(i);
            return i;
          },
          { flavour: inline },
        ),
      ),
    );
    const expected = Array.from({ length: count }, (_, i) => i);
    expect(results).toEqual(expected);
    expect(order).toEqual(expected);
    await runner.shutdown();
    await accepting;
  });

  it("a supervisor's child that fails while the runtime stops it fails the runtime, as the same payload adopted alone does", async () => {
    for (const underSupervisor of [false, true]) {
      const { runner } = testRunner();
      async function flushFails() {
        const signal = currentSignal();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('cleanup failed');
      }
      if (underSupervisor) runner.adopt(supervisor({ name: 'sup', children: [{ name: 'writer', payload: flushFails, flavour: scoped }] }));
      else runner.adopt(flushFails, { flavour: scoped, name: 'writer' });
      const accepting = runner.accept().then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      await runner.whenRunning();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await runner.shutdown();
      const failure = await accepting;
      expect(failure?.name).toBe('PayloadFailure');
      expect(failure?.message).toMatch(
        underSupervisor ? /payload 'sup' .*ChildFailure: child 'writer' .*cleanup failed/ : /payload 'writer' .*cleanup failed/,
      );
    }
  });

  it('execute() in a thread where no runner may accept says so, instead of advising accept()', async () => {
    const key = Symbol.for('@cobald/kernel.acceptRefusal');
    const global = globalThis as Record<symbol, unknown>;
    global[key] = 'no runner accepts in this thread';
    try {
      const runner = new ServiceRunner({ handleSignals: false });
      await expect(runner.execute(() => 1, { flavour: inline })).rejects.toThrow(
        /^execute\(\) was called inside a worker thread that runs a threading payload, where no runner accepts and none may/,
      );
      await expect(runner.accept()).rejects.toThrow('no runner accepts in this thread');
    } finally {
      delete global[key];
    }
  });
});
