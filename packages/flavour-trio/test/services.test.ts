import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, service } from '@cobald/kernel';
import { trio } from '@cobald/flavour-trio';
import { sleep, suspend, type Operation } from 'effection';
import { deferred, quietRunner } from './support.js';

describe('trio services', () => {
  it('runs the *run() generator of services made before and after accept(), and halts them', async () => {
    const log: string[] = [];
    const started = new Map<string, () => void>();
    const whenStarted = (name: string) => {
      const d = deferred();
      started.set(name, d.resolve);
      return d.promise;
    };

    @service({ flavour: trio })
    class Worker {
      constructor(readonly label: string) {}

      *run(): Operation<void> {
        log.push(`${this.label} run`);
        started.get(this.label)?.();
        try {
          yield* suspend();
        } finally {
          yield* sleep(1);
          log.push(`${this.label} stopped`);
        }
      }
    }

    const runner = quietRunner();
    const early = [whenStarted('early 1'), whenStarted('early 2')];
    const services = [new Worker('early 1'), new Worker('early 2')];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
    const accepting = runner.accept();
    await Promise.all(early);
    expect([...log].sort()).toEqual(['early 1 run', 'early 2 run']);

    const late = whenStarted('late');
    services.push(new Worker('late'));
    await late;
    expect(log).toContain('late run');

    await runner.shutdown();
    await accepting;
    expect([...log].sort()).toEqual(['early 1 run', 'early 1 stopped', 'early 2 run', 'early 2 stopped', 'late run', 'late stopped']);
    expect(services).toHaveLength(3);
  });

  it("finds the flavour by name, and a service's failure stops the runner", async () => {
    const boom = new Error('service failed');

    @service({ flavour: 'trio', name: 'broken' })
    class Broken {
      *run(): Operation<void> {
        yield* sleep(1);
        throw boom;
      }
    }

    const runner = quietRunner();
    const instance = new Broken();
    const failure = await runner.accept().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure).toMatchObject({ cause: boom, payload: { name: 'broken', flavour: 'trio' } });
    expect(instance).toBeInstanceOf(Broken);
  });

  it('refuses a service whose run() is async, saying what trio expects', async () => {
    @service({ flavour: trio })
    class Async {
      async run(): Promise<void> {}
    }

    const runner = quietRunner();
    const instance = new Async();
    const failure = await runner.accept().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(PayloadFailure);
    const cause = (failure as PayloadFailure).cause;
    expect(cause).toBeInstanceOf(TypeError);
    expect((cause as TypeError).message).toMatch(/'Async\.run' returned a promise.*generator functions.*asyncio/s);
    expect(instance).toBeInstanceOf(Async);
  });
});
