import { describe, expect, it } from '@jest/globals';
import { BroadcastChannel } from 'node:worker_threads';
import { PayloadFailure, service } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
import { quietRunner } from './support.js';
// @ts-expect-error: a plain JavaScript fixture, without types.
import { Crawler, Renamed } from './fixtures/crawler-service.mjs';

function listen(name: string): { heard: Promise<any>; close(): void } {
  const channel = new BroadcastChannel(name);
  const heard = new Promise((resolve) => (channel.onmessage = (event) => resolve((event as MessageEvent).data)));
  return { heard, close: () => channel.close() };
}

describe('threading services', () => {
  it("run in a worker thread, with a clone of the instance's state", async () => {
    const crawler = listen('threading crawler service');
    const renamed = listen('threading renamed service');
    const runner = quietRunner();
    new Crawler('https://example.org', ['/a', '/b']);
    const accepting = runner.accept();
    try {
      new Renamed('needle');
      expect(await crawler.heard).toEqual({
        threadId: expect.any(Number),
        isMainThread: false,
        summary: 'https://example.org (2 pages, 1 visited)',
        visited: true,
      });
      expect(await renamed.heard).toEqual({ isMainThread: false, term: 'needle' });
    } finally {
      crawler.close();
      renamed.close();
      await runner.shutdown();
    }
    await expect(accepting).resolves.toBeUndefined();
  });

  it('need the module that exports their class, which the decorator checks at once', () => {
    const decorate = () =>
      service({ flavour: threading })(
        class Homeless {
          run() {}
        },
      );
    expect(decorate).toThrow(TypeError);
    expect(decorate).toThrow(
      /^@service\(\{ flavour: threading \}\) of class Homeless needs 'module': .*import\.meta\.url\. A class cannot be sent to a worker thread, but its module can/,
    );
    expect(() =>
      service({ flavour: threading, module: 42 })(
        class Numbered {
          run() {}
        },
      ),
    ).toThrow(/^@service\(\): 'module' of a threading service must be a URL or a path, got /);
    expect(() =>
      service({ flavour: threading, module: import.meta.url, export: '' })(
        class Unnamed {
          run() {}
        },
      ),
    ).toThrow(/^@service\(\): 'export' of a threading service must be a non-empty string/);
    expect(() =>
      service({ flavour: threading, module: './relative.mjs' })(
        class Relative {
          run() {}
        },
      ),
    ).toThrow(/is relative \('\.\/relative\.mjs'\)/);
  });

  it('named by flavour name fail without a module when they start', async () => {
    @service({ flavour: 'threading' })
    class Homeless {
      run() {}
    }
    new Homeless();
    const runner = quietRunner();
    const failure = (await runner.accept().catch((err: unknown) => err)) as PayloadFailure;
    expect(failure).toBeInstanceOf(PayloadFailure);
    expect(failure.cause).toBeInstanceOf(TypeError);
    expect((failure.cause as Error).message).toMatch(
      /^@service\(\{ flavour: threading \}\) of class Homeless needs 'module': .*import\.meta\.url\. A class cannot be sent to a worker thread, but its module can/,
    );
  });

  it('explain state that cannot be cloned', async () => {
    const runner = quietRunner();
    const crawler = new Crawler('https://example.org', []);
    crawler.onPage = () => {};
    const failure = (await runner.accept().catch((err: unknown) => err)) as PayloadFailure;
    expect((failure.cause as Error).message).toMatch(
      /^the state of service 'Crawler.run' \(property 'onPage', a function\) cannot be sent to a worker thread/,
    );
  });
});
