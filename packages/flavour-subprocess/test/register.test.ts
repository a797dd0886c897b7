import { describe, expect, it } from '@jest/globals';
import { registeredFlavours, resolveFlavour } from '@cobald/kernel';
import 'cobald-flavour-subprocess/register';

describe('cobald-flavour-subprocess/register', () => {
  it("registers the flavour under 'subprocess'", async () => {
    expect(registeredFlavours()).toContain('subprocess');
    const { subprocess } = await import('cobald-flavour-subprocess');
    expect(resolveFlavour('subprocess')).toBe(subprocess);
    expect(subprocess).toMatchObject({ name: 'subprocess', version: '0.1.0', kernel: '^0.1.0' });
  });
});
