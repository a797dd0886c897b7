import { describe, expect, it } from '@jest/globals';
import { defineFlavour, isFlavour, registerFlavour, registeredFlavours, resolveFlavour } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';

describe('flavour registry', () => {
  it('resolves a registered flavour by name; registering it again is harmless', () => {
    const named = inlineFlavour({ name: 'registry-named' });
    registerFlavour(named);
    registerFlavour(named);
    expect(resolveFlavour('registry-named')).toBe(named);
    expect(registeredFlavours()).toContain('registry-named');
  });

  it('refuses another flavour under a taken name', () => {
    registerFlavour(inlineFlavour({ name: 'registry-taken' }));
    expect(() => registerFlavour(inlineFlavour({ name: 'registry-taken' }))).toThrow(/'registry-taken' is taken/);
  });

  it('keeps one registry per process, on globalThis', () => {
    const key = Symbol.for('@cobald/kernel/registry@1');
    const shared = (globalThis as Record<symbol, { flavours: Map<string, unknown> }>)[key];
    expect(shared?.flavours.get('registry-named')).toBeDefined();
  });

  it('recognises flavours by brand, not by class', () => {
    const flavour = inlineFlavour({ name: 'registry-brand' });
    expect(isFlavour(flavour)).toBe(true);
    expect(isFlavour({ ...flavour })).toBe(true);
    expect(isFlavour({ name: 'registry-brand' })).toBe(false);
    expect(() => registerFlavour({ name: 'x' } as never)).toThrow(/made with defineFlavour/);
  });

  it('defineFlavour checks the spec', () => {
    expect(() => defineFlavour({ name: '', version: '1', kernel: '*' } as never)).toThrow(/non-empty string 'name'/);
    expect(() => defineFlavour({ name: 'x', version: '1', kernel: '*', validate() {} } as never)).toThrow(
      /needs a function 'createRunner'/,
    );
  });
});
