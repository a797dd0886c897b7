import { describe, expect, it } from '@jest/globals';
import { registeredFlavour, resolveFlavour } from '@cobald/kernel';
import '@cobald/flavour-asyncio/register';

describe("'@cobald/flavour-asyncio/register'", () => {
  it("registers the flavour as 'asyncio' without importing anything by name", () => {
    const flavour = registeredFlavour('asyncio');
    expect(flavour?.name).toBe('asyncio');
    expect(resolveFlavour('asyncio')).toBe(flavour);
  });
});
