import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, ServiceRunner, UnknownFlavour } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour();

describe('bad input gets a clear, early error', () => {
  it('a payload its flavour cannot run is a TypeError from adopt() and execute()', async () => {
    const { runner } = testRunner();
    expect(() => runner.adopt(42 as never, { flavour: inline })).toThrow(TypeError);
    expect(() => runner.adopt(42 as never, { flavour: inline })).toThrow(/an inline payload is a function/);
    await expect(runner.execute(42 as never, { flavour: inline })).rejects.toThrow(TypeError);
  });

  it('an unknown flavour name is named in the error, with the package to install', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.execute(() => undefined, { flavour: 'quantum' })).rejects.toThrow(UnknownFlavour);
    await expect(runner.execute(() => undefined, { flavour: 'quantum' })).rejects.toThrow(
      /unknown flavour 'quantum': .* package 'cobald-flavour-quantum' is not installed; install it/,
    );
    await expect(runner.execute(() => undefined, { flavour: '@acme/quantum' })).rejects.toThrow(/'@acme\/cobald-flavour-quantum'/);
    await runner.shutdown();
    await accepting;
  });

  it('an adopted payload of an unknown flavour is a fatal failure of that payload', async () => {
    const { runner } = testRunner();
    runner.adopt(() => undefined, { flavour: 'quantum', name: 'lost' });
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error.payload).toMatchObject({ name: 'lost', flavour: 'quantum' });
    expect(error.cause).toBeInstanceOf(UnknownFlavour);
  });

  it('a flavour that is neither an object nor a name is a TypeError', () => {
    const { runner } = testRunner();
    expect(() => runner.adopt(() => undefined, {} as never)).toThrow(/'flavour' must be a flavour object .* got nothing/);
    expect(() => runner.adopt(() => undefined, { flavour: '' })).toThrow(TypeError);
    expect(() => runner.adopt(() => undefined, { flavour: { name: 'fake' } } as never)).toThrow(TypeError);
    expect(() => runner.adopt(() => undefined, undefined as never)).toThrow(/the options are required/);
  });

  it('wrong option types are TypeErrors that name the option', () => {
    const { runner } = testRunner();
    expect(() => runner.adopt(() => undefined, { flavour: inline, args: 'x' as never })).toThrow(/'args' must be an array/);
    expect(() => runner.adopt(() => undefined, { flavour: inline, name: 3 as never })).toThrow(/'name' must be a string/);
    expect(() => new ServiceRunner({ gracePeriod: -1 })).toThrow(/'gracePeriod' must be a number of milliseconds from 0 to 2147483647/);
    expect(() => new ServiceRunner({ handleSignals: 'yes' as never })).toThrow(/'handleSignals' must be a boolean/);
    expect(() => new ServiceRunner({ logger: {} as never })).toThrow(/'logger' must have a 'error' method/);
  });
});
