import { createRequire } from 'node:module';

/** The version of this kernel, read from its package.json so that a release bump cannot miss it. */
export const kernelVersion: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
