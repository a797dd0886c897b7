import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, service } from '@cobald/kernel';
import { deferred, inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';
import { until } from '../../test-support/src/index.js';

const inline = inlineFlavour({ name: 'inline-services' });
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('@service', () => {
  it('starts instances made before accept() once it accepts, each once', async () => {
    const runs: string[] = [];
    @service({ flavour: inline })
    class Worker {
      constructor(readonly label: string) {}
      run() {
        runs.push(this.label);
      }
    }
    const kept = [new Worker('a'), new Worker('b')];
    await settle();
    expect(runs).toEqual([]);
    const { runner } = testRunner();
    const accepting = runner.accept();
    await settle();
    expect(runs.sort()).toEqual(['a', 'b']);
    await runner.shutdown();
    await accepting;
    const again = runner.accept();
    await settle();
    expect(runs).toHaveLength(2);
    await runner.shutdown();
    await again;
    expect(kept).toHaveLength(2);
  });

  it('starts instances made while accepting right away, after their constructor finished', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const seen = deferred<string>();
    @service({ flavour: inline })
    class Base {
      run() {
        seen.resolve((this as unknown as { label: string }).label);
      }
    }
    class Derived extends Base {
      label = 'derived field';
    }
    new Derived();
    expect(await seen.promise).toBe('derived field');
    await runner.shutdown();
    await accepting;
  });

  it('names the node after the class, and a failing service is fatal', async () => {
    const { runner } = testRunner();
    @service({ flavour: inline })
    class Broken {
      run() {
        throw new Error('broken service');
      }
    }
    new Broken();
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.payload.name).toBe('Broken.run');
    expect((error.cause as Error).message).toBe('broken service');
  });

  it('works as a plain call, as JavaScript without decorator syntax uses it', async () => {
    let runs = 0;
    const Plain = service({ flavour: 'inline-plain', name: 'plain' })(
      class {
        run() {
          runs++;
        }
      },
    );
    const { registerFlavour } = await import('@cobald/kernel');
    registerFlavour(inlineFlavour({ name: 'inline-plain' }));
    new Plain();
    const { runner } = testRunner();
    const accepting = runner.accept();
    await until(() => runs === 1, 2000);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
    expect(runner.tree().ended.map((payload) => [payload.name, payload.service, payload.state])).toEqual([['plain', true, 'done']]);
  });

  it('works with experimentalDecorators, which pass the class alone', async () => {
    const ran = deferred<number>();
    class Legacy {
      value = 5;
      run() {
        ran.resolve(this.value);
      }
    }
    // An experimentalDecorators class decorator is called as decorator(target) and its result replaces the class.
    const Decorated = service({ flavour: inline })(Legacy) as typeof Legacy;
    const { runner } = testRunner();
    new Decorated();
    const accepting = runner.accept();
    expect(await ran.promise).toBe(5);
    await runner.shutdown();
    await accepting;
  });

  it('does not run a service that was garbage-collected before accept()', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeDefined();
    let runs = 0;
    @service({ flavour: inline })
    class Ephemeral {
      run() {
        runs++;
      }
    }
    (() => {
      new Ephemeral();
    })();
    await settle();
    gc!();
    await settle();
    gc!();
    const { runner } = testRunner();
    const accepting = runner.accept();
    await settle();
    await runner.shutdown();
    await accepting;
    expect(runs).toBe(0);
  });

  it('refuses what is no class, an instance without run(), and options without a flavour', () => {
    expect(() => service({ flavour: inline })((() => {}) as never)).toThrow(/class that has a run\(\) method/);
    const Runless = service({ flavour: inline })(class {} as never) as new () => object;
    expect(() => new Runless()).toThrow(/has no run\(\)/);
    expect(() => service({} as never)).toThrow(/needs a 'flavour'/);
    expect(() => service(undefined as never)).toThrow(TypeError);
  });
});
