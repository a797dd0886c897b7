/** The version of `@cobald/flavour-trio`, for the flavour's `version` field. */
import { createRequire } from 'node:module';

/**
 * This package's version, read from its package.json so that a release bump cannot miss it.
 *
 * @example
 * import { version } from './version.js';
 * console.log(`@cobald/flavour-trio ${version}`);
 */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
