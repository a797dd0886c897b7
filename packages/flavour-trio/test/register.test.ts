import { describe, expect, it } from '@jest/globals';
import { registeredFlavour, resolveFlavour } from '@cobald/kernel';
import '@cobald/flavour-trio/register';

describe("'@cobald/flavour-trio/register'", () => {
  it("registers the flavour as 'trio' without importing anything by name", () => {
    const flavour = registeredFlavour('trio');
    expect(flavour?.name).toBe('trio');
    expect(resolveFlavour('trio')).toBe(flavour);
  });
});
