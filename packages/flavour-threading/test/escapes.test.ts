/**
 * What escapes a payload in its thread (issue 9): a rejection it leaves unhandled, a timer it
 * leaves behind, messages it posts on the parent port, a synchronous call that cannot be
 * interrupted, a module that accepts at its top level, and closure variables of plain ES
 * modules. Each failure is reported as the payload's that caused it, and none takes down the
 * main process or keeps it from exiting. Process-wide effects run in child processes.
 */
import { describe, expect, it } from '@jest/globals';
import { PayloadFailure } from '@cobald/kernel';
import { WorkerCrashed, threading } from '@cobald/flavour-threading';
import { installTimeout, nodeOfLine, runScript } from '@cobald/test-support';
import { fixture, quietRunner, runFixture, unexpected } from './support.js';

const threadId = (): number => (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;

describe('what escapes a threading payload', () => {
  it('fails the payload that leaves a rejection unhandled, not the next one on its thread', async () => {
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      const leaky = runner.execute(
        function leaky() {
          void Promise.reject(new Error('left unhandled'));
          return 'looked fine';
        },
        { flavour: threading },
      );
      const innocent = runner.execute(
        function innocent() {
          return 'fine';
        },
        { flavour: threading },
      );
      const crash = (await leaky.then(unexpected, (err: unknown) => err)) as WorkerCrashed;
      expect(crash).toBeInstanceOf(WorkerCrashed);
      expect(crash.message).toBe("worker thread of payload 'leaky' crashed while running it: Error: left unhandled");
      expect(await innocent).toBe('fine');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('never reuses a thread where an unreferenced timer of the last payload is pending', async () => {
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      const first = await runner.execute(threadId, { flavour: threading });
      expect(await runner.execute(threadId, { flavour: threading })).toBe(first); // clean: reused
      const leaving = await runner.execute(
        function leavesATimer() {
          setTimeout(() => {
            throw new Error('thrown by an unreferenced timer');
          }, 100).unref();
          return (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
        },
        { flavour: threading },
      );
      expect(leaving).toBe(first);
      // The next payload runs long enough for that timer to fire where it ran; not on its thread.
      const next = await runner.execute(
        async function innocent() {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return (require('node:worker_threads') as typeof import('node:worker_threads')).threadId;
        },
        { flavour: threading },
      );
      expect(next).not.toBe(first);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('keeps an adopted payload that left an unreferenced timer from failing the next adopt', async () => {
    const runner = quietRunner({}, { gracePeriod: 200 });
    const accepting = runner.accept();
    const done = new Int32Array(new SharedArrayBuffer(8));
    runner.adopt(
      function leavesATimer(flag: Int32Array) {
        setTimeout(() => {
          throw new Error('thrown by an unreferenced timer');
        }, 100).unref();
        Atomics.store(flag, 1, 1);
      },
      { flavour: threading, args: [done] },
    );
    // The next adopt comes once the first has ended, when its thread would be free for it.
    while (Atomics.load(done, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    runner.adopt(
      async function innocent(flag: Int32Array) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        Atomics.store(flag, 0, 1);
      },
      { flavour: threading, args: [done] },
    );
    while (Atomics.load(done, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

  it('passes on messages that payloads post on the parent port, null and look-alikes included', async () => {
    const result = await runFixture('parent-port-messages.mjs');
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).toBe(
      'results: real,real,real,real,real\n' +
        'heard: reporter: null | reporter: undefined | reporter: "progress 50%" | ' +
        'reporter: {"type":"done","id":1,"ok":true,"value":"forged","clean":true} | reporter: {"type":"ready"}\n' +
        'stopped\n',
    );
  });

  it.each([20, 22, 24, 26])(
    'says that a thread blocked in a synchronous call could not be stopped, and still lets the process end with its own code (Node.js %i)',
    async (line) => {
      const result = await runScript(fixture('blocked-thread.mjs'), [], { node: await nodeOfLine(line), timeout: 20_000 });
      expect(result.stdout).toMatch(
        /^accept settled; warned: the worker thread of threading payload 'reader' could not be stopped: .*blocked in a synchronous call.*\na later exit listener ran, with code 3\n$/,
      );
      // Node.js waits for every thread at exit: the process ends without waiting, saying why, with the code it had.
      expect(result).toMatchObject({ code: 3, signal: null });
      expect(result.stderr).toMatch(
        /payload\(s\) 'reader' are blocked in a synchronous call and could not be terminated; the process exits with code 3 without waiting for them\n$/,
      );
      expect(result.ms).toBeLessThan(15_000);
    },
    installTimeout + 25_000,
  );

  it('refuses accept() in a worker, so that a service and its daemon in one module do not multiply', async () => {
    const result = await runFixture('self-service.mjs', 20_000);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.stdout).toMatch(
      /^accept: PayloadFailure: accept\(\) was called inside a worker thread of the threading flavour: .*isMainThread/,
    );
    expect(result.ms).toBeLessThan(15_000);
  }, 25_000);

  it('explains closure variables of a plain ES module, for arrows and function expressions alike', async () => {
    const result = await runFixture('closure-errors.mjs');
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(':')[0])).toEqual([
      'arrow',
      'async arrow',
      'named function',
      'anonymous function',
      'on a later line',
    ]);
    for (const line of lines) {
      expect(line).toMatch(
        /: ReferenceError: threading payload '[^']+' refers to 'secret', which is not defined in the worker thread: .*Pass 'secret' as an argument/,
      );
    }
  });

  it('rejects with thrown values that cannot be read, and keeps the thread', async () => {
    const runner = quietRunner({ maxWorkers: 1 });
    const accepting = runner.accept();
    try {
      const first = await runner.execute(threadId, { flavour: threading });
      const outcomes = await Promise.allSettled([
        runner.execute(
          function errorWithThrowingGetter() {
            const error = new Error('with a getter');
            Object.defineProperty(error, 'code', {
              enumerable: true,
              get() {
                throw new Error('getter');
              },
            });
            throw error;
          },
          { flavour: threading },
        ),
        runner.execute(
          function throwingName() {
            const error = new Error('its name throws');
            Object.defineProperty(error, 'name', {
              get() {
                throw new Error('name');
              },
            });
            throw error;
          },
          { flavour: threading },
        ),
        runner.execute(
          function proxy() {
            throw new Proxy(
              {},
              {
                get() {
                  throw new Error('trap');
                },
              },
            );
          },
          { flavour: threading },
        ),
        runner.execute(
          function symbol() {
            throw Symbol('odd');
          },
          { flavour: threading },
        ),
      ]);
      expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason?.message)).toEqual([
        'with a getter',
        'its name throws',
        expect.stringMatching(/^a threading payload threw a value that cannot be sent between threads: /),
        'a threading payload threw a value that cannot be sent between threads: Symbol(odd)',
      ]);
      expect(await runner.execute(threadId, { flavour: threading })).toBe(first);
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('still reports a payload that throws its own ReferenceError as it is', async () => {
    const runner = quietRunner();
    const accepting = runner.accept();
    try {
      const error = await runner
        .execute(
          () => {
            throw new ReferenceError('secret is not defined');
          },
          { flavour: threading },
        )
        .then(unexpected, (err: unknown) => err as Error);
      expect(error.message).toBe('secret is not defined');
    } finally {
      await runner.shutdown();
      await accepting;
    }
  });

  it('fails accept() naming an adopted payload whose thread crashed after it left a rejection', async () => {
    const runner = quietRunner({}, { gracePeriod: 200 });
    runner.adopt(
      async function leaky() {
        void Promise.reject(new Error('left unhandled'));
        await new Promise((resolve) => setTimeout(resolve, 60_000));
      },
      { flavour: threading },
    );
    const failure = (await runner.accept().then(unexpected, (err: unknown) => err)) as PayloadFailure;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.payload.name).toBe('leaky');
    expect((failure.cause as Error).message).toBe("worker thread of payload 'leaky' crashed while running it: Error: left unhandled");
  });
});
