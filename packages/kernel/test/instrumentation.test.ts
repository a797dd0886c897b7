import { describe, expect, it } from '@jest/globals';
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
      await runner.execute(function double(x: number) { return 2 * x; }, { flavour: inline, args: [21] });
      await runner
        .execute(function broken() { throw new Error('nope'); }, { flavour: inline })
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

  it('publishes the runtime states on cobald:runtime', async () => {
    const states: RuntimeEvent[] = [];
    const listener = (event: unknown) => void states.push(event as RuntimeEvent);
    subscribe('cobald:runtime', listener);
    try {
      const { runner } = testRunner();
      runner.adopt(() => { throw new Error('fatal'); }, { flavour: inline });
      await runner.accept().catch(() => {});
    } finally {
      unsubscribe('cobald:runtime', listener);
    }
    expect(states.map((s) => s.state)).toEqual(['running', 'stopping', 'stopped']);
    expect((states[2]?.failure as Error).name).toBe('PayloadFailure');
  });
});
