/** The package's version, for the flavour's `version` field. */
import { createRequire } from 'node:module';

/**
 * This package's version, read from its package.json so that a release bump cannot miss it.
 *
 * @example
 * defineFlavour({ name: 'threading', version, kernel: '^0.1.0', ... });
 */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
