import { describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import type { PayloadTrace, RuntimeEvent } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour({ name: 'traced-inline' });

describe('diagnostics channels', () => {
  it('traces every run of a payload on cobald:payload', async () => {
    const seen: string[] = [];
    const handlers = {
      start: (ctx: PayloadTrace) => seen.push(`start ${ctx.name} ${ctx.kind} ${ctx.flavour}`),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (ctx: PayloadTrace) => seen.push(`end ${ctx.name} ${String(ctx.result)}`),
      error: (ctx: PayloadTrace) => seen.push(`error ${ctx.name} ${(ctx.error as Error).message}`),
    };
    const channel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
    channel.subscribe(handlers);
    try {
      const { runner } = testRunner();
      const accepting = runner.accept();
      await runner.execute(
        function double(x: number) {
          return 2 * x;
        },
        { flavour: inline, args: [21] },
      );
      await runner
        .execute(
          function broken() {
            throw new Error('nope');
          },
          { flavour: inline },
        )
        .catch(() => {});
      await runner.shutdown();
      await accepting;
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen).toEqual([
      'start double execute traced-inline',
      'end double 42',
      'start broken execute traced-inline',
      'error broken nope',
      'end broken undefined',
    ]);
  });

  it('runs an execute called right after accept() once the runtime runs and its queued payloads started', async () => {
    const events: string[] = [];
    const onRuntime = (event: unknown) => events.push(`runtime ${(event as RuntimeEvent).state}`);
    const handlers = { start: (ctx: PayloadTrace) => events.push(`start ${ctx.name}`) };
    const channel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
    channel.subscribe(handlers as never);
    subscribe('cobald:runtime', onRuntime);
    try {
      const { runner } = testRunner();
      runner.adopt(async function queuedBeforeAccept() {}, { flavour: inline });
      const accepting = runner.accept();
      await runner.execute(async function executedAfterAccept() {}, { flavour: inline });
      await runner.shutdown();
      await accepting;
    } finally {
      channel.unsubscribe(handlers as never);
      unsubscribe('cobald:runtime', onRuntime);
    }
    expect(events.slice(0, 3)).toEqual(['runtime running', 'start queuedBeforeAccept', 'start executedAfterAccept']);
  });

  it('begins and ends every run once: restarts, supervisor children and executes inside payloads', async () => {
    const events: string[] = [];
    const traces = new Set<PayloadTrace>();
    const handlers = {
      start: (ctx: PayloadTrace) => {
        traces.add(ctx);
        events.push(`start ${ctx.name}#${ctx.restarts}`);
      },
      asyncEnd: (ctx: PayloadTrace) => {
        expect(traces.has(ctx)).toBe(true);
        expect(ctx.startedAt).toBeLessThanOrEqual(performance.now());
        events.push(`end ${ctx.name}#${ctx.restarts} ${'error' in ctx ? 'failed' : 'done'}`);
      },
    };
    const channel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
    channel.subscribe(handlers as never);
    try {
      const { runner } = testRunner();
      let runs = 0;
      runner.adopt(
        function flaky() {
          if (++runs < 3) throw new Error(`run ${runs}`);
        },
        { flavour: inline, restart: 'on-failure', backoff: { initial: 0 } },
      );
      const { supervisor } = await import('@cobald/kernel');
      runner.adopt(
        supervisor({
          name: 'tree',
          children: [
            {
              name: 'leaf',
              flavour: inline,
              payload: async () => runner.execute(() => 1, { flavour: inline, name: 'inner' }).then(() => undefined),
            },
          ],
        }),
      );
      const accepting = runner.accept();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await runner.shutdown();
      await accepting;
    } finally {
      channel.unsubscribe(handlers as never);
    }
    const sorted = (prefix: string) => events.filter((e) => e.includes(prefix)).sort();
    expect(sorted('flaky')).toEqual([
      'end flaky#0 failed',
      'end flaky#1 failed',
      'end flaky#2 done',
      'start flaky#0',
      'start flaky#1',
      'start flaky#2',
    ]);
    expect(sorted(' leaf#')).toEqual(['end leaf#0 done', 'start leaf#0']);
    expect(sorted(' inner#')).toEqual(['end inner#0 done', 'start inner#0']);
    expect(sorted(' tree#')).toEqual(['end tree#0 done', 'start tree#0']);
  });

  it('holds a store bound to the start channel inside the run, as tracePromise() does', async () => {
    const span = new AsyncLocalStorage<string>();
    const channel = tracingChannel<PayloadTrace, PayloadTrace>('cobald:payload');
    const transform = (ctx: PayloadTrace) => `span of ${ctx.name}`;
    channel.start.bindStore(span as never, transform as never);
    try {
      const { runner } = testRunner();
      const accepting = runner.accept();
      const inside = await runner.execute(
        async function spanned() {
          await new Promise((resolve) => setImmediate(resolve));
          return span.getStore();
        },
        { flavour: inline },
      );
      expect(inside).toBe('span of spanned');
      await runner.shutdown();
      await accepting;
    } finally {
      channel.start.unbindStore(span as never);
    }
  });

  it('publishes the runtime states on cobald:runtime', async () => {
    const states: RuntimeEvent[] = [];
    const listener = (event: unknown) => void states.push(event as RuntimeEvent);
    subscribe('cobald:runtime', listener);
    try {
      const { runner } = testRunner();
      runner.adopt(
        () => {
          throw new Error('fatal');
        },
        { flavour: inline },
      );
      await runner.accept().catch(() => {});
    } finally {
      unsubscribe('cobald:runtime', listener);
    }
    expect(states.map((s) => s.state)).toEqual(['running', 'stopping', 'stopped']);
    expect((states[2]?.failure as Error).name).toBe('PayloadFailure');
  });
});
