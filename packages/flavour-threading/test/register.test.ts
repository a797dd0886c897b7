import { describe, expect, it } from '@jest/globals';
import { registeredFlavour, resolveFlavour } from '@cobald/kernel';
import '@cobald/flavour-threading/register';

describe("'@cobald/flavour-threading/register'", () => {
  it("registers the flavour as 'threading' without importing anything by name", () => {
    const flavour = registeredFlavour('threading');
    expect(flavour?.name).toBe('threading');
    expect(resolveFlavour('threading')).toBe(flavour);
  });
});
