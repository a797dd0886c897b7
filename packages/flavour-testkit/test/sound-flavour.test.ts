/** A sound flavour passes the whole kit, in jest: the kit asks nothing the contract does not. */
import { describe, it } from '@jest/globals';
import { describeConformance } from '@cobald/flavour-testkit';
import { functionFlavour, functionPayloads } from './support.js';

describeConformance({ describe, it, flavour: functionFlavour('kit-sound'), payloads: functionPayloads });
