/**
 * The kernel's flavour contract, run by the conformance kit against the asyncio flavour, with the
 * kit's own payloads for flavours of functions run in the kernel's cancel scope.
 */
import { describe, it } from '@jest/globals';
import { describeConformance, functionPayloads } from '@cobald/flavour-testkit';
import { asyncio } from '@cobald/flavour-asyncio';

describeConformance({
  describe,
  it,
  flavour: asyncio,
  register: () => import('@cobald/flavour-asyncio/register'),
  payloads: functionPayloads,
});
